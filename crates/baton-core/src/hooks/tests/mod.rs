mod payload;
mod permit;
