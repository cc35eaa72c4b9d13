//! The sweep: which GET methods, for which ids, each path called once (`GET` only) and its
//! answer judged.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::report::{AuditCounts, AuditReport, Outcome, PathAudit, Skipped};
use super::{AuditOptions, Entry};
use crate::Client;
use crate::error::{DecodeError, Error, Result};
use crate::values::extras::names_a_secret;
use crate::version::PveVersion;

/// A path parameter the sweep fills from a listing of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `{node}` of `/nodes/{node}`: from `/nodes`.
    Node,
    /// `{vmid}` of `/nodes/{node}/qemu/{vmid}`: from `/nodes/{node}/qemu`.
    Qemu,
    /// `{vmid}` of `/nodes/{node}/lxc/{vmid}`: from `/nodes/{node}/lxc`.
    Lxc,
    /// `{storage}` of `/nodes/{node}/storage/{storage}`: from `/nodes/{node}/storage`.
    NodeStorage,
    /// `{storage}` of `/storage/{storage}`: from `/storage`.
    Storage,
}

impl Kind {
    /// The parameter `name` at segment `i` of `segments` (a template's, without the leading
    /// `/`), if the sweep fills it.
    fn of(segments: &[&str], i: usize, name: &str) -> Option<Kind> {
        match (name, &segments[..i]) {
            ("node", ["nodes"]) => Some(Kind::Node),
            ("vmid", ["nodes", "{node}", "qemu"]) => Some(Kind::Qemu),
            ("vmid", ["nodes", "{node}", "lxc"]) => Some(Kind::Lxc),
            ("storage", ["nodes", "{node}", "storage"]) => Some(Kind::NodeStorage),
            ("storage", ["storage"]) => Some(Kind::Storage),
            _ => None,
        }
    }

    /// The template of the listing that names the ids, and the key of its items that does.
    fn listing(self) -> (&'static str, &'static str) {
        match self {
            Kind::Node => ("/nodes", "node"),
            Kind::Qemu => ("/nodes/{node}/qemu", "vmid"),
            Kind::Lxc => ("/nodes/{node}/lxc", "vmid"),
            Kind::NodeStorage => ("/nodes/{node}/storage", "storage"),
            Kind::Storage => ("/storage", "storage"),
        }
    }

    /// Listed per node.
    fn per_node(self) -> bool {
        matches!(self, Kind::Qemu | Kind::Lxc | Kind::NodeStorage)
    }
}

/// The segments of a template or path, without the leading `/`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// The name of a path parameter segment (`{node}`).
fn parameter(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// The parameters of `template`, if the sweep fills every one.
fn kinds(template: &str) -> Option<Vec<Kind>> {
    let segments = segments(template);
    segments
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, parameter(s)?)))
        .map(|(i, name)| Kind::of(&segments, i, name))
        .collect()
}

/// Whether a GET's answer is a JSON document: not a console's websocket upgrade
/// (`vncwebsocket`, `mtunnelwebsocket`), not a file download (`file-restore/download`).
/// PVE's schema does not mark them; their names do.
fn answers_json(template: &str) -> bool {
    !(template.ends_with("websocket") || template.ends_with("/download"))
}

/// Whether `entry` requires a parameter besides its path's, at the vendored version `index`.
fn needs_parameters(entry: &Entry, index: usize) -> bool {
    entry
        .info
        .body_params()
        .any(|p| p.in_version(index) && !p.rule_at(index).optional)
}

/// Whether the template, or a path of it (`path`, else any value for its parameters), lies
/// under `prefix` (whose last segment may be cut short).
fn under(prefix: &str, template: &str, path: Option<&str>) -> bool {
    let want = segments(prefix);
    let template = segments(template);
    let path = path.map(segments);
    if want.len() > template.len() {
        return false;
    }
    want.iter().enumerate().all(|(i, w)| {
        let last = i + 1 == want.len();
        let fits = |have: &str| {
            if last {
                have.starts_with(w)
            } else {
                have == *w
            }
        };
        fits(template[i])
            || match &path {
                Some(path) => path.get(i).is_some_and(|p| fits(p)),
                None => parameter(template[i]).is_some(),
            }
    })
}

