//! The values the generated types are made of, below validation and the client: [`encode`]
//! (values to PVE's wire JSON), [`list`] (`-list` values), [`propstring`] (`key=value,...`
//! strings), the `macro_rules!` that define parameter and answer types, and with the
//! `audit` feature `extras` (what a decoded answer holds that its type does not know).
//! Users reach them as `proxmoxia::typed::*`.

pub mod encode;
#[cfg(feature = "audit")]
pub(crate) mod extras;
pub(crate) mod list;
mod macros;
pub mod propstring;

pub(crate) use macros::{
    pve_closed_enum, pve_deserialize, pve_endpoint, pve_enum_serde, pve_handle, pve_open_enum,
    pve_params_struct, pve_property_string, pve_required_struct, pve_response_struct,
    pve_serialize,
};
