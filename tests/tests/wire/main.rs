//! Wire-level tests: the client against scripted HTTP servers (wiremock behind a TLS front),
//! checking exactly what goes over the wire and how each answer is read.

mod auth;
mod auth_failures;
mod careless;
mod climbing;
mod empties;
mod hostile;
mod http;
mod logs;
mod task_log;
mod transfers;
