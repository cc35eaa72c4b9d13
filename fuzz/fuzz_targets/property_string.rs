//! Fuzz target `property_string`: see `proxmoxia_fuzz::property_string` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::property_string(data));
