//! End-to-end suites that run on both test peers (fakepve and the embedded fake).

mod blocking;
mod cli;
mod faults;
mod raw;
mod retries;
mod secrets;
mod tasks;
mod tls;
mod typed;
