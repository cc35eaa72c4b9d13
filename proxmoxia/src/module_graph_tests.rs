//! The runtime's modules import each other without cycles: each builds only on modules
//! below it (leaves such as `secret`, `upid`, `error` at the bottom, the rules' `catalog`
//! just above; `client`, requests and tasks above; the generated `api` and the `mock` on
//! top, not checked).
//!
//! Read from the source text: every `crate::` and `super::` path of a file (imports and
//! paths in code, `{}` groups expanded; comments, `$crate` in macro bodies and the `tests`
//! module left out) names the module it comes from, through the `pub use` re-exports of
//! facades (`crate::Client` is `client`, `crate::typed::Endpoint` is `typed::endpoint`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules outside the check: the generated API and the embedded fake sit on top of all.
const TOP: &[&str] = &["lib", "api", "mock", "module_graph_tests"];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `client/mod.rs` is `client`, `typed/request.rs` is `typed::request`.
fn module_name(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The text without comments, string literals' contents, and the `tests` module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::new();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Expands `prefix{a, b::{c, d}}` groups into whole paths.
fn expand(prefix: &str, group: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut item = String::new();
    for ch in group.chars().chain([',']) {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            let it = item.trim().to_owned();
            item.clear();
            if it.is_empty() {
                continue;
            }
            match it.split_once('{') {
                Some((head, rest)) => {
                    let inner = rest.strip_suffix('}').unwrap_or(rest);
                    expand(&format!("{prefix}{head}"), inner, out);
                }
                None => out.push(format!("{prefix}{}", it.split(" as ").next().unwrap_or(""))),
            }
        } else {
            item.push(ch);
        }
    }
}

/// Every path after `marker` (`crate::` or `super::`) in `code`, groups expanded.
fn paths_after(code: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(found) = code[from..].find(marker) {
        let start = from + found;
        from = start + marker.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b == b'$' || b == b'_' || b.is_ascii_alphanumeric()) {
            continue;
        }
        let rest = &code[from..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path = &rest[..end];
        if rest[end..].starts_with('{') && path.ends_with("::") || end == 0 && rest.starts_with('{')
        {
            let mut depth = 0;
            let group_end = rest[end..]
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| end + i);
            expand(path, &rest[end + 1..group_end], &mut out);
        } else {
            out.push(path.trim_end_matches(':').to_owned());
        }
    }
    out
}

struct Crate {
    modules: BTreeSet<String>,
    /// `(facade module, item)` -> the module the item comes from.
    reexports: BTreeMap<(String, String), String>,
    code: BTreeMap<String, String>,
}

impl Crate {
    fn read() -> Crate {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        source_files(&root, &mut files);
        let mut krate = Crate {
            modules: BTreeSet::new(),
            reexports: BTreeMap::new(),
            code: BTreeMap::new(),
        };
        for file in &files {
            let name = module_name(&root, file);
            krate.modules.insert(name.clone());
            krate
                .code
                .insert(name, code(&std::fs::read_to_string(file).unwrap()));
        }
        for (module, code) in &krate.code {
            let facade = if module == "lib" { "" } else { module.as_str() };
            for line in code.split(';') {
                let line = line.trim();
                let Some(used) = line
                    .strip_prefix("pub use ")
                    .or_else(|| line.strip_prefix("pub(crate) use "))
                else {
                    continue;
                };
                let mut items = Vec::new();
                expand("", used, &mut items);
                for item in items {
                    let absolute = item.strip_prefix("crate::");
                    let item = absolute.unwrap_or(&item);
                    let (path, name) = item.rsplit_once("::").unwrap_or(("", item));
                    let child = if facade.is_empty() || absolute.is_some() {
                        path.to_owned()
                    } else {
                        format!("{facade}::{path}")
                    };
                    let target = krate.module_of(&child).unwrap_or_else(|| path.to_owned());
                    krate
                        .reexports
                        .insert((facade.to_owned(), name.to_owned()), target);
                }
            }
        }
        krate
    }

    /// The module a path (relative to the crate root) comes from.
    fn module_of(&self, path: &str) -> Option<String> {
        let mut module = String::new();
        for segment in path.split("::").filter(|s| !s.is_empty()) {
            let deeper = if module.is_empty() {
                segment.to_owned()
            } else {
                format!("{module}::{segment}")
            };
            if self.modules.contains(&deeper) {
                module = deeper;
                continue;
            }
            if let Some(target) = self.reexports.get(&(module.clone(), segment.to_owned())) {
                return Some(target.clone());
            }
            break;
        }
        (!module.is_empty()).then_some(module)
    }

    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges = BTreeMap::new();
        for (module, code) in &self.code {
            if TOP
                .iter()
                .any(|t| module == t || module.starts_with(&format!("{t}::")))
            {
                continue;
            }
            let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
            let mut paths = paths_after(code, "crate::");
            paths.extend(
                paths_after(code, "super::")
                    .into_iter()
                    .map(|p| format!("{parent}::{p}")),
            );
            let deps: BTreeSet<String> = paths
                .iter()
                .filter_map(|p| self.module_of(p))
                .filter(|d| d != module && !TOP.contains(&d.as_str()))
                .collect();
            edges.insert(module.clone(), deps);
        }
        edges
    }
}

/// A cycle through `start`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if next == start {
                let mut found = path.clone();
                found.push(start.to_owned());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn the_runtime_modules_import_each_other_without_cycles() {
    let edges = Crate::read().edges();
    let cycles: Vec<String> = edges
        .keys()
        .filter_map(|m| cycle(&edges, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_the_imports_it_must() {
    let edges = Crate::read().edges();
    let deps = |m: &str| edges[m].iter().cloned().collect::<Vec<_>>().join(" ");
    // A facade item resolves to its defining module; a group expands; super:: is relative.
    assert!(deps("typed::request").contains("typed::schema"));
    assert!(deps("typed::request").contains("client"));
    assert!(deps("validate::firewall").contains("validate::net"));
    assert!(deps("error").contains("upid"));
    assert_eq!(deps("secret"), "");
    assert_eq!(deps("upid"), "");
}