/// The ids listed so far: by kind and node (`""` for kinds not listed per node).
type Ids = BTreeMap<(Kind, String), Vec<String>>;

/// Every path of `template` with its parameters filled from `ids`, as segments.
fn paths(template: &str, ids: &Ids) -> Vec<Vec<String>> {
    let segments = segments(template);
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    for (i, segment) in segments.iter().enumerate() {
        let Some(kind) = parameter(segment).and_then(|name| Kind::of(&segments, i, name)) else {
            paths.iter_mut().for_each(|p| p.push((*segment).to_owned()));
            continue;
        };
        paths = paths
            .into_iter()
            .flat_map(|path| {
                let node = if kind.per_node() {
                    path.get(1).cloned().unwrap_or_default()
                } else {
                    String::new()
                };
                let values = ids.get(&(kind, node)).cloned().unwrap_or_default();
                values.into_iter().map(move |value| {
                    let mut longer = path.clone();
                    longer.push(value);
                    longer
                })
            })
            .collect();
    }
    paths
}

/// The first `sample` ids of a listing's answer: the items' `key`, online nodes first, then
/// by number or name.
fn ids_of(body: &[u8], kind: Kind, sample: usize) -> Vec<String> {
    let Ok(Value::Array(items)) = crate::decode::data_json(body) else {
        return Vec::new();
    };
    let key = kind.listing().1;
    let mut ids: Vec<(bool, Option<i64>, String)> = items
        .iter()
        .filter_map(|item| {
            let id = match item.get(key)? {
                Value::String(text) => text.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let offline =
                kind == Kind::Node && item.get("status").and_then(Value::as_str) != Some("online");
            (!id.is_empty()).then(|| (offline, id.parse().ok(), id))
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids.into_iter().take(sample).map(|(.., id)| id).collect()
}

/// The version `GET /version` answered.
fn version_of(body: &[u8]) -> Result<PveVersion> {
    let answer = crate::decode::data_json(body)?;
    let text = answer
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::decode(
                "expected the version as a string",
                "data.version",
                answer.to_string(),
            )
        })?;
    PveVersion::parse(text)
}

/// The paths called so far and what they answered.
struct Sweep<'a> {
    client: &'a Client,
    values: bool,
    done: BTreeMap<String, PathAudit>,
}

impl Sweep<'_> {
    /// Calls the path `segments` of `entry` (once: a path called before is not called
    /// again) and records what it answered; its body if it answered with success.
    async fn call(&mut self, entry: &Entry, segments: &[String]) -> Option<Vec<u8>> {
        let path = format!("/{}", segments.join("/"));
        if self.done.contains_key(&path) {
            return None;
        }
        let target = segments
            .iter()
            .fold(self.client.raw(""), |target, segment| {
                target.segment(segment)
            });
        let answer = target.get(()).bytes().await;
        self.record(entry, path, answer)
    }

    /// Records what `path` of `entry` answered; its body if that was a success.
    fn record(&mut self, entry: &Entry, path: String, answer: Result<Vec<u8>>) -> Option<Vec<u8>> {
        let mut unknown = Vec::new();
        let (outcome, body) = match answer {
            Ok(body) => match (entry.check)(&body, self.values) {
                Ok(found) => {
                    unknown = found;
                    (Outcome::Ok, Some(body))
                }
                Err(Error::Decode(e)) => (decode_failure(&e), Some(body)),
                Err(other) => (error(&other), Some(body)),
            },
            Err(Error::Api(e)) => (
                Outcome::HttpError {
                    status: e.status,
                    message: e.message.clone(),
                },
                None,
            ),
            Err(other) => (error(&other), None),
        };
        let audit = PathAudit {
            path: path.clone(),
            template: entry.info.path,
            outcome,
            unknown,
        };
        self.done.insert(path, audit);
        body
    }

    /// Calls the listing of `kind` (on `node`) and keeps the first `sample` ids it names.
    async fn list(
        &mut self,
        table: &[Entry],
        kind: Kind,
        node: &str,
        ids: &mut Ids,
        sample: usize,
    ) {
        let (template, _) = kind.listing();
        let Some(entry) = table.iter().find(|e| e.info.path == template) else {
            return;
        };
        let path: Vec<String> = segments(template)
            .iter()
            .map(|s| match *s {
                "{node}" => node.to_owned(),
                other => other.to_owned(),
            })
            .collect();
        let found = match self.call(entry, &path).await {
            Some(body) => ids_of(&body, kind, sample),
            None => Vec::new(),
        };
        let node = if kind.per_node() { node } else { "" };
        ids.insert((kind, node.to_owned()), found);
    }
}

