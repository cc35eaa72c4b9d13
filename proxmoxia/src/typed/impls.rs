//! The bodies of the generated types' trait impls, written once: each generated impl is a
//! one-line call into here (cheap to compile, one place to read). Reached by generated code
//! through `crate::__private`.

use std::fmt;
use std::marker::PhantomData;

use crate::typed::params::Validate;
use crate::values::encode::Encode;

/// `Serialize` of a generated type through [`Encode`]: PVE's JSON shape, one generic body
/// for all types.
#[doc(hidden)]
pub fn serialize<T: Encode, S: serde_core::Serializer>(
    value: &T,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serde_core::Serialize::serialize(&value.encode(), serializer)
}

/// `Deserialize` of a generated enum: its wire text (numbers and booleans as PVE writes them
/// in text, for enums of integers).
#[doc(hidden)]
pub fn enum_value<'de, T, D>(d: D) -> std::result::Result<T, D::Error>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
    D: serde_core::Deserializer<'de>,
{
    d.deserialize_any(EnumText(PhantomData))
}

/// [`enum_value`] of an optional field: `""` is absent.
#[doc(hidden)]
pub fn enum_value_in_option<'de, T, D>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
    D: serde_core::Deserializer<'de>,
{
    d.deserialize_any(crate::decode::EmptyIsAbsent(EnumText(PhantomData)))
}

struct EnumText<T>(PhantomData<fn() -> T>);

impl<T: std::str::FromStr> serde_core::de::Visitor<'_> for EnumText<T>
where
    T::Err: fmt::Display,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one of the enum's values")
    }
    fn visit_str<E: serde_core::de::Error>(self, v: &str) -> std::result::Result<T, E> {
        v.parse().map_err(E::custom)
    }
    fn visit_i64<E: serde_core::de::Error>(self, v: i64) -> std::result::Result<T, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: serde_core::de::Error>(self, v: u64) -> std::result::Result<T, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_bool<E: serde_core::de::Error>(self, v: bool) -> std::result::Result<T, E> {
        self.visit_str(if v { "1" } else { "0" })
    }
}

/// `Debug` of a generated struct: one call with a slice of fields, cheaper to compile than
/// a chain of `.field(..)` calls per type.
#[doc(hidden)]
pub fn debug_struct(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, &dyn std::fmt::Debug)],
) -> std::fmt::Result {
    let mut out = f.debug_struct(name);
    for (field, value) in fields {
        out.field(field, value);
    }
    out.finish()
}

/// [`debug_struct`] showing the fields named in `hidden` as `***`.
#[doc(hidden)]
pub fn debug_struct_hiding(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, &dyn std::fmt::Debug)],
    hidden: &[&str],
) -> std::fmt::Result {
    struct Hidden;
    impl std::fmt::Debug for Hidden {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(crate::secret::REDACTED)
        }
    }
    let mut out = f.debug_struct(name);
    for (field, value) in fields {
        if hidden.contains(field) {
            out.field(field, &Hidden);
        } else {
            out.field(field, value);
        }
    }
    out.finish()
}

/// `Debug` of a generated params struct: its name and the parameters as they would be sent,
/// secrets hidden (those typed [`Secret`](crate::Secret), and those its list of secrets
/// names though they are typed as text).
#[doc(hidden)]
pub fn debug_params<P: Validate>(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    params: &P,
) -> std::fmt::Result {
    let mut shown = params.encode_redacted();
    if let Some(map) = shown.as_object_mut() {
        for (key, value) in map.iter_mut() {
            let secret = P::SECRETS.iter().any(|&(name, family)| {
                key == name || family && crate::decode::family_index(key, name).is_some()
            });
            if secret {
                *value = serde_json::Value::String(crate::secret::REDACTED.to_owned());
            }
        }
    }
    write!(f, "{name} {shown}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::api::cluster::acme::plugins;

    /// Credentials typed as text are `***` in `Debug`, in parameters and answers alike.
    #[test]
    fn credentials_typed_as_text_are_hidden_in_debug() {
        let plugin =
            json!({"plugin": "dns1", "type": "dns", "api": "cf", "data": "CF_Token=T0KEN"});
        let one: plugins::id::get::Response = crate::decode::from_value(plugin.clone()).unwrap();
        let list: plugins::get::Response = crate::decode::from_value(json!([plugin])).unwrap();
        let params = plugins::id::put::Params {
            data: Some("CF_Token=T0KEN".into()),
            ..crate::typed::params_from_json::<plugins::id::put::Endpoint>(json!({})).unwrap()
        };
        let options = crate::api::cluster::options::put::Params {
            http_proxy: Some("http://u:PR0XYPASS@proxy:3128/".into()),
            ..crate::typed::params_from_json::<crate::api::cluster::options::put::Endpoint>(json!(
                {}
            ))
            .unwrap()
        };
        for shown in [
            format!("{one:?}"),
            format!("{list:?}"),
            format!("{params:?}"),
            format!("{options:?}"),
        ] {
            assert!(
                !shown.contains("T0KEN") && !shown.contains("PR0XYPASS"),
                "{shown}"
            );
            assert!(shown.contains("***"), "{shown}");
        }
        // The value itself is there, and goes on the wire.
        assert_eq!(one.data.as_deref(), Some("CF_Token=T0KEN"));
    }
}
