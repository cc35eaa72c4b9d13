//! The version guard of typed calls, for the CLI's calls by path: a method, parameter or enum
//! value the cluster's PVE lacks is refused before sending, and parameters the versions check
//! differently are checked with that version's rule. The cluster's version is asked only when
//! the call uses something not every vendored version has.

use proxmoxia::__private::EndpointEntry;
use proxmoxia::PveVersion;
use proxmoxia::typed::rules::ParamRule;
use serde_json::{Map, Value};

use crate::doc;
use crate::fail::Fail;
use crate::params::rule_for;

/// Something not every vendored version has: what it is and the versions that have it.
struct Restricted {
    item: String,
    versions: u32,
}

/// What the call uses that the cluster's version decides: `None` when nothing.
pub struct Needs {
    restricted: Vec<Restricted>,
}

/// Whether checking the call needs the cluster's version (and what then to check).
pub fn needs(
    entry: &EndpointEntry,
    rules: &[ParamRule],
    path_rules: &[ParamRule],
    params: &Map<String, Value>,
) -> Option<Needs> {
    let info = &entry.info;
    let all = (1u32 << info.labels.len()) - 1;
    let mut restricted = Vec::new();
    if info.versions & all != all {
        restricted.push(Restricted {
            item: format!("{} {}", info.method, info.path),
            versions: info.versions,
        });
    }
    let mut own_rules_needed = path_rules.iter().any(|r| !r.by_version.is_empty());
    for (name, value) in params {
        let Some(rule) = rule_for(rules, name) else {
            continue;
        };
        if let Some(mask) = rule.versions {
            restricted.push(Restricted {
                item: format!("parameter --{name}"),
                versions: mask,
            });
        }
        let values: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        for (allowed, mask) in &rule.rule.enum_versions {
            if values.contains(&allowed.as_str()) {
                restricted.push(Restricted {
                    item: format!("--{name} {allowed}"),
                    versions: *mask,
                });
            }
        }
        own_rules_needed |= !rule.by_version.is_empty();
    }
    // A parameter some version requires but others do not.
    own_rules_needed |= rules
        .iter()
        .any(|r| r.by_version.iter().any(|(_, own)| !own.optional));
    (!restricted.is_empty() || own_rules_needed).then_some(Needs { restricted })
}

/// Checks the call against the cluster's version.
pub fn check(
    needs: &Needs,
    cluster: &PveVersion,
    entry: &EndpointEntry,
    rules: &[ParamRule],
    path_rules: &[ParamRule],
    params: &Map<String, Value>,
    path_params: &Map<String, Value>,
) -> Result<(), Fail> {
    let labels = entry.info.labels;
    let index = cluster.schema_index(labels);
    if let Some(r) = needs
        .restricted
        .iter()
        .find(|r| r.versions & (1 << index) == 0)
    {
        return Err(unsupported(r, cluster, labels, index));
    }
    let own = |rules: &[ParamRule]| proxmoxia::typed::rules::own_rules_at(rules, index);
    proxmoxia::validate::params(&Value::Object(path_params.clone()), &own(path_rules))?;
    proxmoxia::validate::params(&Value::Object(params.clone()), &own(rules))?;
    Ok(())
}

fn unsupported(r: &Restricted, cluster: &PveVersion, labels: &[&str], index: usize) -> Fail {
    let have = doc::versions(r.versions, labels);
    Fail::usage(format!(
        "{} is not in PVE {} (the cluster's version, checked against the schema of PVE {}); \
         PVE {} {} it. Nothing was sent.",
        r.item,
        cluster.as_str(),
        labels.get(index).copied().unwrap_or_default(),
        have.join(", "),
        if have.len() == 1 { "has" } else { "have" }
    ))
}
