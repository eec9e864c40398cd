//! baton-hooks' integration tests, one binary: the real `baton-hook` across machines and worktrees.

mod support;

mod machines;
mod own_server;
mod route_wait;
mod unchecked;
mod worktrees;
