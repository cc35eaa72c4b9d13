//! PVE versions: the cluster's, and the guard that refuses, before sending, what it lacks.
//!
//! The typed API is the union of several PVE versions' schemas (`crate::api::PVE_VERSIONS`);
//! every method, parameter, enum value and property-string key knows the versions that have
//! it, as a bit mask over that list. The client learns the cluster's version once (from
//! `GET /version`, or [`ClientBuilder::pve_version`](crate::ClientBuilder::pve_version)) and
//! checks each typed call that uses something not every version has.

use std::fmt;

use serde_json::Value;

use crate::catalog::{Format, Method, Param, PropFormat, bit};
use crate::error::{Error, Result, Unsupported};
use crate::validate::{At, Scope};

/// A PVE version, as `GET /version` reports it (`8.4.17`, `9.2.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PveVersion {
    text: String,
    numbers: Vec<u32>,
}

impl PveVersion {
    /// Reads a version: dot-separated numbers, at least major and minor (`9.2`, `8.4.17`);
    /// anything after a `-` or `~` is ignored (`9.0.0~11`).
    pub fn parse(text: &str) -> Result<PveVersion> {
        let core = text
            .trim()
            .split(['-', '~', '+', ' '])
            .next()
            .unwrap_or_default();
        let numbers: Option<Vec<u32>> = core.split('.').map(|n| n.parse().ok()).collect();
        match numbers {
            Some(numbers) if numbers.len() >= 2 => Ok(PveVersion {
                text: text.trim().to_owned(),
                numbers,
            }),
            _ => Err(Error::Config(format!(
                "{text:?} is not a PVE version (expected something like 8.4.17)"
            ))),
        }
    }

    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The index in `vendored` (the vendored versions, `crate::api::PVE_VERSIONS`) of the schema this version is checked
    /// against, the first rule that applies:
    /// * the vendored version of the same release line (`9.2.3` is `9.2`);
    /// * the oldest vendored version of the same major version (`9.0.10` is `9.1.11`: a
    ///   major release brings the big API changes, its point releases add little);
    /// * newer than every vendored version: the newest; older than all: the oldest;
    /// * else the newest vendored version older than it.
    pub fn schema_index(&self, vendored: &[&str]) -> usize {
        let mut known: Vec<(usize, PveVersion)> = vendored
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, PveVersion::parse(v).ok()?)))
            .collect();
        known.sort_by(|a, b| a.1.numbers.cmp(&b.1.numbers));
        let pick = known
            .iter()
            .find(|(_, v)| v.numbers[..2] == self.numbers[..2])
            .or_else(|| known.iter().find(|(_, v)| v.numbers[0] == self.numbers[0]))
            .or_else(|| known.iter().rev().find(|(_, v)| v.numbers <= self.numbers))
            .or_else(|| known.first());
        pick.map_or(0, |(i, _)| *i)
    }
}

impl fmt::Display for PveVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Every vendored version.
fn all_versions(labels: &[&str]) -> u32 {
    let n = labels.len();
    if n >= 32 { u32::MAX } else { (1 << n) - 1 }
}

/// The vendored versions in `mask`, for messages (`9.1.11, 9.2`).
fn names(labels: &[&str], mask: u32) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & bit(*i) != 0)
        .map(|(_, v)| (*v).to_owned())
        .collect()
}

/// One thing a request uses that not every vendored version has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Restricted {
    /// What it is, for messages (`` parameter `audiences` of POST /access/domains ``).
    pub(crate) item: String,
    pub(crate) versions: u32,
}

/// The given parameters of `params` (not null) with their rules in `method`.
fn given<'a>(
    method: &'static Method,
    params: &'a Value,
) -> impl Iterator<Item = (&'a String, &'a Value, &'static Param)> {
    params
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, value)| !value.is_null())
        .flat_map(move |(key, value)| {
            crate::catalog::lookup(method.params, key)
                .into_iter()
                .flatten()
                .map(move |at| (key, value, &method.params[at]))
        })
}

/// What a typed request to `method` with `params` (encoded) uses that some version lacks:
/// the method itself, parameters, enum values, property-string keys.
pub(crate) fn restrictions(method: &'static Method, params: &Value) -> Vec<Restricted> {
    let all = all_versions(crate::catalog::versions());
    let at = format!("{} {}", method.method, method.path);
    let mut out = Vec::new();
    if method.versions & all != all {
        out.push(Restricted {
            item: at.clone(),
            versions: method.versions,
        });
    }
    for (key, value, param) in given(method, params) {
        if let Some(v) = param.versions {
            out.push(Restricted {
                item: format!("parameter `{key}` of {at}"),
                versions: v,
            });
        }
        for text in scalars(value) {
            if let Some(v) = param.rule.enum_value_versions(&text) {
                out.push(Restricted {
                    item: format!("value `{text}` of parameter `{key}` of {at}"),
                    versions: v,
                });
            }
            if let Format::Prop(format) = param.rule.format {
                prop_keys(&format!("{key} of {at}"), &text, format, &mut out);
            }
        }
    }
    out
}