fn decode_failure(e: &DecodeError) -> Outcome {
    let message = if names_a_secret(&e.path) {
        "not shown: the field's name marks a secret".to_owned()
    } else {
        e.message.clone()
    };
    Outcome::DecodeFailure {
        at: e.path.clone(),
        message,
    }
}

fn error(e: &Error) -> Outcome {
    Outcome::Error {
        message: e.to_string(),
    }
}

/// The audit of `client`'s cluster (see [`crate::audit`]).
pub(super) async fn run(client: &Client, options: &AuditOptions) -> Result<AuditReport> {
    let table = crate::api::AUDIT;
    let labels = crate::api::PVE_VERSIONS;
    let mut sweep = Sweep {
        client,
        values: options.values,
        done: BTreeMap::new(),
    };
    let version = client.raw("version").get(()).bytes().await?;
    let pve_version = version_of(&version)?;
    if let Some(entry) = table.iter().find(|e| e.info.path == "/version") {
        sweep.record(entry, "/version".to_owned(), Ok(version));
    }
    let index = client
        .known_pve_version()
        .unwrap_or_else(|| pve_version.clone())
        .schema_index(labels);

    let mut skipped = Skipped::default();
    let mut chosen = Vec::new();
    for entry in table {
        let template = entry.info.path;
        if entry.info.versions & (1 << index) == 0 {
            skipped.not_in_version += 1;
        } else if !answers_json(template) {
            skipped.not_json += 1;
        } else if needs_parameters(entry, index) {
            skipped.needs_parameters += 1;
        } else if kinds(template).is_none() {
            skipped.path_parameters += 1;
        } else if options
            .only
            .as_deref()
            .is_some_and(|only| !under(only, template, None))
        {
            skipped.filtered += 1;
        } else {
            chosen.push(entry);
        }
    }

    // The ids the chosen paths need, from the cluster's listings.
    let needed: BTreeSet<Kind> = chosen
        .iter()
        .filter_map(|e| kinds(e.info.path))
        .flatten()
        .collect();
    let mut ids = Ids::new();
    let sample = options.sample;
    if needed.contains(&Kind::Node) {
        sweep.list(table, Kind::Node, "", &mut ids, sample).await;
    }
    let nodes = ids.get(&(Kind::Node, String::new())).cloned();
    for node in nodes.iter().flatten() {
        for kind in [Kind::Qemu, Kind::Lxc, Kind::NodeStorage] {
            if needed.contains(&kind) {
                sweep.list(table, kind, node, &mut ids, sample).await;
            }
        }
    }
    if needed.contains(&Kind::Storage) {
        sweep.list(table, Kind::Storage, "", &mut ids, sample).await;
    }

    for entry in chosen {
        let template = entry.info.path;
        let all = paths(template, &ids);
        let kept: Vec<&Vec<String>> = all
            .iter()
            .filter(|path| {
                let path = format!("/{}", path.join("/"));
                options
                    .only
                    .as_deref()
                    .is_none_or(|only| under(only, template, Some(&path)))
            })
            .collect();
        if all.is_empty() {
            skipped.no_ids += 1;
        } else if kept.is_empty() {
            skipped.filtered += 1;
        }
        for path in kept {
            sweep.call(entry, path).await;
        }
    }

    let paths: Vec<PathAudit> = sweep.done.into_values().collect();
    Ok(AuditReport {
        client_version: env!("CARGO_PKG_VERSION"),
        schemas: labels,
        pve_version: pve_version.as_str().to_owned(),
        schema: labels.get(index).copied().unwrap_or_default(),
        options: options.clone(),
        counts: AuditCounts::of(&paths),
        skipped,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_fills_nodes_guests_and_storages_only() {
        assert_eq!(kinds("/cluster/resources"), Some(vec![]));
        assert_eq!(
            kinds("/nodes/{node}/qemu/{vmid}/status/current"),
            Some(vec![Kind::Node, Kind::Qemu])
        );
        assert_eq!(
            kinds("/nodes/{node}/storage/{storage}/content"),
            Some(vec![Kind::Node, Kind::NodeStorage])
        );
        assert_eq!(kinds("/storage/{storage}"), Some(vec![Kind::Storage]));
        assert_eq!(kinds("/nodes/{node}/tasks/{upid}/status"), None);
        assert_eq!(kinds("/access/users/{userid}"), None);
        assert!(!answers_json("/nodes/{node}/qemu/{vmid}/vncwebsocket"));
        assert!(!answers_json(
            "/nodes/{node}/storage/{storage}/file-restore/download"
        ));
        assert!(answers_json("/nodes/{node}/storage/{storage}/download-url"));
    }

    #[test]
    fn paths_are_made_from_the_ids_of_their_own_node() {
        let ids = Ids::from([
            ((Kind::Node, String::new()), vec!["a".into(), "b".into()]),
            ((Kind::Qemu, "a".into()), vec!["100".into(), "101".into()]),
            ((Kind::Qemu, "b".into()), vec!["300".into()]),
        ]);
        let shown: Vec<String> = paths("/nodes/{node}/qemu/{vmid}/config", &ids)
            .iter()
            .map(|p| p.join("/"))
            .collect();
        assert_eq!(
            shown,
            [
                "nodes/a/qemu/100/config",
                "nodes/a/qemu/101/config",
                "nodes/b/qemu/300/config"
            ]
        );
        assert!(paths("/nodes/{node}/lxc/{vmid}", &ids).is_empty());
        assert_eq!(paths("/version", &ids), [vec!["version".to_owned()]]);
    }

    #[test]
    fn listings_give_online_nodes_first_then_by_number_or_name() {
        let body =
            br#"{"data": [{"node": "c", "status": "online"}, {"node": "a", "status": "offline"},
            {"node": "b", "status": "online"}]}"#;
        assert_eq!(ids_of(body, Kind::Node, 2), ["b", "c"]);
        let body = br#"{"data": [{"vmid": 1000}, {"vmid": "200"}, {"vmid": 30}, {"name": "x"}]}"#;
        assert_eq!(ids_of(body, Kind::Qemu, 5), ["30", "200", "1000"]);
        assert!(ids_of(b"{\"data\": {}}", Kind::Storage, 2).is_empty());
    }

    #[test]
    fn a_prefix_selects_templates_and_paths() {
        assert!(under(
            "/nodes/pve1/qemu",
            "/nodes/{node}/qemu/{vmid}/config",
            None
        ));
        assert!(under(
            "/nodes/pve1/qemu",
            "/nodes/{node}/qemu/{vmid}/config",
            Some("/nodes/pve1/qemu/100/config")
        ));
        assert!(!under(
            "/nodes/pve1/qemu",
            "/nodes/{node}/qemu/{vmid}/config",
            Some("/nodes/pve2/qemu/100/config")
        ));
        assert!(under("/nodes/{node}/qemu", "/nodes/{node}/qemu", None));
        assert!(under("/cluster/res", "/cluster/resources", None));
        assert!(!under("/cluster/res", "/cluster/status", None));
        assert!(!under("/cluster/resources/x", "/cluster/resources", None));
        assert!(under("/", "/version", None));
    }
}
