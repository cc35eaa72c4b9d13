//! `ls PATH`: the children of a path, as `pvesh ls` lists them: the schema's literal children,
//! and the values of its parameter child read from the cluster (`/nodes/pve1/qemu` lists the
//! VMs' ids).

use proxmoxia::typed::HttpMethod;
use serde_json::{Value, json};

use crate::args::{Connection, Ls, Output};
use crate::connect::{self, Conn, Mode};
use crate::fail::Fail;
use crate::tree::{Node, Resolved};
use crate::{doc, escape, output, tree};

/// One child of a path.
#[derive(Debug)]
pub struct Child {
    pub name: String,
    pub node: &'static Node,
}

/// Whether listing `node` reads its parameter child's values from the cluster.
pub fn needs_listing(node: &Node) -> bool {
    node.param.is_some() && node.method(HttpMethod::Get).is_some()
}

/// GETs the path and lists its children.
pub async fn read(c: &mut Conn, resolved: &Resolved) -> Result<Vec<Child>, Fail> {
    let listing = if needs_listing(resolved.node) {
        let segments = resolved.segments.clone();
        Some(
            c.run(|client| {
                let path = segments.iter().fold(client.raw(""), |p, s| p.segment(s));
                async move { path.get(()).await }
            })
            .await?,
        )
    } else {
        None
    };
    Ok(children(resolved.node, listing.as_ref()))
}

/// The children of `node`: its literals, then the values of its parameter child in `listing`
/// (the GET answer of the path).
pub fn children(node: &'static Node, listing: Option<&Value>) -> Vec<Child> {
    let mut out: Vec<Child> = node
        .literals
        .iter()
        .map(|(name, node)| Child {
            name: name.clone(),
            node,
        })
        .collect();
    if let (Some((param, child)), Some(Value::Array(items))) = (&node.param, listing) {
        let key = doc::link_key(node.method(HttpMethod::Get), param);
        let mut names: Vec<String> = items
            .iter()
            .filter_map(|item| match item {
                Value::Object(map) => map.get(&key).or_else(|| map.get(param)),
                scalar => Some(scalar),
            })
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect();
        // Numbers in numeric order (VM ids), the rest as text.
        names.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        });
        names.dedup();
        out.extend(names.into_iter().map(|name| Child { name, node: child }));
    }
    out
}

pub async fn run(conn: &Connection, ls: Ls) -> Result<(), Fail> {
    let resolved = tree::resolve(&ls.path).map_err(Fail::usage)?;
    let children = if needs_listing(resolved.node) {
        let mut c = connect::connect(conn, Mode::Interactive).await?;
        read(&mut c, &resolved).await?
    } else {
        children(resolved.node, None)
    };
    match output::choose(ls.output) {
        // pvesh's `ls` lines (its text format without border and header).
        Output::Table | Output::Text => {
            let lines: String = children
                .iter()
                .map(|c| format!("{}        {}\n", c.node.flags(), escape::escape(&c.name)))
                .collect();
            output::print(&lines)?;
        }
        format => {
            let base: Vec<String> = resolved.segments.iter().map(|s| tree::escape(s)).collect();
            let base = base.join("/");
            let list: Vec<Value> = children
                .iter()
                .map(|c| {
                    let methods: Vec<&str> = c
                        .node
                        .methods
                        .iter()
                        .map(|m| m.method.as_str())
                        .collect();
                    json!({
                        "name": c.name,
                        "path": if base.is_empty() { format!("/{}", tree::escape(&c.name)) } else { format!("/{base}/{}", tree::escape(&c.name)) },
                        "flags": c.node.flags(),
                        "methods": methods,
                    })
                })
                .collect();
            output::show(
                &Value::Array(list),
                &output::Shape {
                    first: Some("name"),
                    ..output::Shape::plain(format)
                },
            )?;
        }
    }
    Ok(())
}
