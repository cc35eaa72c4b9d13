//! Fuzz target `error_body`: see `proxmoxia_fuzz::error_body` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::error_body(data));
