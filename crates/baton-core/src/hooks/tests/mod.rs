mod payload;
mod permit;
mod repository;
mod shell;
mod subagents;
mod two_more_clients;
