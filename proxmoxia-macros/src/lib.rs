//! The procedural macro behind Proxmoxia's typed API.
//!
//! `api!("apidoc/pve-9.2.json")` expands to the whole API (`impl Client` accessors and one
//! module per path); `api!("apidoc/pve-9.2.json", "/nodes/{node}/qemu")` to the contents of
//! one path's module. The first form emits the second for subtrees that would make one
//! expansion too large for rust-analyzer.
//!
//! This file only parses the invocation and maps errors to spans; the generator (schema ->
//! IR -> tokens) lives in plain modules, unit-tested without the compiler.

mod docs;
mod emit;
mod fixups;
mod generate;
mod ir;
mod json;
mod load;
mod names;
mod schema;

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

struct Args {
    schema: LitStr,
    path: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let schema: LitStr = input.parse()?;
        let mut path = None;
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            path = Some(input.parse()?);
            input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(input
                .error("expected `api!(\"schema.json\")` or `api!(\"schema.json\", \"/path\")`"));
        }
        Ok(Args { schema, path })
    }
}

/// Generates the typed API from a PVE API schema (see the crate docs).
#[proc_macro]
pub fn api(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as Args);
    let result = load::locate(&args.schema.value()).and_then(|file| {
        let tree = load::load(&file)?;
        generate::invocation(
            &tree,
            &args.schema.value(),
            args.path.as_ref().map(LitStr::value).as_deref(),
            &file,
        )
    });
    match result {
        Ok(tokens) => tokens.into(),
        Err(message) => {
            let span = args.path.as_ref().unwrap_or(&args.schema).span();
            syn::Error::new(span, message).to_compile_error().into()
        }
    }
}
