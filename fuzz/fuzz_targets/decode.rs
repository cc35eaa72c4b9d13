//! Fuzz target `decode`: see `proxmoxia_fuzz::decode` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::decode(data));