/// The scalar values of a parameter as text (an array's items each).
fn scalars(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![if *b { "1" } else { "0" }.to_owned()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(scalars).collect(),
        _ => Vec::new(),
    }
}

fn prop_keys(at: &str, text: &str, format: &PropFormat, out: &mut Vec<Restricted>) {
    let Ok(pairs) = crate::values::propstring::parse(text, format) else {
        return; // validation reports what does not parse
    };
    for key in format.keys {
        let Some(v) = key.versions else { continue };
        if pairs.known.contains_key(key.key) {
            out.push(Restricted {
                item: format!("key `{}` of parameter {at}", key.key),
                versions: v,
            });
        }
    }
}

/// Whether checking a request to `method` with `params` needs the cluster's version: it
/// uses something not every vendored version has, or a parameter (path ones included) the
/// versions check differently.
pub(crate) fn needs_version(method: &'static Method, params: &Value) -> bool {
    let all = all_versions(crate::catalog::versions());
    if method.versions & all != all {
        return true;
    }
    // A parameter checked differently matters when it is in the path, when some version
    // requires it, or when it is given.
    let differs = |p: &Param| !p.by_version.is_empty();
    if method
        .params
        .iter()
        .any(|p| differs(p) && (p.in_path || p.by_version.iter().any(|(_, own)| !own.optional)))
    {
        return true;
    }
    // Asked on every typed call: the rules of the parameters given are looked up, not every
    // rule gone over (`restrictions` says the same, at more cost).
    given(method, params).any(|(_, value, param)| {
        let rule = param.rule;
        let prop = match rule.format {
            Format::Prop(format) if format.has_versioned_keys() => Some(format),
            _ => None,
        };
        differs(param)
            || param.versions.is_some()
            || ((!rule.enum_versions.is_empty() || prop.is_some())
                && any_scalar(value, &mut |text| {
                    rule.enum_value_versions(text).is_some()
                        || prop.is_some_and(|format| {
                            may_hold_versioned_key(text, format) && {
                                let mut found = Vec::new();
                                prop_keys("", text, format, &mut found);
                                !found.is_empty()
                            }
                        })
                }))
    })
}

/// Whether `test` holds for a scalar of `value` (as [`scalars`] gives them), without copying
/// the text of strings.
fn any_scalar(value: &Value, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Bool(b) => test(if *b { "1" } else { "0" }),
        Value::Number(n) => test(&n.to_string()),
        Value::Array(items) => items.iter().any(|item| any_scalar(item, test)),
        _ => false,
    }
}

/// `false` when the property string `text` cannot hold a key of `format` that not every
/// version has: none of their names occurs in it, and none is reached without its name (the
/// key of a bare value, another key's alias). Spares parsing the text on every call.
fn may_hold_versioned_key(text: &str, format: &PropFormat) -> bool {
    format
        .keys
        .iter()
        .filter(|k| k.versions.is_some())
        .any(|k| {
            text.contains(k.key)
                || format.default_key == Some(k.key)
                || format
                    .keys
                    .iter()
                    .any(|other| other.alias == Some(k.key) || other.key_alias == Some(k.key))
        })
}

/// Checks a request to `method` (already validated with the widest rules) against the
/// cluster's version: what it uses must exist there, and its parameters (in `params`, and in
/// the request's `path` when given) must meet that version's rules.
pub(crate) fn check_request(
    method: &'static Method,
    path: Option<&str>,
    params: &Value,
    cluster: &PveVersion,
) -> Result<()> {
    let labels = crate::catalog::versions();
    let index = cluster.schema_index(labels);
    // The list of what the request uses that some version lacks (with its messages) is made
    // only when the version might lack something the request gives.
    if may_lack(method, params, index) {
        check(&restrictions(method, params), labels, cluster, index)?;
    }
    let at = At::version(index);
    if let Some(path) = path {
        crate::validate::path_params(method.path, path, method.params, at)?;
    }
    let empty = serde_json::Map::new();
    let map = params.as_object().unwrap_or(&empty);
    crate::validate::params(map, method.params, at, Scope::Body)
}

/// Whether version `index` might lack something of `params` or of `method`: `false` only
/// when nothing given has a version mark that leaves it out (so [`restrictions`] would find
/// nothing that version fails). Looks up the given parameters only; allocates nothing.
fn may_lack(method: &'static Method, params: &Value, index: usize) -> bool {
    let bit = bit(index);
    if method.versions & bit == 0 {
        return true;
    }
    let lacks = |v: u32| v & bit == 0;
    given(method, params).any(|(_, _, param)| {
        param.versions.is_some_and(lacks)
            || param.rule.enum_versions.iter().any(|(_, v)| lacks(*v))
            || matches!(param.rule.format, Format::Prop(format)
                        if format.keys.iter().any(|k| k.versions.is_some_and(lacks)))
    })
}

