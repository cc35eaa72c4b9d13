//! The manual, one chapter a module (documentation only: nothing here is code).
//!
//! Start with [`connecting`] and [`auth`], then [`typed_calls`]; each chapter stands on its
//! own after that. Every example is compiled as a doctest; those that need a cluster are
//! only compiled, not run.
//!
//! | chapter | what it covers |
//! | --- | --- |
//! | [`connecting`] | hosts, TLS trust, timeouts, what a server can make the client hold |
//! | [`auth`] | passwords, the two-step TFA login, API tokens, keeping a ticket, PVE's clock |
//! | [`typed_calls`] | verb functions, required and optional parameters, what a request offers |
//! | [`naming`] | how a path of PVE's API viewer becomes a call, a parameter, a type |
//! | [`property_strings`] | property strings, indexed parameters (`net0`..), lists |
//! | [`serde`] | answers and parameters as values; what real PVE sends beyond its schema |
//! | [`raw`] | calls by path, with JSON or your own types |
//! | [`tasks`] | waiting for tasks, their status and live logs |
//! | [`transfers`] | uploads and downloads with progress |
//! | [`errors`] | errors, whether a retry is safe, retries, the next free guest id |
//! | [`blocking`] | the blocking client (`blocking` feature) |
//! | [`consoles`] | terminals and VNC (`console` feature) |
//! | [`audit`] | checking the typed answers against your cluster (`audit` feature) |
//! | [`mock`] | the embedded fake PVE for your tests (`mock` feature) |
//! | [`versions`] | the PVE versions the API covers, checked at run time or compile time |
//! | [`other_schema`] | building against another PVE schema |
//!
//! The `proxmoxia` command is the crate `proxmoxia-cli`, with its own manual
//! (`proxmoxia --help`, and that crate's README); how the crate is built and tested is in the
//! repository's `docs/`.

pub mod connecting {
    #![doc = include_str!("connecting.md")]
}
pub mod auth {
    #![doc = include_str!("auth.md")]
}
pub mod typed_calls {
    #![doc = include_str!("typed_calls.md")]
}
pub mod naming {
    #![doc = include_str!("naming.md")]
}
pub mod property_strings {
    #![doc = include_str!("property_strings.md")]
}
pub mod serde {
    #![doc = include_str!("serde.md")]
}
pub mod raw {
    #![doc = include_str!("raw.md")]
}
pub mod tasks {
    #![doc = include_str!("tasks.md")]
}
pub mod transfers {
    #![doc = include_str!("transfers.md")]
}
pub mod errors {
    #![doc = include_str!("errors.md")]
}
pub mod blocking {
    #![doc = include_str!("blocking.md")]
}
pub mod consoles {
    #![doc = include_str!("consoles.md")]
}
pub mod audit {
    #![doc = include_str!("audit.md")]
}
pub mod mock {
    #![doc = include_str!("mock.md")]
}
pub mod versions {
    #![doc = include_str!("versions.md")]
}
pub mod other_schema {
    #![doc = include_str!("other_schema.md")]
}
