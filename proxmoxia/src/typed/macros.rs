//! `macro_rules!` that turn the generator's compact descriptions into types. Keeping the
//! boilerplate here keeps the proc macro's output small (rust-analyzer has a per-expansion
//! token limit) and writes each behaviour once.
//!
//! Every method here is `#[inline]`, `Debug` included (written out rather than derived): an
//! inline method is compiled where it is used, so the thousands of generated types cost a
//! user's build only type checking, not code generation, until they are used.

/// A struct of an answer: lenient decoding, unknown fields kept in `extra`.
///
/// Each field is `"wire-name" how name: Type`, where `how` is `field` (one key) or `indexed`
/// (a family `name0`, `name1`, ... as `BTreeMap<u32, T>`).
macro_rules! pve_response_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $wire:literal $how:ident $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Fields PVE sent that the schema does not list.
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::typed::debug_struct(f, stringify!($name), &[
                    $( (stringify!($field), &self.$field), )*
                    ("extra", &self.extra),
                ])
            }
        }

        impl $crate::typed::Decode for $name {
            #[inline]
            fn decode(
                value: ::serde_json::Value,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                let mut map = $crate::typed::decode::object(value, at)?;
                let mut fields = $crate::typed::decode::Fields::new(&mut map, at);
                $( let $field = fields.$how($wire); )*
                #[allow(unreachable_patterns)]
                match ($( $field, )*) {
                    ($( ::std::option::Option::Some($field), )*) => {
                        ::std::result::Result::Ok($name { $( $field, )* extra: map })
                    }
                    _ => ::std::result::Result::Err(fields.into_failure()),
                }
            }
        }

    };
}

