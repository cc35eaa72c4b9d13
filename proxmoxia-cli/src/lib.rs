//! The `proxmoxia` command's reading of a command line, before anything is sent: API paths
//! matched to the schema's templates ([`tree`]), `--name value` parameters checked with the
//! rules of [`proxmoxia::catalog`] ([`params`]), and what ends a run early ([`fail`]). The
//! binary (`src/bin/proxmoxia`) does the rest; this part is a library of its own so that the
//! fuzz targets (`fuzz/`) reach it. It serves the command and its fuzzing: no stable API.

pub mod fail;
#[cfg(test)]
mod module_graph_tests;
pub mod params;
pub mod tree;
