//! The module-graph checker each crate's unit tests share (included with `#[path]`, so it
//! needs nothing outside the repository): a crate's modules import each other without
//! cycles, file by file and folder by folder.
//!
//! Read from the source text: every `crate::`, `super::` and `self::` path of a file
//! (imports and paths in code, `{}` groups expanded; comments, `$crate` in macro bodies and
//! inline `tests` modules left out) names the module it comes from, through the `pub use`
//! re-exports of facades (`crate::Client` is `client`, `crate::typed::Endpoint` is
//! `typed::endpoint`). A folder's edges are its files' edges: `a/x.rs` importing `b/y.rs`
//! is `a -> b`, at every depth (two files of one folder are compared as files).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, leaving out the folders named in `skip_dirs`.
fn source_files(dir: &Path, skip_dirs: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if !skip_dirs.iter().any(|s| path.ends_with(s)) {
                source_files(&path, skip_dirs, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `client/mod.rs` is `client`, `typed/request.rs` is `typed::request`, the crate root
/// (`lib.rs`, `main.rs`) is the empty name.
fn module_name(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts.join("::")
}

/// The text without comments and without an inline `tests` module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
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

/// Every path after `marker` (`crate::`, `super::`, `self::`) in `code`, groups expanded.
fn paths_after(code: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(found) = code[from..].find(marker) {
        let start = from + found;
        from = start + marker.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b == b'$' || b == b'_' || b == b':' || b.is_ascii_alphanumeric())
        {
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

/// `a::b` inside `base` (a module's path): `super::` steps go up from `base`.
fn join(base: &str, path: &str) -> String {
    let mut at: Vec<&str> = base.split("::").filter(|s| !s.is_empty()).collect();
    let mut rest = path;
    while let Some(r) = rest.strip_prefix("super::") {
        at.pop();
        rest = r;
    }
    if rest != "super" {
        at.extend(rest.split("::").filter(|s| !s.is_empty()));
    } else {
        at.pop();
    }
    at.join("::")
}

/// One crate's modules, read from its sources.
pub struct Crate {
    modules: BTreeSet<String>,
    /// `(facade module, item)` -> the module the item comes from.
    reexports: BTreeMap<(String, String), String>,
    code: BTreeMap<String, String>,
    /// Modules outside the check (and their children).
    skipped: Vec<String>,
}

impl Crate {
    /// The crate whose root file is in `root`; files under folders named in `skip_dirs`
    /// belong to other crates (a package's `bin/`), modules in `skipped` are not checked.
    pub fn read(root: &Path, skip_dirs: &[&str], skipped: &[&str]) -> Crate {
        let mut files = Vec::new();
        source_files(root, skip_dirs, &mut files);
        let mut krate = Crate {
            modules: BTreeSet::new(),
            reexports: BTreeMap::new(),
            code: BTreeMap::new(),
            skipped: skipped.iter().map(|s| (*s).to_owned()).collect(),
        };
        for file in &files {
            let name = module_name(root, file);
            krate.modules.insert(name.clone());
            krate
                .code
                .insert(name, code(&std::fs::read_to_string(file).unwrap()));
        }
        for (module, code) in &krate.code {
            for line in code.split(';') {
                let line = line.trim();
                let line = line.rsplit(']').next().unwrap_or(line).trim();
                let Some(used) = line
                    .strip_prefix("pub use ")
                    .or_else(|| line.strip_prefix("pub(crate) use "))
                    .or_else(|| line.strip_prefix("pub(super) use "))
                else {
                    continue;
                };
                let mut items = Vec::new();
                expand("", used, &mut items);
                for item in items {
                    let (path, name) = item.rsplit_once("::").unwrap_or(("", &item));
                    let child = match path.strip_prefix("crate::") {
                        Some(p) => p.to_owned(),
                        None if path == "crate" => String::new(),
                        None => join(module, path.strip_prefix("self::").unwrap_or(path)),
                    };
                    let target = krate.module_of(&child).unwrap_or(child);
                    krate
                        .reexports
                        .insert((module.clone(), name.to_owned()), target);
                }
            }
        }
        krate
    }

    fn is_skipped(&self, module: &str) -> bool {
        self.skipped
            .iter()
            .any(|t| module == t || module.starts_with(&format!("{t}::")))
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
                if target != &module && !target.is_empty() {
                    return Some(target.clone());
                }
            }
            break;
        }
        (!module.is_empty()).then_some(module)
    }

    /// Each checked file's imports of other checked files.
    pub fn file_edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges = BTreeMap::new();
        for (module, code) in &self.code {
            if module.is_empty() || self.is_skipped(module) {
                continue;
            }
            let mut paths = paths_after(code, "crate::");
            for marker in ["super::", "self::"] {
                let base = if marker == "super::" {
                    join(module, "super")
                } else {
                    module.clone()
                };
                paths.extend(
                    paths_after(code, marker)
                        .into_iter()
                        .map(|p| join(&base, &p)),
                );
            }
            let deps: BTreeSet<String> = paths
                .iter()
                .filter_map(|p| self.module_of(p))
                .filter(|d| d != module && !self.is_skipped(d))
                .collect();
            edges.insert(module.clone(), deps);
        }
        edges
    }

    /// The same imports between siblings: `a::x -> b::y` is `a -> b`, `a::x -> a::y` stays.
    pub fn folder_edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, deps) in self.file_edges() {
            let f: Vec<&str> = from.split("::").collect();
            edges.entry(f[0].to_owned()).or_default();
            for to in deps {
                let t: Vec<&str> = to.split("::").collect();
                let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
                if common < f.len() && common < t.len() {
                    edges
                        .entry(f[..=common].join("::"))
                        .or_default()
                        .insert(t[..=common].join("::"));
                }
            }
        }
        edges
    }
}

fn reachable(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start.to_owned()];
    while let Some(at) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

/// The groups of modules that import each other (strongly connected, two or more), each
/// with the edges inside it: `a -> b, c`.
pub fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let reach: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|m| (m, reachable(edges, m))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (m, r) in &reach {
        if done.contains(*m) || !r.contains(*m) {
            continue;
        }
        let group: BTreeSet<&String> = r
            .iter()
            .filter(|o| reach.get(o).is_some_and(|b| b.contains(*m)))
            .collect();
        let inner: Vec<String> = group
            .iter()
            .map(|g| {
                let to: Vec<&str> = edges[*g]
                    .iter()
                    .filter(|d| group.contains(d))
                    .map(String::as_str)
                    .collect();
                format!("  {g} -> {}", to.join(", "))
            })
            .collect();
        out.push(inner.join("\n"));
        done.extend(group.into_iter().cloned());
    }
    out
}

/// The modules bottom up: each line's modules import only lines above it.
pub fn layers(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    loop {
        let next: Vec<String> = edges
            .iter()
            .filter(|(m, deps)| {
                !placed.contains(*m)
                    && deps
                        .iter()
                        .all(|d| placed.contains(d) || !edges.contains_key(d))
            })
            .map(|(m, _)| m.clone())
            .collect();
        if next.is_empty() {
            return out;
        }
        placed.extend(next.iter().cloned());
        out.push(next);
    }
}

/// Fails with every cycle, file level and folder level.
pub fn assert_no_cycles(krate: &Crate) {
    let files = cycles(&krate.file_edges());
    let folders = cycles(&krate.folder_edges());
    assert!(
        files.is_empty() && folders.is_empty(),
        "file-level import cycles:\n{}\nfolder-level import cycles:\n{}",
        files.join("\n\n"),
        folders.join("\n\n"),
    );
}
