//! The runtime behind the generated API, written once for every endpoint.
//!
//! Generated code only *describes* endpoints: an [`Endpoint`] impl on a marker type (naming
//! its entry in [`crate::catalog`], the schema's rules as data), the parameter and answer
//! types, and one-line bodies calling into here. The values (`crate::values`, below
//! validation and the client): [`encode`] (values to PVE's wire JSON), [`propstring`]
//! (`key=value,...` strings), [`List`]; here, on top of them: `schema` (what the schema says of a method),
//! `request` (the [`Endpoint`] trait, a path and parameters, sent), and the hidden helpers the generated impls call.
//! With the `audit` feature, `Extras`: what a decoded answer holds that its type does not
//! know.

pub(crate) mod impls;
pub(crate) mod params;
mod request;

pub use crate::values::{encode, propstring};

pub use crate::values::encode::Encode;
#[cfg(feature = "audit")]
pub use crate::values::extras::{Extras, UnknownField, UnknownKind, Unknowns, unknown_fields};
pub use crate::values::list::{List, Tags};
pub use crate::values::propstring::{PropError, PropertyString, Unparsed};
pub(crate) use crate::values::{
    pve_closed_enum, pve_deserialize, pve_endpoint, pve_enum_serde, pve_handle, pve_open_enum,
    pve_params_struct, pve_property_string, pve_required_struct, pve_response_struct,
    pve_serialize,
};
pub use params::{HttpMethod, NoParams, UnknownVariant, Validate};
pub use request::{
    AsPathHandle, Endpoint, PathHandle, Request, ResponseFuture, params_from_json, validate_for,
};
