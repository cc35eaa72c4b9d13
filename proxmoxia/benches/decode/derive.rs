//! The floor: a plain `#[derive(Deserialize)]` struct with the same fields and Rust types as
//! the generated `cluster::resources::get::ResponseItem`, as a careful hand-written client
//! would have it. It is lenient only where the fixture forces it, through `deserialize_with`
//! functions that read the value in place (the fastest way serde offers; an
//! `#[serde(untagged)]` helper would buffer every value and make the floor slower than it
//! need be). It does less than the typed decoder: unknown fields are skipped, not kept, and
//! no path is recorded on failure.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

#[derive(Deserialize)]
#[allow(dead_code)] // Read only through `black_box`.
pub struct Item {
    #[serde(rename = "cgroup-mode", default, deserialize_with = "int")]
    pub cgroup_mode: Option<i64>,
    #[serde(default, deserialize_with = "list")]
    pub content: Option<Vec<String>>,
    #[serde(default, deserialize_with = "num")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "int")]
    pub disk: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub diskread: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub diskwrite: Option<i64>,
    pub hastate: Option<String>,
    #[serde(rename = "host-arch")]
    pub host_arch: Option<HostArch>,
    pub id: String,
    pub level: Option<String>,
    pub lock: Option<String>,
    #[serde(default, deserialize_with = "num")]
    pub maxcpu: Option<f64>,
    #[serde(default, deserialize_with = "int")]
    pub maxdisk: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub maxmem: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub mem: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub memhost: Option<i64>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "int")]
    pub netin: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub netout: Option<i64>,
    pub network: Option<String>,
    #[serde(rename = "network-type")]
    pub network_type: Option<NetworkType>,
    pub node: Option<String>,
    pub plugintype: Option<String>,
    pub pool: Option<String>,
    pub protocol: Option<String>,
    pub sdn: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub shared: Option<bool>,
    pub status: Option<String>,
    pub storage: Option<String>,
    pub tags: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub template: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default, deserialize_with = "int")]
    pub uptime: Option<i64>,
    #[serde(default, deserialize_with = "int")]
    pub vmid: Option<i64>,
    #[serde(rename = "zone-type")]
    pub zone_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Node,
    Storage,
    Pool,
    Qemu,
    Lxc,
    Openvz,
    Sdn,
    Network,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
pub enum HostArch {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "aarch64")]
    Aarch64,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkType {
    Fabric,
    Zone,
    #[serde(other)]
    Other,
}

/// `{"data": [Item, ...]}`.
#[derive(Deserialize)]
pub struct Answer {
    pub data: Vec<Item>,
}

/// An integer, or one written as a string.
fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v).map(Some).map_err(E::custom)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.parse().map(Some).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// A number, or one written as a string.
fn num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.parse().map(Some).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// A boolean as PVE writes it: 0/1 (or true/false).
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
    }
    d.deserialize_any(V)
}

/// A comma-separated list (`"iso,vztmpl,backup"`), split as the typed `List` splits it.
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(
                v.split(',')
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ))
        }
    }
    d.deserialize_any(V)
}
