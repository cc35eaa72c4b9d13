//! Fuzz target `upid`: see `proxmoxia_fuzz::upid` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::upid(data));
