//! The runtime behind the generated API, written once for every endpoint.
//!
//! Generated code only *describes* endpoints: an [`Endpoint`] impl on a marker type (naming
//! its entry in [`crate::catalog`], the schema's rules as data), the parameter and answer
//! types, and one-line bodies calling into here. The parts, bottom up: [`encode`] (values to
//! PVE's wire JSON),
//! [`propstring`] (`key=value,...` strings), `schema` (what the schema says of a method),
//! `request` (the [`Endpoint`] trait, a path and parameters, sent), and the hidden helpers the generated impls call.
//! With the `audit` feature, `Extras`: what a decoded answer holds that its type does not
//! know.

pub mod encode;
#[cfg(feature = "audit")]
pub(crate) mod extras;
pub(crate) mod impls;
pub(crate) mod list;
mod macros;
pub mod propstring;
mod request;
pub(crate) mod schema;

pub use encode::Encode;
#[cfg(feature = "audit")]
pub use extras::{Extras, UnknownField, UnknownKind, Unknowns, unknown_fields};
pub use list::{List, Tags};
pub(crate) use macros::{
    pve_closed_enum, pve_deserialize, pve_endpoint, pve_enum_serde, pve_handle, pve_open_enum,
    pve_params_struct, pve_property_string, pve_required_struct, pve_response_struct,
    pve_serialize,
};
pub use propstring::{PropError, PropertyString, Unparsed};
pub use request::{
    AsPathHandle, Endpoint, PathHandle, Request, ResponseFuture, params_from_json, validate_for,
};
pub use schema::{HttpMethod, NoParams, UnknownVariant, Validate};
