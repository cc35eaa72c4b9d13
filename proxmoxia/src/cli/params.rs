//! `--name value` arguments to a method's parameters, checked with the generated rules (the
//! same the typed API and the embedded fake use) before anything is sent.

use serde_json::{Map, Value};

use super::fail::Fail;
use super::tree::{self, Resolved};
use crate::decode::family_index;
use crate::typed::HttpMethod;
use crate::typed::rules::{ParamRule, Ty};
use crate::typed::schema::EndpointEntry;

/// A call's command line read and checked with the schema's rules: what the CLI knows before
/// it connects.
#[derive(Debug)]
pub struct Checked {
    /// The path, matched to its template.
    pub resolved: Resolved,
    /// The method called.
    pub entry: &'static EndpointEntry,
    /// The rules of the method's parameters but the path's.
    pub rules: Vec<ParamRule>,
    /// The rules of the path's parameters.
    pub path_rules: Vec<ParamRule>,
    /// The parameters given (`--name value`): texts, and lists of texts for a name given
    /// more than once.
    pub given: Map<String, Value>,
    /// The path's parameters (`node` = `pve1`).
    pub path_params: Map<String, Value>,
}

/// Reads the `path` and `--name value` arguments of a `method` call and checks them, path
/// parameters included, with the rules the typed API and the embedded fake use. Nothing is
/// sent: a mistake is a usage error naming the parameter and the rule.
pub fn check(method: HttpMethod, path: &str, args: &[String]) -> Result<Checked, Fail> {
    let resolved = tree::resolve(path).map_err(Fail::usage)?;
    let entry = resolved.node.method(method).ok_or_else(|| {
        let has: Vec<&str> = resolved
            .node
            .methods
            .iter()
            .map(|e| verb(e.info.method))
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
    let what = format!("{method} {}", entry.info.path);
    let (rules, path_rules) = rules(entry)?;
    let given = parse(args, &rules, &what)?;
    let path_params: Map<String, Value> = resolved
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut all = given.clone();
    all.extend(path_params.clone());
    crate::validate::params_json(&Value::Object(all), full_text(entry)?)?;
    Ok(Checked {
        resolved,
        entry,
        rules,
        path_rules,
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

/// Every parameter's rule as PVE checks it (types and enums too, path parameters included):
/// the text the embedded fake validates with, which the CLI's string values need.
pub fn full_text(entry: &EndpointEntry) -> Result<&'static str, Fail> {
    crate::api::__mock::ENDPOINTS
        .iter()
        .find(|r| r.method == entry.info.method.as_str() && r.path == entry.info.path)
        .map(|r| r.rules)
        .ok_or_else(|| {
            Fail::new(format!(
                "no rules for {} {}",
                entry.info.method, entry.info.path
            ))
        })
}

/// The names of the path parameters of a template.
pub fn path_names(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The rules of a method's parameters: `(body, path)`.
pub fn rules(entry: &EndpointEntry) -> Result<(Vec<ParamRule>, Vec<ParamRule>), Fail> {
    let all = crate::typed::rules::params(full_text(entry)?)
        .map_err(|e| Fail::new(format!("the generated rules cannot be read: {e}")))?;
    let in_path = path_names(entry.info.path);
    Ok(all
        .iter()
        .cloned()
        .partition(|r| !in_path.contains(&r.name.as_str())))
}

/// The rule a wire name (`cores`, `net0`) falls under.
pub fn rule_for<'a>(rules: &'a [ParamRule], name: &str) -> Option<&'a ParamRule> {
    rules
        .iter()
        .find(|r| !r.indexed && r.name == name)
        .or_else(|| {
            rules
                .iter()
                .find(|r| r.indexed && family_index(name, &r.name).is_some())
        })
}

/// Reads `--name value`, `--name=value` and `--flag` (a boolean alone means true). A name
/// given twice makes a list (PVE's array parameters).
pub fn parse(args: &[String], rules: &[ParamRule], what: &str) -> Result<Map<String, Value>, Fail> {
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
        let Some(rule) = rule_for(rules, name) else {
            return Err(Fail::usage(unknown(name, rules, what)));
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

fn unknown(name: &str, rules: &[ParamRule], what: &str) -> String {
    let mut names: Vec<String> = rules
        .iter()
        .map(|r| {
            if r.indexed {
                format!("{}[n]", r.name)
            } else {
                r.name.clone()
            }
        })
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

    fn post_lxc() -> &'static EndpointEntry {
        let node = tree::resolve("/nodes/pve1/lxc").unwrap().node;
        node.method(HttpMethod::Post).unwrap()
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_values_flags_and_families() {
        let (rules, _) = rules(post_lxc()).unwrap();
        let rules = &rules;
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
        let (rules, _) = rules(post_lxc()).unwrap();
        let rules = &rules;
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
