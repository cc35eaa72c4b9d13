//! Fuzz target `task_log`: see `proxmoxia_fuzz::task_log` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| proxmoxia_fuzz::task_log(data));
