//! One invocation: the whole API, or one path's module contents.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::emit::{Emitter, TOKEN_BUDGET};
use crate::ir;
use crate::schema::Tree;

/// The output of `api!(schema_arg)` (`path` `None`) or `api!(schema_arg, path)`.
pub fn invocation(
    tree: &Arc<Tree>,
    schema_arg: &str,
    path: Option<&str>,
    file: &Path,
) -> Result<TokenStream, String> {
    invocation_with_splits(tree, schema_arg, path, file).map(|(tokens, _)| tokens)
}

/// Like [`invocation`], also returning the paths split off into nested invocations.
pub fn invocation_with_splits(
    tree: &Arc<Tree>,
    schema_arg: &str,
    path: Option<&str>,
    file: &Path,
) -> Result<(TokenStream, Vec<String>), String> {
    let emitter = Emitter {
        schema_arg: schema_arg.to_owned(),
        budget: TOKEN_BUDGET,
        split: Default::default(),
    };
    let tokens = expand(&emitter, tree, path, file)?;
    Ok((tokens, emitter.split.into_inner()))
}

/// The whole API's IR, built once per schema and kept for the invocations that follow (the
/// root one and those it splits off run in one compiler thread, one after the other).
struct Built {
    tree: Arc<Tree>,
    reg: ir::Registry,
    root: ir::ModIr,
}

thread_local! {
    static BUILT: RefCell<Option<Rc<Built>>> = const { RefCell::new(None) };
}

fn built(tree: &Arc<Tree>) -> Result<Rc<Built>, String> {
    if let Some(found) = BUILT.with(|b| b.borrow().clone()) {
        if Arc::ptr_eq(&found.tree, tree) {
            return Ok(found);
        }
    }
    let (reg, root) = ir::Registry::of(tree)?;
    let fresh = Rc::new(Built {
        tree: tree.clone(),
        reg,
        root,
    });
    BUILT.with(|b| *b.borrow_mut() = Some(fresh.clone()));
    Ok(fresh)
}

fn find<'a>(module: &'a ir::ModIr, path: &str) -> Option<&'a ir::ModIr> {
    if module.path == path {
        return Some(module);
    }
    module
        .children
        .iter()
        .filter(|c| path == c.path || path.starts_with(&format!("{}/", c.path)))
        .find_map(|c| find(c, path))
}

fn expand(
    emitter: &Emitter,
    tree: &Arc<Tree>,
    path: Option<&str>,
    file: &Path,
) -> Result<TokenStream, String> {
    let built = built(tree)?;
    match path {
        None => {
            let body = emitter.module_contents(&built.root);
            let formats = crate::emit::formats_module(&built.reg.formats);
            let mock = crate::emit::mock_module(&built.root, &file.to_string_lossy());
            let file = Literal::string(&file.to_string_lossy());
            Ok(quote! {
                // A change of the schema file, or of the variable naming another one, must
                // rebuild the crate: rustc tracks both for cargo.
                const _: &[u8] = include_bytes!(#file);
                const _: ::std::option::Option<&str> = option_env!("PROXMOXIA_APIDOC");
                #body
                #formats
                #mock
            })
        }
        Some(path) => {
            let module = find(&built.root, path)
                .filter(|_| !path.is_empty())
                .ok_or_else(|| format!("the schema has no path {path}"))?;
            Ok(emitter.module_contents(module))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::count_tokens;
    use std::path::PathBuf;

    fn vendored() -> (std::sync::Arc<Tree>, PathBuf) {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../apidoc/pve-9.2.json");
        (crate::load::load(&file).expect("vendored schema"), file)
    }

    /// Every invocation the vendored schema produces, with its token count.
    fn all_invocations() -> Vec<(String, usize)> {
        let (tree, file) = vendored();
        let mut out = Vec::new();
        let mut queue: Vec<Option<String>> = vec![None];
        while let Some(path) = queue.pop() {
            let (tokens, splits) =
                invocation_with_splits(&tree, "apidoc/pve-9.2.json", path.as_deref(), &file)
                    .expect("generates");
            out.push((path.unwrap_or_else(|| "/".into()), count_tokens(&tokens)));
            queue.extend(splits.into_iter().map(Some));
        }
        out
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
}
