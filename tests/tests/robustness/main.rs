//! Robustness: nothing a server sends may panic the client or break its promises.
//!
//! * [`fuzz_smoke`]: the fuzz targets of `fuzz/` (typed answers, property strings, UPIDs,
//!   error bodies, login answers) on seeded inputs, within seconds; the fuzzers themselves
//!   run for millions of inputs (see `fuzz/README.md`).

mod fuzz_smoke;
