//! Fuzz target `login`: see `proxmoxia_fuzz::login` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::login(data));
