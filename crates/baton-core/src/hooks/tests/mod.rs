mod payload;
mod permit;
mod repository;
mod shell;
