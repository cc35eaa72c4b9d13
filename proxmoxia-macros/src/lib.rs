//! Procedural macro behind Proxmoxia's typed API (filled in by the generator).
