//! `-name value` / `--name value` arguments to a method's parameters, checked with the catalogue's rules
//! (`crate::catalog`: the same the typed API and the embedded fake use) before anything is
//! sent.

use serde_json::{Map, Value};

use crate::fail::Fail;
use crate::tree::{self, Resolved};
use proxmoxia::catalog::{Method, Param, Ty};
use proxmoxia::typed::HttpMethod;

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
    /// The command's own options found among the parameters: `(its first name, its value)`
    /// in the order given, a flag's value `1` or `0`.
    pub own: Vec<(&'static str, String)>,
}

/// An option of the command itself that may stand among a call's parameters (`-o json`,
/// `--quiet`). A parameter of the method by the same name wins, as in pvesh (vzdump's
/// `--quiet` is vzdump's).
#[derive(Debug, Clone, Copy)]
pub struct OwnOption {
    /// Its names without dashes (`o`, `output-format`, `output`), the first one reported.
    pub names: &'static [&'static str],
    /// Takes a value (`-o json`); else a flag, on alone or given a boolean (`--quiet 1`).
    pub takes_value: bool,
}

/// Reads the `path` and `-name value` arguments of a `method` call and checks them, path
/// parameters included, with the catalogue's rules (the typed API's and the embedded fake's);
/// `own` are the command's options that may stand among them. Nothing is sent: a mistake is a
/// usage error naming the parameter and the rule.
pub fn check(
    method: HttpMethod,
    path: &str,
    args: &[String],
    own: &[OwnOption],
) -> Result<Checked, Fail> {
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
    let Parsed { params: given, own } = parse(args, entry, own, &what)?;
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
        own,
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

/// What [`parse`] read.
#[derive(Debug)]
pub struct Parsed {
    /// The method's parameters: texts, and lists of texts for a name given more than once.
    pub params: Map<String, Value>,
    /// The command's own options given: `(its first name, its value)`.
    pub own: Vec<(&'static str, String)>,
}

/// Reads `-name value`, `--name value`, `-name=value`, `--name=value` and a boolean alone
/// (true), as pvesh does. A name given twice makes a list (PVE's array parameters). A name is
/// the method's parameter if it has one by that name, else one of the command's `own`
/// options, else a mistake. A boolean's (or an own flag's) next word is its value unless it
/// starts with `-`; any other parameter takes its next word, whatever it is.
pub fn parse(
    args: &[String],
    method: &Method,
    own: &[OwnOption],
    what: &str,
) -> Result<Parsed, Fail> {
    let mut map = Map::new();
    let mut own_given = Vec::new();
    let mut rest = args.iter().peekable();
    while let Some(arg) = rest.next() {
        let spec = match arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            Some(spec) if !spec.is_empty() && !spec.starts_with('-') => spec,
            _ => {
                return Err(Fail::usage(format!(
                    "unexpected argument {arg:?}: parameters are `-name value` or `--name value`"
                )));
            }
        };
        let (name, inline) = match spec.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (spec, None),
        };
        let (flag, option) = match param_for(method, name) {
            Some(param) => (param.rule.ty == Ty::Bool, None),
            None => match own.iter().find(|o| o.names.contains(&name)) {
                Some(option) => (!option.takes_value, Some(option)),
                None => return Err(Fail::usage(unknown(name, method, what))),
            },
        };
        let value = match inline {
            Some(value) => value,
            None => match rest.peek() {
                Some(next) if !(flag && next.starts_with('-')) => {
                    rest.next().cloned().unwrap_or_default()
                }
                _ if flag => "1".to_owned(),
                _ => return Err(Fail::usage(format!("{arg} needs a value"))),
            },
        };
        if let Some(option) = option {
            let first = option.names.first().copied().unwrap_or_default();
            let value = if flag {
                boolean(&value)
                    .ok_or_else(|| {
                        Fail::usage(format!("--{name} takes 1 or 0 (alone: 1), not {value:?}"))
                    })?
                    .to_owned()
            } else {
                value
            };
            own_given.push((first, value));
            continue;
        }
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
    Ok(Parsed {
        params: map,
        own: own_given,
    })
}

/// A boolean as PVE reads one: `"1"` or `"0"`.
fn boolean(text: &str) -> Option<&'static str> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some("1"),
        "0" | "false" | "no" | "off" => Some("0"),
        _ => None,
    }
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
        let parsed = parse(
            &args(&[
                "--vmid",
                "300",
                "--start",
                "--net0=name=eth0,bridge=vmbr0",
                "--cores",
                "2",
            ]),
            rules,
            &[],
            "POST /nodes/{node}/lxc",
        )
        .unwrap();
        assert_eq!(
            Value::Object(parsed.params),
            serde_json::json!({"vmid": "300", "start": "1", "net0": "name=eth0,bridge=vmbr0", "cores": "2"})
        );
    }

    const OWN: [OwnOption; 2] = [
        OwnOption {
            names: &["o", "output-format", "output"],
            takes_value: true,
        },
        OwnOption {
            names: &["quiet"],
            takes_value: false,
        },
    ];

    /// pvesh's `-name value` as well as `--name value` (they once exited 2): a boolean's next
    /// word is its value unless it starts with `-`; the command's own options among them,
    /// `-o` too, its short name (no PVE parameter is named `o`).
    #[test]
    fn single_dash_names_and_the_commands_own_options() {
        let rules = post_lxc();
        let parsed = parse(
            &args(&[
                "-vmid",
                "300",
                "-start",
                "-hostname=web",
                "-o",
                "json",
                "-description",
                "-x-",
                "-unprivileged",
                "0",
                "--quiet",
                "-ostemplate",
                "local:vztmpl/x.tar.zst",
                "-quiet=no",
            ]),
            rules,
            &OWN,
            "POST /nodes/{node}/lxc",
        )
        .unwrap();
        assert_eq!(
            Value::Object(parsed.params),
            serde_json::json!({"vmid": "300", "start": "1", "hostname": "web",
                "description": "-x-", "unprivileged": "0", "ostemplate": "local:vztmpl/x.tar.zst"})
        );
        assert_eq!(
            parsed.own,
            [
                ("o", "json".to_owned()),
                ("quiet", "1".to_owned()),
                ("quiet", "0".to_owned())
            ]
        );

        // A method's own parameter by an option's name is the method's (vzdump's quiet).
        let vzdump = tree::resolve("/nodes/pve1/vzdump").unwrap().node;
        let rules = vzdump.method(HttpMethod::Post).unwrap();
        let parsed = parse(&args(&["-quiet", "1", "-o", "yaml"]), rules, &OWN, "x").unwrap();
        assert_eq!(
            Value::Object(parsed.params),
            serde_json::json!({"quiet": "1"})
        );
        assert_eq!(parsed.own, [("o", "yaml".to_owned())]);
    }

    #[test]
    fn unknown_names_and_missing_values_are_refused() {
        let rules = post_lxc();
        let refused =
            |list: &[&str], what: &str| parse(&args(list), rules, &OWN, what).unwrap_err();
        let e = refused(&["--core", "2"], "POST /nodes/{node}/lxc");
        assert_eq!(
            e.message,
            "POST /nodes/{node}/lxc has no parameter --core; did you mean --cores?"
        );
        assert_eq!(e.code, crate::fail::USAGE);
        let e = refused(&["-core", "2"], "POST /nodes/{node}/lxc");
        assert_eq!(
            e.message,
            "POST /nodes/{node}/lxc has no parameter --core; did you mean --cores?"
        );
        let e = refused(&["--zzzzzz"], "POST /nodes/{node}/lxc");
        assert_eq!(
            e.message,
            "POST /nodes/{node}/lxc has no parameter --zzzzzz; see `proxmoxia usage /nodes/{node}/lxc -c create -v`"
        );
        assert_eq!(refused(&["--cores"], "x").message, "--cores needs a value");
        assert_eq!(refused(&["-o"], "x").message, "-o needs a value");
        assert_eq!(
            refused(&["--quiet", "maybe"], "x").message,
            "--quiet takes 1 or 0 (alone: 1), not \"maybe\""
        );
        assert_eq!(
            refused(&["--quiet=maybe"], "x").message,
            "--quiet takes 1 or 0 (alone: 1), not \"maybe\""
        );
        for stray in ["300", "-", "--", "---vmid"] {
            assert_eq!(
                refused(&[stray], "x").message,
                format!(
                    "unexpected argument {stray:?}: parameters are `-name value` or `--name value`"
                )
            );
        }
    }
}