/// The first restriction the version at `index` of `labels` (the vendored versions) does not
/// meet, as the error to return.
fn check(found: &[Restricted], labels: &[&str], cluster: &PveVersion, index: usize) -> Result<()> {
    match found.iter().find(|r| r.versions & bit(index) == 0) {
        None => Ok(()),
        Some(r) => Err(Error::Unsupported(Box::new(Unsupported {
            item: r.item.clone(),
            versions: names(labels, r.versions),
            cluster: cluster.as_str().to_owned(),
            checked_against: labels
                .get(index)
                .map_or_else(String::new, |v| (*v).to_owned()),
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{PropKey, Rule, Ty};

    static TEXT: Rule = Rule::new(Ty::Str, true);

    /// The fast answer of [`may_lack`] is `false` only where [`restrictions`] finds nothing
    /// the version fails, and the full check still refuses what the version lacks.
    #[test]
    fn the_list_of_restrictions_is_made_only_when_a_version_may_lack_something() {
        use crate::api::formats::ClusterOptionsCrs;
        use crate::typed::{Encode, Endpoint};
        type Put = crate::api::cluster::options::put::Endpoint;
        let info = Put::CATALOG;
        let labels = crate::catalog::versions();
        let index = |v: &str| PveVersion::parse(v).unwrap().schema_index(labels);
        let client = crate::Client::builder("https://127.0.0.1:8006")
            .build()
            .unwrap();
        let old_keys = client
            .cluster()
            .options()
            .put()
            .crs(ClusterOptionsCrs::new().ha_rebalance_on_start(true));
        let new_key = client
            .cluster()
            .options()
            .put()
            .crs(ClusterOptionsCrs::new().ha_auto_rebalance(true));
        let (old_keys, new_key) = (old_keys.params().encode(), new_key.params().encode());
        for version in ["8.4.17", "9.1.11", "9.2"] {
            let at = index(version);
            for params in [&old_keys, &new_key] {
                let unmet = restrictions(info, params)
                    .iter()
                    .any(|r| r.versions & (1 << at) == 0);
                assert!(may_lack(info, params, at) || !unmet, "{version} {params}");
            }
        }
        assert!(!may_lack(info, &old_keys, index("9.2")));
        assert!(!may_lack(info, &new_key, index("9.2")));
        assert!(may_lack(info, &new_key, index("8.4.17")));
        let refused = check_request(info, None, &new_key, &PveVersion::parse("8.4.17").unwrap());
        assert!(matches!(refused, Err(Error::Unsupported(_))), "{refused:?}");
    }

    #[test]
    fn a_property_string_is_parsed_for_versioned_keys_only_when_it_may_hold_one() {
        static CRS: PropFormat = PropFormat::new(
            "Crs",
            None,
            &[
                PropKey::new("ha", &TEXT),
                PropKey::new("ha-auto-rebalance", &TEXT).with_versions(0b110),
            ],
        );
        assert!(!may_hold_versioned_key("ha=static", &CRS));
        assert!(may_hold_versioned_key(
            "ha=static,ha-auto-rebalance=1",
            &CRS
        ));
        // The key of a bare value, and a key another one sets, are reached without their name.
        static BARE: PropFormat = PropFormat::new(
            "Bare",
            Some("volume"),
            &[PropKey::new("volume", &TEXT).with_versions(0b10)],
        );
        assert!(may_hold_versioned_key("local:100", &BARE));
        static ALIASED: PropFormat = PropFormat::new(
            "Net",
            None,
            &[
                PropKey::new("model", &TEXT).with_versions(0b10),
                PropKey::alias("virtio", "macaddr", Some("model")),
            ],
        );
        assert!(may_hold_versioned_key("virtio=BC:24:11:00:00:01", &ALIASED));
        static PLAIN: PropFormat = PropFormat::new("Plain", None, &[PropKey::new("a", &TEXT)]);
        assert!(!may_hold_versioned_key("a=1", &PLAIN));
    }

    fn index(v: &str) -> usize {
        PveVersion::parse(v)
            .unwrap()
            .schema_index(&["8.4.17", "9.1.11", "9.2"])
    }

    #[test]
    fn a_cluster_version_maps_to_a_vendored_schema() {
        assert_eq!(index("8.4.17"), 0);
        assert_eq!(index("8.4.1"), 0, "same release line");
        assert_eq!(index("9.1.2"), 1, "same release line");
        assert_eq!(index("9.2.0"), 2);
        assert_eq!(index("9.0.10"), 1, "the oldest of its major version");
        assert_eq!(index("8.3.5"), 0, "the oldest of its major version");
        assert_eq!(index("10.0"), 2, "newer than all: the newest");
        assert_eq!(index("7.4.3"), 0, "older than all: the oldest");
        assert_eq!(index("9.0.0~11"), 1);
        assert_eq!(
            PveVersion::parse("7.1")
                .unwrap()
                .schema_index(&["6.4", "8.4.17"]),
            0,
            "between major versions: the newest older one"
        );
    }

    #[test]
    fn versions_must_look_like_versions() {
        for bad in ["", "9", "x.y", "nine"] {
            assert!(PveVersion::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PveVersion::parse(" 9.2.1 ").unwrap().as_str(), "9.2.1");
    }
}
