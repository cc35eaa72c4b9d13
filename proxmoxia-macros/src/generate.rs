//! One invocation: the whole API, or one path's module contents.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::apidoc::Tree;
use crate::catalog::Catalog;
use crate::emit::{Emitter, TOKEN_BUDGET};
use crate::ir::{self, ModIr};
use crate::resolve;
use crate::versions::{Label, Versions};

/// One schema file of an invocation.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub path: PathBuf,
    pub label: Label,
    /// The schema, corrected by the supplement.
    pub tree: Arc<Tree>,
    /// The same as apidoc JSON, for the embedded fake.
    pub json: Arc<str>,
    /// The supplement that corrected it, if any.
    pub supplement: Option<PathBuf>,
}

/// The output of `api!(schemas)` (`path` `None`) or `api!(schemas, path)`; `args` are the
/// schema arguments as written, for nested invocations.
pub fn invocation(
    files: &[SchemaFile],
    args: &[String],
    path: Option<&str>,
) -> Result<TokenStream, String> {
    counted_invocation(files, args, path).map(|(tokens, _)| tokens)
}

/// Like [`invocation_with_splits`], keeping count of the nested invocations emitted and not
/// yet expanded: they run next and use the built API; after the last of them it is freed
/// (with the parsed schemas) instead of staying in the compiler's memory while it checks
/// the crate.
fn counted_invocation(
    files: &[SchemaFile],
    args: &[String],
    path: Option<&str>,
) -> Result<(TokenStream, Vec<String>), String> {
    let result = invocation_with_splits(files, args, path);
    let splits = result.as_ref().map_or(0, |(_, splits)| splits.len());
    if pending_after(path.is_some(), splits) == 0 {
        BUILT.with(|b| b.borrow_mut().take());
        crate::load::forget();
    }
    result
}

/// Counts an invocation (a nested one if `nested`) that emitted `splits` nested ones: how
/// many are still to come.
fn pending_after(nested: bool, splits: usize) -> usize {
    PENDING.with(|pending| {
        let left = pending.get().saturating_sub(usize::from(nested)) + splits;
        pending.set(left);
        left
    })
}

/// Like [`invocation`], also returning the paths split off into nested invocations.
pub fn invocation_with_splits(
    files: &[SchemaFile],
    args: &[String],
    path: Option<&str>,
) -> Result<(TokenStream, Vec<String>), String> {
    let built = built(files)?;
    let emitter = Emitter {
        api: &built.api,
        catalog: &built.catalog,
        schema_args: args.to_vec(),
        budget: TOKEN_BUDGET,
        split: Default::default(),
    };
    let tokens = expand(&emitter, &built, path)?;
    Ok((tokens, emitter.split.into_inner()))
}

/// The whole API's IR, built once per set of schemas and kept for the invocations that
/// follow (the root one and those it splits off run in one compiler thread, one after the
/// other); freed after the last of them.
pub struct Built {
    trees: Vec<Arc<Tree>>,
    /// The files, oldest version first.
    pub files: Vec<SchemaFile>,
    pub api: ir::Api,
    /// The catalogue's tables, and where each method and format is in them.
    pub catalog: Catalog,
}

thread_local! {
    static BUILT: RefCell<Option<Rc<Built>>> = const { RefCell::new(None) };
    /// Nested invocations emitted and not yet expanded.
    static PENDING: Cell<usize> = const { Cell::new(0) };
}

/// The API of `files` (in any order), from the cache when the same schemas were built last.
pub fn built(files: &[SchemaFile]) -> Result<Rc<Built>, String> {
    let mut files = files.to_vec();
    files.sort_by(|a, b| a.label.cmp(&b.label));
    let trees: Vec<Arc<Tree>> = files.iter().map(|f| f.tree.clone()).collect();
    if let Some(found) = BUILT.with(|b| b.borrow().clone()) {
        let same = found.trees.len() == trees.len()
            && found
                .trees
                .iter()
                .zip(&trees)
                .all(|(a, b)| Arc::ptr_eq(a, b));
        if same {
            return Ok(found);
        }
    }
    let versions = Versions::new(files.iter().map(|f| f.label.clone()).collect())?;
    let refs: Vec<&Tree> = trees.iter().map(|t| t.as_ref()).collect();
    let merged = crate::merge::merge(&refs);
    let api = resolve::build(&merged, versions)?;
    let catalog = Catalog::of(&api);
    let fresh = Rc::new(Built {
        trees,
        files,
        api,
        catalog,
    });
    BUILT.with(|b| *b.borrow_mut() = Some(fresh.clone()));
    Ok(fresh)
}

