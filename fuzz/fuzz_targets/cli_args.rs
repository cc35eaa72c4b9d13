//! Fuzz target `cli_args`: see `proxmoxia_fuzz::cli_args` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::cli_args(data));