/// The parameters of one endpoint: `new` takes the required ones (positionally, or by name
/// in the endpoint's `Required` struct when there are two or more: `by Required`), decoding
/// refuses unknown names (typos), encoding gives the wire form.
macro_rules! pve_params_struct {
    (
        $(#[$meta:meta])*
        $name:ident rules $rules:literal by $req:ident {
            required { $( $(#[$rmeta:meta])* $rwire:literal $rhow:ident $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $owire:literal $ohow:ident $ofield:ident : $oty:ty ),* $(,)? }
        }
    ) => {
        $crate::typed::pve_params_struct! { @body
            $(#[$meta])* $name rules $rules
            required { $( $(#[$rmeta])* $rwire $rhow $rfield : $rty ),* }
            optional { $( $(#[$ometa])* $owire $ohow $ofield : $oty ),* }
        }

        impl $name {
            /// The parameters with the required ones set and the others left out.
            #[inline]
            pub fn new(required: $req) -> Self {
                let $req { $( $rfield, )* } = required;
                $name {
                    $( $rfield, )*
                    $( $ofield: ::std::default::Default::default(), )*
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident rules $rules:literal {
            required { $( $(#[$rmeta:meta])* $rwire:literal $rhow:ident $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $owire:literal $ohow:ident $ofield:ident : $oty:ty ),* $(,)? }
        }
    ) => {
        $crate::typed::pve_params_struct! { @body
            $(#[$meta])* $name rules $rules
            required { $( $(#[$rmeta])* $rwire $rhow $rfield : $rty ),* }
            optional { $( $(#[$ometa])* $owire $ohow $ofield : $oty ),* }
        }

        impl $name {
            /// The parameters with the required one set and the others left out.
            #[allow(clippy::new_without_default)]
            #[inline]
            pub fn new($( $rfield: $rty ),*) -> Self {
                $name {
                    $( $rfield, )*
                    $( $ofield: ::std::default::Default::default(), )*
                }
            }
        }
    };
    (
        @body
        $(#[$meta:meta])*
        $name:ident rules $rules:literal
        required { $( $(#[$rmeta:meta])* $rwire:literal $rhow:ident $rfield:ident : $rty:ty ),* }
        optional { $( $(#[$ometa:meta])* $owire:literal $ohow:ident $ofield:ident : $oty:ty ),* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$rmeta])* pub $rfield: $rty, )*
            $( $(#[$ometa])* pub $ofield: $oty, )*
        }

        impl $crate::typed::Decode for $name {
            #[inline]
            fn decode(
                value: ::serde_json::Value,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                let mut map = match value {
                    ::serde_json::Value::Null => ::serde_json::Map::new(),
                    other => $crate::typed::decode::object(other, at)?,
                };
                let mut fields = $crate::typed::decode::Fields::new(&mut map, at);
                $( let $rfield = fields.$rhow($rwire); )*
                $( let $ofield = fields.$ohow($owire); )*
                #[allow(unreachable_patterns)]
                let params = match ($( $rfield, )* $( $ofield, )*) {
                    ($( ::std::option::Option::Some($rfield), )* $( ::std::option::Option::Some($ofield), )*) => {
                        $name { $( $rfield, )* $( $ofield, )* }
                    }
                    _ => return ::std::result::Result::Err(fields.into_failure()),
                };
                $crate::typed::decode::no_unknown_fields(map, at)?;
                ::std::result::Result::Ok(params)
            }
        }

        impl $name {
            #[inline]
            fn encode_fields(&self, redact: bool) -> ::serde_json::Value {
                #[allow(unused_mut)]
                let mut out = ::serde_json::Map::new();
                $( $crate::typed::encode::$rhow(&mut out, $rwire, &self.$rfield, redact); )*
                $( $crate::typed::encode::$ohow(&mut out, $owire, &self.$ofield, redact); )*
                ::serde_json::Value::Object(out)
            }
        }

        impl $crate::typed::Encode for $name {
            #[inline]
            fn encode(&self) -> ::serde_json::Value {
                self.encode_fields(false)
            }
            #[inline]
            fn encode_redacted(&self) -> ::serde_json::Value {
                self.encode_fields(true)
            }
        }

        /// The parameters as they would be sent, secrets hidden.
        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::typed::debug_params(f, stringify!($name), self)
            }
        }

        impl $crate::typed::Validate for $name {
            const RULES: &'static str = $rules;
            #[inline]
            fn validate(&self) -> $crate::Result<()> {
                $crate::validate::params_json(&$crate::typed::Encode::encode(self), $rules)
            }
        }

        $crate::typed::pve_serde!($name);
    };
}

/// The required parameters of an endpoint that has two or more, as named fields: a call
/// names each one, so two of the same type cannot be swapped, and one a newer schema adds
/// is a missing field, not a silent shift.
macro_rules! pve_required_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $wire:literal $how:ident $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::typed::debug_struct(f, stringify!($name), &[
                    $( (stringify!($field), &self.$field), )*
                ])
            }
        }
    };
}

/// A property-string type: every key optional (PVE may leave any out; required ones are
/// checked before sending), chainable setters, unknown keys kept, and text PVE sent that
/// cannot be read kept as it came.
macro_rules! pve_property_string {
    (
        $(#[$meta:meta])*
        $name:ident format $format:literal {
            $( $(#[$fmeta:meta])* $wire:literal $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: ::std::option::Option<$ty>, )*
            /// Keys the schema does not list, kept and written back.
            pub extra: ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
            unparsed: ::std::option::Option<$crate::typed::Unparsed>,
        }

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::typed::debug_struct(f, stringify!($name), &[
                    $( (stringify!($field), &self.$field), )*
                    ("extra", &self.extra),
                    ("unparsed", &self.unparsed),
                ])
            }
        }

        impl $name {
            /// Every key left out.
            #[inline]
            pub fn new() -> Self {
                ::std::default::Default::default()
            }

            /// Reads a property string; a key that does not fit is an error.
            #[inline]
            pub fn parse(text: &str) -> ::std::result::Result<Self, $crate::typed::PropError> {
                $crate::typed::propstring::from_text(text)
            }

            /// The text PVE sent when it could not be read; the typed keys are then empty.
            #[inline]
            pub fn unparsed(&self) -> ::std::option::Option<&$crate::typed::Unparsed> {
                self.unparsed.as_ref()
            }

            $(
                $(#[$fmeta])*
                #[inline]
                pub fn $field(mut self, value: impl ::std::convert::Into<$ty>) -> Self {
                    self.$field = ::std::option::Option::Some(value.into());
                    self
                }
            )*
        }

        impl $crate::typed::PropertyString for $name {
            #[inline]
            fn format() -> &'static $crate::typed::rules::PropFormat {
                $crate::typed::rules::prop_format($format)
            }

            #[inline]
            fn take_keys(
                map: &mut ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                let mut fields = $crate::typed::decode::Fields::new(map, at);
                $( let $field = fields.field($wire); )*
                #[allow(unreachable_patterns)]
                match ($( $field, )*) {
                    ($( ::std::option::Option::Some($field), )*) => ::std::result::Result::Ok($name {
                        $( $field, )*
                        extra: ::std::default::Default::default(),
                        unparsed: ::std::option::Option::None,
                    }),
                    _ => ::std::result::Result::Err(fields.into_failure()),
                }
            }

            #[inline]
            fn put_keys(&self, out: &mut ::serde_json::Map<::std::string::String, ::serde_json::Value>) {
                $( $crate::typed::encode::field(out, $wire, &self.$field, false); )*
            }

            #[inline]
            fn extra(&self) -> &::std::collections::BTreeMap<::std::string::String, ::std::string::String> {
                &self.extra
            }

            #[inline]
            fn extra_mut(&mut self) -> &mut ::std::collections::BTreeMap<::std::string::String, ::std::string::String> {
                &mut self.extra
            }

            #[inline]
            fn unparsed(&self) -> ::std::option::Option<&$crate::typed::Unparsed> {
                self.unparsed.as_ref()
            }

            #[inline]
            fn set_unparsed(&mut self, unparsed: $crate::typed::Unparsed) {
                self.unparsed = ::std::option::Option::Some(unparsed);
            }
        }

        impl $crate::typed::Decode for $name {
            #[inline]
            fn decode(
                value: ::serde_json::Value,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                $crate::typed::propstring::decode(value, at)
            }
        }

        impl $crate::typed::Encode for $name {
            #[inline]
            fn encode(&self) -> ::serde_json::Value {
                ::serde_json::Value::String($crate::typed::propstring::to_text(self))
            }
        }

        impl ::std::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::typed::propstring::to_text(self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::typed::PropError;
            #[inline]
            fn from_str(text: &str) -> ::std::result::Result<Self, $crate::typed::PropError> {
                $crate::typed::propstring::from_text(text)
            }
        }
    };
}

/// serde `Serialize`/`Deserialize` through `Encode`/`Decode`.
macro_rules! pve_serde {
    ($name:ident) => {
        impl ::serde_core::Serialize for $name {
            #[inline]
            fn serialize<S: ::serde_core::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::typed::serde_support::serialize(self, s)
            }
        }
        impl<'de> ::serde_core::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::typed::serde_support::deserialize(d)
            }
        }
    };
}

/// An enum of a request parameter: closed, an unknown value is an error.
///
/// Each value is `Variant = "wire"`, then optionally `doc "text"` (replacing the doc, which
/// is the wire value) and `if cfg-predicate` (the value exists only where it holds: the
/// `proxmoxia_pve` cfg leaves out values a chosen PVE version lacks).
macro_rules! pve_closed_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $wire:literal $(doc $vdoc:literal)? $(if $cfg:meta)? ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Hash)]
        pub enum $name {
            $(
                #[doc = $crate::typed::pve_closed_enum!(@doc $wire $($vdoc)?)]
                $(#[cfg($cfg)])?
                $variant,
            )*
        }

        // Written out: the derive adds a method per type that is compiled to machine code.
        impl ::std::cmp::Eq for $name {}

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(match self { $( $(#[cfg($cfg)])? $name::$variant => stringify!($variant), )* })
            }
        }

        impl $name {
            /// The value as PVE writes it.
            #[inline]
            pub const fn as_str(&self) -> &'static str {
                match self { $( $(#[cfg($cfg)])? $name::$variant => $wire, )* }
            }
        }

        impl ::std::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::typed::UnknownVariant;
            #[inline]
            fn from_str(s: &str) -> ::std::result::Result<Self, $crate::typed::UnknownVariant> {
                match s {
                    $( $(#[cfg($cfg)])? $wire => ::std::result::Result::Ok($name::$variant), )*
                    _ => ::std::result::Result::Err($crate::typed::UnknownVariant::new(s, &[$($wire),*])),
                }
            }
        }

        impl $crate::typed::Decode for $name {
            #[inline]
            fn decode(
                value: ::serde_json::Value,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                let text = <::std::string::String as $crate::typed::Decode>::decode(value, at)?;
                text.parse().map_err(|e: $crate::typed::UnknownVariant| {
                    $crate::typed::DecodeFailure::new(at, e.to_string())
                })
            }
        }

        impl $crate::typed::Encode for $name {
            #[inline]
            fn encode(&self) -> ::serde_json::Value {
                ::serde_json::Value::String(self.as_str().to_owned())
            }
        }

    };
    (@doc $wire:literal) => { concat!("`", $wire, "`") };
    (@doc $wire:literal $doc:literal) => { $doc };
}

/// An enum of an answer: open, a value a newer PVE adds arrives as `Unrecognized`.
macro_rules! pve_open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $wire:literal $(doc $vdoc:literal)? ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( #[doc = $crate::typed::pve_closed_enum!(@doc $wire $($vdoc)?)] $variant, )*
            /// A value this schema does not list (from a newer PVE).
            Unrecognized(::std::string::String),
        }

        // Written out: the derive adds a method per type that is compiled to machine code.
        impl ::std::cmp::Eq for $name {}

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $( $name::$variant => f.write_str(stringify!($variant)), )*
                    $name::Unrecognized(value) => f.debug_tuple("Unrecognized").field(value).finish(),
                }
            }
        }

        impl $name {
            /// The value as PVE writes it.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self { $( $name::$variant => $wire, )* $name::Unrecognized(s) => s }
            }
        }

        impl ::std::fmt::Display for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            #[inline]
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )*
                    _ => $name::Unrecognized(s.to_owned()),
                }
            }
        }

        impl $crate::typed::Decode for $name {
            #[inline]
            fn decode(
                value: ::serde_json::Value,
                at: &$crate::typed::Location<'_>,
            ) -> ::std::result::Result<Self, $crate::typed::DecodeFailure> {
                let text = <::std::string::String as $crate::typed::Decode>::decode(value, at)?;
                Ok($name::from(text.as_str()))
            }
        }

        impl $crate::typed::Encode for $name {
            #[inline]
            fn encode(&self) -> ::serde_json::Value {
                ::serde_json::Value::String(self.as_str().to_owned())
            }
        }

    };
}

/// The request type of one endpoint (`Endpoint` of the same module): its own type, so its
/// setters (written by the generator in an `impl` of it) are documented on its own page.
/// It derefs to `typed::Request<Endpoint>` for the methods all requests share. `task` or
/// `maybe_task` adds `.task()` (`.maybe_task()`) for methods that answer a task's id.
macro_rules! pve_request {
    ($(#[$meta:meta])* $name:ident $($task:ident)?) => {
        $(#[$meta])*
        #[must_use = "a request does nothing until it is awaited"]
        pub struct $name(pub(crate) $crate::typed::Request<Endpoint>);

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::typed::Request<Endpoint>;
            #[inline]
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl ::std::ops::DerefMut for $name {
            #[inline]
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl ::std::convert::From<$name> for $crate::typed::Request<Endpoint> {
            #[inline]
            fn from(request: $name) -> Self {
                request.0
            }
        }

        impl ::std::convert::From<$crate::typed::Request<Endpoint>> for $name {
            #[inline]
            fn from(request: $crate::typed::Request<Endpoint>) -> Self {
                $name(request)
            }
        }

        impl ::std::future::IntoFuture for $name {
            type Output = $crate::Result<<Endpoint as $crate::typed::Endpoint>::Response>;
            type IntoFuture = $crate::typed::ResponseFuture<<Endpoint as $crate::typed::Endpoint>::Response>;
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                ::std::future::IntoFuture::into_future(self.0)
            }
        }

        impl $name {
            /// Sends the request and decodes the answer (what `.await` does).
            #[inline]
            pub async fn send(self) -> $crate::Result<<Endpoint as $crate::typed::Endpoint>::Response> {
                self.0.send().await
            }

            /// Sends the request and returns PVE's answer undecoded (the `data` value).
            #[inline]
            pub async fn send_json(self) -> $crate::Result<::serde_json::Value> {
                self.0.send_json().await
            }

            /// Adds a parameter the schema does not know (a newer PVE's). Not validated.
            #[inline]
            pub fn extra_param(self, name: &str, value: impl ::std::fmt::Display) -> Self {
                $name(self.0.extra_param(name, value))
            }

            /// Replaces all parameters.
            #[inline]
            pub fn with_params(self, params: <Endpoint as $crate::typed::Endpoint>::Params) -> Self {
                $name(self.0.with_params(params))
            }
        }

        $( $crate::typed::pve_request!(@$task $name); )?
    };
    (@task $name:ident) => {
        impl $name {
            /// Sends the request, which starts a PVE task, and returns a handle to wait for it.
            #[inline]
            pub async fn task(self) -> $crate::Result<$crate::TaskHandle> {
                self.0.task().await
            }
        }
    };
    (@maybe_task $name:ident) => {
        impl $name {
            /// Sends the request, which may start a PVE task; the handle, if it did.
            #[inline]
            pub async fn maybe_task(self) -> $crate::Result<::std::option::Option<$crate::TaskHandle>> {
                self.0.maybe_task().await
            }
        }
    };
}

/// The handle of one API path (a `PathHandle` under a name of its own).
macro_rules! pve_handle {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(pub(crate) $crate::typed::PathHandle);

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl $crate::typed::AsPathHandle for $name {
            #[inline]
            fn path_handle(&self) -> $crate::typed::PathHandle {
                self.0.clone()
            }
        }
    };
}

/// The marker of one endpoint and its `Endpoint` impl.
macro_rules! pve_endpoint {
    (
        $(#[$meta:meta])*
        $method:ident $path:literal $name:literal suffix $suffix:literal
        path_rules $path_rules:literal versions $versions:literal
        handle $handle:ty, params $params:ty, response $response:ty
    ) => {
        // A marker type, never a value: no derives (each would be code to check).
        $(#[$meta])*
        #[allow(missing_debug_implementations)]
        pub struct Endpoint;

        impl $crate::typed::Endpoint for Endpoint {
            const INFO: $crate::typed::EndpointInfo = $crate::typed::EndpointInfo {
                method: $crate::typed::HttpMethod::$method,
                path: $path,
                name: $name,
                suffix: $suffix,
                path_rules: $path_rules,
                versions: $versions,
            };
            type Handle = $handle;
            type Params = $params;
            type Response = $response;
        }
    };
}

pub(crate) use {
    pve_closed_enum, pve_endpoint, pve_handle, pve_open_enum, pve_params_struct,
    pve_property_string, pve_request, pve_required_struct, pve_response_struct, pve_serde,
};
