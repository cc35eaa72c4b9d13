//! The version guard of typed calls, for the CLI's calls by path: a method, parameter or enum
//! value the cluster's PVE lacks is refused before sending, and parameters the versions check
//! differently are checked with that version's rule. The cluster's version is asked only when
//! the call uses something not every vendored version has.

use proxmoxia::PveVersion;
use proxmoxia::catalog::Method;
use serde_json::{Map, Value};

use crate::doc;
use crate::fail::Fail;
use crate::params::param_for;

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
pub fn needs(entry: &Method, params: &Map<String, Value>) -> Option<Needs> {
    let all = (1u32 << proxmoxia::catalog::versions().len()) - 1;
    let mut restricted = Vec::new();
    if entry.versions & all != all {
        restricted.push(Restricted {
            item: format!("{} {}", entry.method, entry.path),
            versions: entry.versions,
        });
    }
    let mut own_rules_needed = entry.path_params().any(|p| !p.by_version.is_empty());
    for (name, value) in params {
        let Some(param) = param_for(entry, name) else {
            continue;
        };
        if let Some(mask) = param.versions {
            restricted.push(Restricted {
                item: format!("parameter --{name}"),
                versions: mask,
            });
        }
        let values: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        for (allowed, mask) in param.rule.enum_versions {
            if values.contains(allowed) {
                restricted.push(Restricted {
                    item: format!("--{name} {allowed}"),
                    versions: *mask,
                });
            }
        }
        own_rules_needed |= !param.by_version.is_empty();
    }
    // A parameter some version requires but others do not.
    own_rules_needed |= entry
        .body_params()
        .any(|p| p.by_version.iter().any(|(_, own)| !own.optional));
    (!restricted.is_empty() || own_rules_needed).then_some(Needs { restricted })
}

/// Checks the call against the cluster's version.
pub fn check(
    needs: &Needs,
    cluster: &PveVersion,
    entry: &Method,
    params: &Map<String, Value>,
    path_params: &Map<String, Value>,
) -> Result<(), Fail> {
    let labels = proxmoxia::catalog::versions();
    let index = cluster.schema_index(labels);
    if let Some(r) = needs
        .restricted
        .iter()
        .find(|r| r.versions & (1 << index) == 0)
    {
        return Err(unsupported(r, cluster, labels, index));
    }
    let mut all = params.clone();
    all.extend(path_params.clone());
    entry.check_at(&all, index)?;
    Ok(())
}

fn unsupported(r: &Restricted, cluster: &PveVersion, labels: &[&str], index: usize) -> Fail {
    let have = doc::versions(r.versions);
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