fn find<'a>(module: &'a ModIr, path: &str) -> Option<&'a ModIr> {
    if module.path == path {
        return Some(module);
    }
    module
        .children
        .iter()
        .filter(|c| path == c.path || path.starts_with(&format!("{}/", c.path)))
        .find_map(|c| find(c, path))
}

fn expand(emitter: &Emitter, built: &Built, path: Option<&str>) -> Result<TokenStream, String> {
    let api = &built.api;
    match path {
        None => {
            let body = emitter.module_contents(&api.root);
            let formats = emitter.formats_module();
            let schemas: Vec<(&str, &str)> = built
                .files
                .iter()
                .map(|f| (f.label.text.as_str(), &*f.json))
                .collect();
            let schemas_module = crate::emit::schemas_module(&schemas);
            let catalog = built.catalog.tokens();
            let audit = crate::emit::audit_table(&api.root);
            let files = built
                .files
                .iter()
                .map(|f| f.path.to_string_lossy().into_owned())
                .chain(
                    built
                        .files
                        .first()
                        .and_then(|f| f.supplement.as_ref())
                        .map(|s| s.to_string_lossy().into_owned()),
                )
                .map(|f| Literal::string(&f));
            let labels = schemas.iter().map(|(l, _)| *l);
            Ok(quote! {
                // A change of a schema file, of the supplement, or of the variable naming
                // another schema must rebuild the crate: rustc tracks them for cargo.
                #(const _: &[u8] = include_bytes!(#files);)*
                const _: ::std::option::Option<&str> = option_env!("PROXMOXIA_APIDOC");
                /// The PVE versions the API was generated from, oldest first. Bit `i` of an
                /// item's version mask (`Endpoint::VERSIONS`) stands for `PVE_VERSIONS[i]`.
                pub const PVE_VERSIONS: &[&str] = &[#(#labels),*];
                #body
                #formats
                #catalog
                #audit
                #schemas_module
            })
        }
        Some(path) => {
            let module = find(&api.root, path)
                .filter(|_| !path.is_empty())
                .ok_or_else(|| format!("the schema has no path {path}"))?;
            Ok(emitter.module_contents(module))
        }
    }
}

/// The vendored schemas (`apidoc/pve-*.json`), built.
#[cfg(test)]
pub fn vendored() -> Rc<Built> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../apidoc");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("apidoc/") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("pve-") && name.ends_with(".json") {
            let label = crate::load::label(&path, false).expect("a version in the name");
            let supplement = dir.join(crate::load::SUPPLEMENT);
            let loaded =
                crate::load::load(&path, &label, Some(&supplement)).expect("the schema loads");
            files.push(SchemaFile {
                label,
                tree: loaded.tree.clone(),
                json: loaded.json.clone(),
                supplement: Some(supplement),
                path,
            });
        }
    }
    built(&files).expect("the vendored schemas generate")
}

