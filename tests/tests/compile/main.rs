//! Compile-time behaviour: misuse that must not compile (trybuild) and the narrowing of the
//! API to an older PVE with `--cfg proxmoxia_pve`.

mod compile_fail;
mod narrowing;
