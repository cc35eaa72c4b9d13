//! The `proxmoxia` command's reading of a command line, before anything is sent: API paths
//! matched to the schema's templates ([`tree`]), `--name value` parameters checked with the
//! catalogue's rules ([`params`]), and what ends a run early ([`fail`]). The binary
//! (`src/bin/proxmoxia`) does the rest; this part is in the library so that the fuzz targets
//! reach it (`proxmoxia::__private::cli`). Not a public API.

pub mod fail;
pub mod params;
pub mod tree;
