//! `macro_rules!` that turn the generator's compact descriptions into types. Keeping the
//! boilerplate here keeps the proc macro's output small (rust-analyzer has a per-expansion
//! token limit) and writes each behaviour once.
//!
//! Every method here is `#[inline]`, `Debug` included (written out rather than derived): an
//! inline method is compiled where it is used, so the thousands of generated types cost a
//! user's build only type checking, not code generation, until they are used.

/// A struct of an answer: `Deserialize` straight from the body, leniently (see
/// `crate::decode`), unknown fields kept in `extra`; `Serialize` writes what PVE sends
/// (unknown fields back out). With the `audit` feature, `Extras` lists what it does not know
/// (the answer audit; property strings and open enums have it too).
///
/// `fields` are one key each (`"wire" name: Type`); `families` are the indexed ones
/// (`"net" nets: BTreeMap<u32, T>`, from `net0`, `net1`, ...); `hidden` fields hold
/// credentials typed as text, shown as `***` by `Debug`.
macro_rules! pve_response_struct {
    (
        $(#[$meta:meta])*
        $name:ident $(hidden [$($hidden:ident),*])? {
            fields { $( $(#[$fmeta:meta])* $wire:literal $field:ident : $ty:ty ),* $(,)? }
            families { $( $(#[$gmeta:meta])* $gwire:literal $gfield:ident : $gty:ty ),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
            $( $(#[$gmeta])* pub $gfield: $gty, )*
            /// Fields PVE sent that the schema does not list.
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }

        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::__private::debug_struct_hiding(f, stringify!($name), &[
                    $( (stringify!($field), &self.$field), )*
                    $( (stringify!($gfield), &self.$gfield), )*
                    ("extra", &self.extra),
                ], &[$($(stringify!($hidden)),*)?])
            }
        }

        $crate::typed::pve_deserialize!(
            $name [$( $wire $field : $ty ),*] [$( $gwire $gfield : $gty ),*]
        );

        impl $crate::typed::Encode for $name {
            #[inline]
            fn encode(&self) -> ::serde_json::Value {
                let mut out = self.extra.clone();
                $( $crate::__private::encode_field(&mut out, $wire, &self.$field, false); )*
                $( $crate::__private::encode_family(&mut out, $gwire, &self.$gfield, false); )*
                ::serde_json::Value::Object(out)
            }
        }

        $crate::typed::pve_serialize!($name);

        #[cfg(feature = "audit")]
        impl $crate::typed::Extras for $name {
            #[inline]
            fn extras(&self, found: &mut $crate::typed::Unknowns) {
                $( found.field($wire, &self.$field); )*
                $( found.family($gwire, &self.$gfield); )*
                found.extra_fields(&self.extra);
            }
        }
    };
}

/// `Deserialize` (and `Lenient`) of a generated answer struct: a visitor of the object's
/// keys, each field read in place, no intermediate JSON tree; unknown keys go to `extra`.
/// Written for the compiler as much as for speed: one error check per key, no `?` per
/// field, the required fields checked in one match at the end.
macro_rules! pve_deserialize {
    (
        $name:ident
        [$( $wire:literal $field:ident : $ty:ty ),* $(,)?]
        [$( $gwire:literal $gfield:ident : $gty:ty ),*]
    ) => {
        impl<'de> ::serde_core::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Visit;
                impl<'de> ::serde_core::de::Visitor<'de> for Visit {
                    type Value = $name;
                    #[inline]
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("an object")
                    }
                    #[inline]
                    fn visit_map<A: ::serde_core::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        $( let mut $field: ::std::option::Option<$ty> = ::std::option::Option::None; )*
                        $( let mut $gfield: $gty = ::std::default::Default::default(); )*
                        let mut extra = ::serde_json::Map::new();
                        loop {
                            let key = match map.next_key::<$crate::__private::Key<'de>>() {
                                ::std::result::Result::Ok(::std::option::Option::Some(key)) => key,
                                ::std::result::Result::Ok(::std::option::Option::None) => break,
                                ::std::result::Result::Err(e) => return ::std::result::Result::Err(e),
                            };
                            let key = key.as_str();
                            #[allow(unused_labels)]
                            let step = match key {
                                $( $wire => $crate::__private::field(&mut map, key, &mut $field), )*
                                _ => 'other: {
                                    $(
                                        if let ::std::option::Option::Some(index) =
                                            $crate::__private::family_index(key, $gwire)
                                        {
                                            break 'other $crate::__private::member(&mut map, key, index, &mut $gfield);
                                        }
                                    )*
                                    $crate::__private::keep_unknown(&mut map, key, &mut extra)
                                }
                            };
                            if let ::std::result::Result::Err(e) = step {
                                return ::std::result::Result::Err(e);
                            }
                        }
                        let mut missing = ::std::option::Option::None;
                        #[allow(unreachable_patterns)]
                        match ($( $crate::__private::finish($field, $wire, &mut missing), )*) {
                            ($( ::std::option::Option::Some($field), )*) => {
                                ::std::result::Result::Ok($name { $( $field, )* $( $gfield, )* extra })
                            }
                            _ => ::std::result::Result::Err($crate::__private::missing_field(missing)),
                        }
                    }
                }
                d.deserialize_map(Visit)
            }
        }

        impl $crate::__private::Generated for $name {}
    };
}

/// The parameters of one endpoint: `new` takes the required ones (positionally, or by name
/// in the endpoint's `Required` struct when there are two or more: `by Required`), decoding
/// refuses unknown names (typos), encoding gives the wire form.
macro_rules! pve_params_struct {
    (
        $(#[$meta:meta])*
        $name:ident rules $rules:literal $(by $req:ident)? $(secrets [$($secret:expr),*])? {
            required { $( $(#[$rmeta:meta])* $rwire:literal $rfield:ident : $rty:ty ),* $(,)? }
            optional { $( $(#[$ometa:meta])* $owire:literal $ofield:ident : $oty:ty ),* $(,)? }
            families { $( $(#[$gmeta:meta])* $gwire:literal $gfield:ident : $gty:ty ),* $(,)? }
        }
    ) => {
        $crate::typed::pve_params_struct! { @body
            $(#[$meta])* $name rules $rules secrets [$($($secret),*)?]
            required { $( $(#[$rmeta])* $rwire $rfield : $rty ),* }
            optional { $( $(#[$ometa])* $owire $ofield : $oty ),* }
            families { $( $(#[$gmeta])* $gwire $gfield : $gty ),* }
        }

        impl $name {
            $crate::typed::pve_params_struct! {
                @new $name [$($req)?] [$( $rfield : $rty ),*] [$( $ofield )* $( $gfield )*]
            }
        }
    };
    // `new` by the `Required` struct: its fields are the required parameters.
    (@new $name:ident [$req:ident] [$( $rfield:ident : $rty:ty ),*] [$( $other:ident )*]) => {
        /// The parameters with the required ones set and the others left out.
        #[inline]
        pub fn new(required: $req) -> Self {
            let $req { $( $rfield, )* } = required;
            $name { $( $rfield, )* $( $other: ::std::default::Default::default(), )* }
        }
    };
    // `new` with the required parameter (if any) as its argument.
    (@new $name:ident [] [$( $rfield:ident : $rty:ty ),*] [$( $other:ident )*]) => {
        /// The parameters with the required one set and the others left out.
        #[allow(clippy::new_without_default)]
        #[inline]
        pub fn new($( $rfield: $rty ),*) -> Self {
            $name { $( $rfield, )* $( $other: ::std::default::Default::default(), )* }
        }
    };
    (
        @body
        $(#[$meta:meta])*
        $name:ident rules $rules:literal secrets [$($secret:expr),*]
        required { $( $(#[$rmeta:meta])* $rwire:literal $rfield:ident : $rty:ty ),* }
        optional { $( $(#[$ometa:meta])* $owire:literal $ofield:ident : $oty:ty ),* }
        families { $( $(#[$gmeta:meta])* $gwire:literal $gfield:ident : $gty:ty ),* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$rmeta])* pub $rfield: $rty, )*
            $( $(#[$ometa])* pub $ofield: $oty, )*
            $( $(#[$gmeta])* pub $gfield: $gty, )*
        }

        impl $crate::__private::FromFields for $name {
            #[inline]
            fn from_fields(
                fields: &mut $crate::__private::Fields,
            ) -> ::std::option::Option<Self> {
                $( let $rfield = fields.field::<$rty>($rwire); )*
                $( let $ofield = fields.field::<$oty>($owire); )*
                $( let $gfield: ::std::option::Option<$gty> = fields.family($gwire); )*
                #[allow(unreachable_patterns)]
                match ($( $rfield, )* $( $ofield, )* $( $gfield, )*) {
                    (
                        $( ::std::option::Option::Some($rfield), )*
                        $( ::std::option::Option::Some($ofield), )*
                        $( ::std::option::Option::Some($gfield), )*
                    ) => ::std::option::Option::Some($name {
                        $( $rfield, )* $( $ofield, )* $( $gfield, )*
                    }),
                    _ => ::std::option::Option::None,
                }
            }
        }

        /// Read as JSON and then as [`typed::params_from_json`]($crate::typed::params_from_json)
        /// reads it: leniently, unknown names refused.
        impl<'de> ::serde_core::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::params_deserialize(d)
            }
        }

        impl $name {
            #[inline]
            fn encode_fields(&self, redact: bool) -> ::serde_json::Value {
                #[allow(unused_mut)]
                let mut out = ::serde_json::Map::new();
                $( $crate::__private::encode_field(&mut out, $rwire, &self.$rfield, redact); )*
                $( $crate::__private::encode_field(&mut out, $owire, &self.$ofield, redact); )*
                $( $crate::__private::encode_family(&mut out, $gwire, &self.$gfield, redact); )*
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
                $crate::__private::debug_params(f, stringify!($name), self)
            }
        }

        impl $crate::typed::Validate for $name {
            const RULES: &'static [$crate::catalog::Param] =
                $crate::api::__catalog::METHODS[$rules].params;
            const SECRETS: &'static [(&'static str, bool)] = &[$($secret),*];
        }

        $crate::typed::pve_serialize!($name);
    };
}

/// The required parameters of an endpoint that has two or more, as named fields: a call
/// names each one, so two of the same type cannot be swapped, and one a newer schema adds
/// is a missing field, not a silent shift.
macro_rules! pve_required_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $wire:literal $field:ident : $ty:ty ),* $(,)?
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
                $crate::__private::debug_struct(f, stringify!($name), &[
                    $( (stringify!($field), &self.$field), )*
                ])
            }
        }
    };
}

/// A property-string type: every key optional (PVE may leave any out; required ones are
/// checked before sending), chainable setters, unknown keys kept, and text PVE sent that
/// cannot be read kept as it came. serde reads and writes PVE's text form.
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
                $crate::__private::debug_struct(f, stringify!($name), &[
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
            fn format() -> &'static $crate::catalog::PropFormat {
                &$crate::api::__catalog::FORMATS[$format]
            }

            #[inline]
            fn take_keys(
                keys: &mut ::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
            ) -> ::std::result::Result<Self, $crate::typed::PropError> {
                ::std::result::Result::Ok($name {
                    $( $field: $crate::__private::prop_key(keys, $wire)?, )*
                    extra: ::std::default::Default::default(),
                    unparsed: ::std::option::Option::None,
                })
            }

            #[inline]
            fn put_keys(&self, out: &mut $crate::typed::propstring::KeySlots) {
                $( out.put($wire, &self.$field); )*
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

        impl<'de> ::serde_core::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::typed::propstring::deserialize(d)
            }
        }

        impl $crate::__private::Generated for $name {}

        impl ::serde_core::Serialize for $name {
            #[inline]
            fn serialize<S: ::serde_core::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&$crate::typed::propstring::to_text(self))
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

        #[cfg(feature = "audit")]
        impl $crate::typed::Extras for $name {
            #[inline]
            fn extras(&self, found: &mut $crate::typed::Unknowns) {
                $( found.field($wire, &self.$field); )*
                found.extra_keys(&self.extra);
                found.unparsed(self.unparsed.as_ref());
            }
        }
    };
}

/// serde `Serialize` through `Encode`: PVE's JSON shape, one generic body for all types.
macro_rules! pve_serialize {
    ($name:ident) => {
        impl ::serde_core::Serialize for $name {
            #[inline]
            fn serialize<S: ::serde_core::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::__private::serialize(self, s)
            }
        }
    };
}

/// An enum of a request parameter: closed, an unknown value is an error. Non-exhaustive,
/// as the answer enums: a newer PVE may add a value, and a user's `match` must not break.
///
/// Each value is `Variant = "wire" doc "text"`, then optionally `if cfg-predicate` (the value
/// exists only where it holds: the `proxmoxia_pve` cfg leaves out values a chosen PVE
/// version lacks). The doc is a finished literal: rust-analyzer shows no doc it would have to
/// expand a macro for.
macro_rules! pve_closed_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $wire:literal doc $vdoc:literal $(if $cfg:meta)? ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = $vdoc]
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

        $crate::typed::pve_enum_serde!($name closed);

        #[cfg(feature = "audit")]
        impl $crate::typed::Extras for $name {
            #[inline]
            fn extras(&self, _: &mut $crate::typed::Unknowns) {}
        }
    };
}

/// An enum of an answer: open, a value a newer PVE adds arrives as `Unrecognized`.
macro_rules! pve_open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $wire:literal doc $vdoc:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( #[doc = $vdoc] $variant, )*
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

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            #[inline]
            fn from_str(s: &str) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                ::std::result::Result::Ok($name::from(s))
            }
        }

        $crate::typed::pve_enum_serde!($name open);

        #[cfg(feature = "audit")]
        impl $crate::typed::Extras for $name {
            #[inline]
            fn extras(&self, found: &mut $crate::typed::Unknowns) {
                if let $name::Unrecognized(value) = self {
                    found.enum_value(value);
                }
            }
        }
    };
}

/// serde, `Lenient` and `Encode` of a generated enum: its wire text (numbers read as text).
macro_rules! pve_enum_serde {
    ($name:ident $kind:ident) => {
        impl<'de> ::serde_core::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::enum_value(d)
            }
        }

        impl $crate::__private::Generated for $name {
            #[inline]
            fn deserialize_in_option<'de, D: ::serde_core::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<::std::option::Option<Self>, D::Error> {
                $crate::__private::enum_value_in_option(d)
            }
        }

        impl ::serde_core::Serialize for $name {
            #[inline]
            fn serialize<S: ::serde_core::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
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

/// The marker of one endpoint and its `Endpoint` impl: its method in the catalogue (by
/// position in the generated table) and where its handle adds it.
macro_rules! pve_endpoint {
    (
        $(#[$meta:meta])*
        catalog $catalog:literal suffix $suffix:literal
        handle $handle:ty, params $params:ty, response $response:ty
    ) => {
        // A marker type, never a value: no derives (each would be code to check).
        $(#[$meta])*
        #[allow(missing_debug_implementations)]
        pub struct Endpoint;

        impl $crate::typed::Endpoint for Endpoint {
            const CATALOG: &'static $crate::catalog::Method =
                &$crate::api::__catalog::METHODS[$catalog];
            const SUFFIX: &'static str = $suffix;
            type Handle = $handle;
            type Params = $params;
            type Response = $response;
        }
    };
}

pub(crate) use {
    pve_closed_enum, pve_deserialize, pve_endpoint, pve_enum_serde, pve_handle, pve_open_enum,
    pve_params_struct, pve_property_string, pve_required_struct, pve_response_struct,
    pve_serialize,
};
