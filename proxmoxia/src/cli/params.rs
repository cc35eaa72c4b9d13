//! `--name value` arguments to a method's parameters, checked with the catalogue's rules
//! (`crate::catalog`: the same the typed API and the embedded fake use) before anything is
//! sent.

use serde_json::{Map, Value};

use super::fail::Fail;
use super::tree::{self, Resolved};
use crate::catalog::{Method, Param, Ty};
use crate::typed::HttpMethod;

/// A call's command line read and checked with the schema's rules: what the CLI knows before
/// it connects.
#[derive(Debug)]
pub struct Checked {
    /// The path, matched to its template.
    pub resolved: Resolved,
    /// The method called, in the catalogue.
    pub entry: &'static Method,
    /// The parameters given (`--name value`): texts, and lists of texts for a name given
    /// more than once.
    pub given: Map<String, Value>,
    /// The path's parameters (`node` = `pve1`).
    pub path_params: Map<String, Value>,
}

/// Reads the `path` and `--name value` arguments of a `method` call and checks them, path
/// parameters included, with the catalogue's rules (the typed API's and the embedded fake's).
/// Nothing is sent: a mistake is a usage error naming the parameter and the rule.
pub fn check(method: HttpMethod, path: &str, args: &[String]) -> Result<Checked, Fail> {
    let resolved = tree::resolve(path).map_err(Fail::usage)?;
    let entry = resolved.node.method(method).ok_or_else(|| {
        let has: Vec<&str> = resolved
            .node
            .methods
            .iter()
            .map(|e| verb(e.method))
            .collect();
        Fail::usage(format!(
            "{} has no {method} method (`{}`); it has: {}",
            resolved.node.template,
            verb(method),
            if has.is_empty() {
                "none (try `ls`)".to_owned()
            } else {
                has.join(", ")
            }
        ))
    })?;
    let what = format!("{method} {}", entry.path);
    let given = parse(args, entry, &what)?;
    let path_params: Map<String, Value> = resolved
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut all = given.clone();
    all.extend(path_params.clone());
    entry.check(&all)?;
    Ok(Checked {
        resolved,
        entry,
        given,
        path_params,
    })
}

/// The command of a method: `get`, `create`, `set`, `delete`.
pub fn verb(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "create",
        HttpMethod::Put => "set",
        HttpMethod::Delete => "delete",
    }
}

/// The parameter a `--name` (`cores`, `net0`) stands for: one of the method's but the path's.
pub fn param_for(method: &Method, name: &str) -> Option<&'static Param> {
    method.param(name).filter(|p| !p.in_path)
}

/// Reads `--name value`, `--name=value` and `--flag` (a boolean alone means true). A name
/// given twice makes a list (PVE's array parameters).
pub fn parse(args: &[String], method: &Method, what: &str) -> Result<Map<String, Value>, Fail> {
    let mut map = Map::new();
    let mut rest = args.iter().peekable();
    while let Some(arg) = rest.next() {
        let Some(spec) = arg.strip_prefix("--") else {
            return Err(Fail::usage(format!(
                "unexpected argument {arg:?}: parameters are `--name value`"
            )));
        };
        let (name, inline) = match spec.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (spec, None),
        };
        let Some(rule) = param_for(method, name) else {
            return Err(Fail::usage(unknown(name, method, what)));
        };
        let value = match inline {
            Some(value) => value,
            None => match rest.peek() {
                Some(next) if !(rule.rule.ty == Ty::Bool && next.starts_with("--")) => {
                    rest.next().cloned().unwrap_or_default()
                }
                _ if rule.rule.ty == Ty::Bool => "1".to_owned(),
                _ => return Err(Fail::usage(format!("--{name} needs a value"))),
            },
        };
        match map.get_mut(name) {
            None => {
                map.insert(name.to_owned(), Value::String(value));
            }
            Some(Value::Array(items)) => items.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                map.insert(
                    name.to_owned(),
                    Value::Array(vec![first, Value::String(value)]),
                );
            }
        }
    }
    Ok(map)
}

fn unknown(name: &str, method: &Method, what: &str) -> String {
    let mut names: Vec<String> = method
        .body_params()
        .map(|p| p.display_name().into_owned())
        .collect();
    names.sort();
    let close: Vec<String> = names
        .iter()
        .filter(|n| {
            let n = n.trim_end_matches("[n]");
            n.starts_with(name)
                || name.starts_with(n)
                || distance(n, name) <= (name.len() / 3).max(1)
        })
        .map(|n| format!("--{n}"))
        .collect();
    let hint = if !close.is_empty() {
        format!("; did you mean {}?", close.join(", "))
    } else if names.is_empty() {
        "; it takes none".to_owned()
    } else {
        format!(
            "; see `proxmoxia usage {} -c {} -v`",
            what.split_once(' ').map_or(what, |(_, p)| p),
            [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Delete
            ]
            .into_iter()
            .find(|m| what.starts_with(&format!("{} ", m.as_str())))
            .map_or("get", verb)
        )
    };
    format!("{what} has no parameter --{name}{hint}")
}

/// Edit distance of two short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post_lxc() -> &'static Method {
        let node = tree::resolve("/nodes/pve1/lxc").unwrap().node;
        node.method(HttpMethod::Post).unwrap()
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_values_flags_and_families() {
        let rules = post_lxc();
        let map = parse(
            &args(&[
                "--vmid",
                "300",
                "--start",
                "--net0=name=eth0,bridge=vmbr0",
                "--cores",
                "2",
            ]),
            rules,
            "POST /nodes/{node}/lxc",
        )
        .unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::json!({"vmid": "300", "start": "1", "net0": "name=eth0,bridge=vmbr0", "cores": "2"})
        );
    }

    #[test]
    fn unknown_names_and_missing_values_are_refused() {
        let rules = post_lxc();
        let e = parse(&args(&["--core", "2"]), rules, "POST /nodes/{node}/lxc").unwrap_err();
        assert_eq!(
            e.message,
            "POST /nodes/{node}/lxc has no parameter --core; did you mean --cores?"
        );
        let e = parse(&args(&["--zzzzzz"]), rules, "POST /nodes/{node}/lxc").unwrap_err();
        assert_eq!(
            e.message,
            "POST /nodes/{node}/lxc has no parameter --zzzzzz; see `proxmoxia usage /nodes/{node}/lxc -c create -v`"
        );
        let e = parse(&args(&["--cores"]), rules, "x").unwrap_err();
        assert_eq!(e.message, "--cores needs a value");
        let e = parse(&args(&["300"]), rules, "x").unwrap_err();
        assert!(e.message.starts_with("unexpected argument \"300\""), "{e}");
    }
}
