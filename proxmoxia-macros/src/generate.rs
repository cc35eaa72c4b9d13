//! One invocation: the whole API, or one path's module contents.

use std::path::Path;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::emit::{Emitter, TOKEN_BUDGET};
use crate::ir;
use crate::schema::Tree;

/// The output of `api!(schema_arg)` (`path` `None`) or `api!(schema_arg, path)`.
pub fn invocation(
    tree: &Tree,
    schema_arg: &str,
    path: Option<&str>,
    file: &Path,
) -> Result<TokenStream, String> {
    invocation_with_splits(tree, schema_arg, path, file).map(|(tokens, _)| tokens)
}

/// Like [`invocation`], also returning the paths split off into nested invocations.
pub fn invocation_with_splits(
    tree: &Tree,
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

fn expand(
    emitter: &Emitter,
    tree: &Tree,
    path: Option<&str>,
    file: &Path,
) -> Result<TokenStream, String> {
    let (mut reg, root) = ir::Registry::of(tree)?;
    match path {
        None => {
            let body = emitter.module_contents(&root);
            let formats = crate::emit::formats_module(&reg.formats);
            // A schema change must rebuild the crate.
            let file = Literal::string(&file.to_string_lossy());
            Ok(quote! {
                // A change of the schema file, or of the variable naming another one, must
                // rebuild the crate: rustc tracks both for cargo.
                const _: &[u8] = include_bytes!(#file);
                const _: ::std::option::Option<&str> = option_env!("PROXMOXIA_APIDOC");
                #body
                #formats
            })
        }
        Some(path) => {
            let node = tree
                .find(path)
                .ok_or_else(|| format!("the schema has no path {path}"))?;
            let module = ir::build_module(node, &mut reg)?;
            Ok(emitter.module_contents(&module))
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
