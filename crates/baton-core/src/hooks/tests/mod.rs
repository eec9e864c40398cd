mod payload;
mod permit;
mod repository;
mod shell;
mod two_more_clients;
