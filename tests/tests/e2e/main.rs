//! End-to-end suites that run on both test peers (fakepve and the embedded fake).

mod faults;
mod raw;
mod tasks;
mod tls;
mod typed;