/// Fails when `apidoc/<name>` differs from `text`; rewrites it when `update_var` is set.
#[cfg(test)]
pub fn check_committed(name: &str, text: &str, update_var: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../apidoc")
        .join(name);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == text {
        return;
    }
    if std::env::var_os(update_var).is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, text).expect("apidoc/ is writable");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let (old, new): (Vec<&str>, Vec<&str>) = (current.lines().collect(), text.lines().collect());
    let gone: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).take(20).collect();
    let added: Vec<&&str> = new.iter().filter(|l| !old.contains(l)).take(20).collect();
    panic!(
        "apidoc/{name} differs from the generator's output (first 20 each way):\n\
         only in the file:\n{}\nonly generated:\n{}\n\n\
         Review the change, then rerun with {update_var}=1 and commit the file.",
        gone.iter()
            .map(|l| format!("- {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        added
            .iter()
            .map(|l| format!("+ {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::count_tokens;

    /// Every invocation the vendored schemas produce, with its token count.
    fn all_invocations() -> Vec<(String, usize)> {
        let built = vendored();
        let args: Vec<String> = built
            .files
            .iter()
            .map(|f| f.path.to_string_lossy().into_owned())
            .collect();
        let mut out = Vec::new();
        let mut queue: Vec<Option<String>> = vec![None];
        while let Some(path) = queue.pop() {
            let (tokens, splits) =
                invocation_with_splits(&built.files, &args, path.as_deref()).expect("generates");
            out.push((path.unwrap_or_else(|| "/".into()), count_tokens(&tokens)));
            queue.extend(splits.into_iter().map(Some));
        }
        out
    }

    /// The built API is freed after the last invocation (the vendored API is one).
    #[test]
    fn the_built_api_is_freed_after_the_last_invocation() {
        let files = vendored().files.clone();
        let args: Vec<String> = files
            .iter()
            .map(|f| f.path.to_string_lossy().into_owned())
            .collect();
        assert!(BUILT.with(|b| b.borrow().is_some()));
        let (_, splits) = counted_invocation(&files, &args, None).expect("generates");
        assert!(splits.is_empty());
        assert!(BUILT.with(|b| b.borrow().is_none()));
    }

    /// Nested invocations keep it until the last of them, however deep.
    #[test]
    fn nested_invocations_are_counted_down() {
        assert_eq!(pending_after(false, 2), 2);
        assert_eq!(pending_after(true, 0), 1);
        assert_eq!(pending_after(true, 1), 1);
        assert_eq!(pending_after(true, 0), 0);
        // A nested invocation expanded on its own (an IDE re-expanding it) is the last.
        assert_eq!(pending_after(true, 0), 0);
    }

    #[test]
    fn every_invocation_fits_rust_analyzer() {
        let invocations = all_invocations();
        let (largest_path, largest) = invocations
            .iter()
            .max_by_key(|(_, n)| *n)
            .cloned()
            .expect("at least one");
        let total: usize = invocations.iter().map(|(_, n)| n).sum();
        eprintln!(
            "{} invocations, {total} tokens in all, largest {largest} ({largest_path})",
            invocations.len()
        );
        // rust-analyzer drops an expansion over 2,097,152 tokens; keep far below.
        assert!(largest <= 1_000_000, "{largest_path}: {largest} tokens");
    }

    /// The answer audit's table (`audit` feature) has one short entry per GET method: a
    /// call into the runtime, a few tokens of the root invocation.
    #[test]
    fn the_audit_table_is_one_call_per_get() {
        fn gets(m: &ModIr) -> usize {
            let own = m
                .methods
                .iter()
                .filter(|m| m.verb == crate::apidoc::Verb::Get)
                .count();
            own + m.children.iter().map(gets).sum::<usize>()
        }
        let built = vendored();
        let table = crate::emit::audit_table(&built.api.root);
        let text = table.to_string();
        assert_eq!(
            text.matches("crate :: audit :: entry ::").count(),
            gets(&built.api.root)
        );
        let tokens = count_tokens(&table);
        eprintln!(
            "audit table: {} GET methods, {tokens} tokens",
            gets(&built.api.root)
        );
        assert!(tokens < 40 * gets(&built.api.root), "{tokens} tokens");
    }

    /// The `proxmoxia_pve` values the workspace declares (check-cfg) are the vendored
    /// release lines.
    #[test]
    fn the_declared_cfg_values_are_the_vendored_lines() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let text = std::fs::read_to_string(manifest).expect("the workspace manifest");
        let lines: Vec<String> = vendored()
            .api
            .versions
            .lines()
            .iter()
            .map(|l| format!("{l:?}"))
            .collect();
        let expected = format!("cfg(proxmoxia_pve, values({}))", lines.join(", "));
        assert!(
            text.contains(&expected),
            "Cargo.toml should declare `{expected}` in [workspace.lints.rust] unexpected_cfgs"
        );
    }
}
