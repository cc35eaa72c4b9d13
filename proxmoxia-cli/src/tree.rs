//! The API's paths as a tree, built from the catalogue's methods: which template a
//! concrete path (`/nodes/pve1/qemu/100`) is, its path parameters, its methods and children.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use proxmoxia::catalog::Method;
use proxmoxia::typed::HttpMethod;

/// One path template of the API.
#[derive(Debug, Default)]
pub struct Node {
    /// `/nodes/{node}/qemu`; `/` for the root.
    pub template: String,
    /// The literal children (`qemu` of `/nodes/{node}`).
    pub literals: BTreeMap<String, Node>,
    /// The `{name}` child, if any.
    pub param: Option<(String, Box<Node>)>,
    /// The methods, in GET, POST, PUT, DELETE order.
    pub methods: Vec<&'static Method>,
}

impl Node {
    /// Its `method`, if it has it.
    pub fn method(&self, method: HttpMethod) -> Option<&'static Method> {
        self.methods.iter().copied().find(|e| e.method == method)
    }

    /// Whether any path goes on below it.
    pub fn has_children(&self) -> bool {
        !self.literals.is_empty() || self.param.is_some()
    }

    /// `Dr-c-`, as `pvesh ls` shows it: children, GET, PUT, POST, DELETE.
    pub fn flags(&self) -> String {
        let has = |m| self.method(m).is_some();
        [
            (self.has_children(), 'D'),
            (has(HttpMethod::Get), 'r'),
            (has(HttpMethod::Put), 'w'),
            (has(HttpMethod::Post), 'c'),
            (has(HttpMethod::Delete), 'd'),
        ]
        .iter()
        .map(|(on, c)| if *on { *c } else { '-' })
        .collect()
    }
}

/// The whole tree, built once.
pub fn root() -> &'static Node {
    static ROOT: OnceLock<Node> = OnceLock::new();
    ROOT.get_or_init(|| {
        let mut root = Node {
            template: "/".into(),
            ..Node::default()
        };
        for entry in proxmoxia::catalog::methods() {
            let mut node = &mut root;
            let mut template = String::new();
            for segment in entry.path.split('/').filter(|s| !s.is_empty()) {
                template.push('/');
                template.push_str(segment);
                node = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => {
                        &mut node
                            .param
                            .get_or_insert_with(|| (name.to_owned(), Box::default()))
                            .1
                    }
                    None => node.literals.entry(segment.to_owned()).or_default(),
                };
                node.template.clone_from(&template);
            }
            node.methods.push(entry);
        }
        sort_methods(&mut root);
        root
    })
}

fn sort_methods(node: &mut Node) {
    let rank = |m: HttpMethod| match m {
        HttpMethod::Get => 0,
        HttpMethod::Post => 1,
        HttpMethod::Put => 2,
        HttpMethod::Delete => 3,
    };
    node.methods.sort_by_key(|e| rank(e.method));
    for child in node.literals.values_mut() {
        sort_methods(child);
    }
    if let Some((_, child)) = &mut node.param {
        sort_methods(child);
    }
}

/// A concrete path matched to its template.
#[derive(Debug)]
pub struct Resolved {
    /// The template.
    pub node: &'static Node,
    /// The segments as given (percent-decoded): what the request path is built from.
    pub segments: Vec<String>,
    /// The path parameters' values (`node` = `pve1`).
    pub params: Vec<(String, String)>,
}

/// The segments of a path as a user writes it: `/nodes/pve1/` and `nodes/pve1` are the same;
/// `%2F` stands for a `/` inside a segment (a volume id).
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// One segment as a path names it: `%` and `/` escaped (`local:iso%2Fx.iso`), the inverse of
/// [`segments`].
pub fn escape(segment: &str) -> String {
    segment.replace('%', "%25").replace('/', "%2F")
}

/// Matches `path` to a template: a literal segment wins over a parameter, as in PVE.
pub fn resolve(path: &str) -> Result<Resolved, String> {
    let segments = segments(path);
    let mut node = root();
    let mut params = Vec::new();
    for segment in &segments {
        node = if let Some(child) = node.literals.get(segment) {
            child
        } else if let Some((name, child)) = &node.param {
            params.push((name.clone(), segment.clone()));
            child
        } else {
            return Err(format!(
                "no such API path: /{} ({} has no child {segment:?})",
                segments.join("/"),
                node.template
            ));
        };
    }
    Ok(Resolved {
        node,
        segments,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_paths_resolve_to_templates() {
        let r = resolve("/nodes/pve1/qemu/100/status/current").unwrap();
        assert_eq!(r.node.template, "/nodes/{node}/qemu/{vmid}/status/current");
        assert_eq!(
            r.params,
            [
                ("node".into(), "pve1".into()),
                ("vmid".into(), "100".into())
            ]
        );
        assert_eq!(resolve("nodes/pve1/qemu").unwrap().node.flags(), "Dr-c-");
        assert_eq!(resolve("/").unwrap().node.template, "/");
        let volume = resolve("/nodes/pve1/storage/local/content/local:iso%2Fx.iso").unwrap();
        assert_eq!(volume.segments[5], "local:iso/x.iso");
        assert!(resolve("/nodes/pve1/nothing-here").is_err());
        assert_eq!(segments(&escape("a/b%2Fc")), ["a/b%2Fc"]);
    }
}
