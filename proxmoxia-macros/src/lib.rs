//! The procedural macro behind Proxmoxia's typed API.
//!
//! `api!("apidoc/pve-9.2.json")` expands to the whole API (`impl Client` accessors and one
//! module per path); `api!("apidoc/pve-9.2.json", "/nodes/{node}/qemu")` to the contents of
//! one path's module. The first form emits the second for subtrees that would make one
//! expansion too large for rust-analyzer.
//!
//! This file only reads the invocation and maps errors to spans; the generator (schema ->
//! IR -> tokens) lives in plain modules over `proc_macro2`, unit-tested without the compiler.

mod docs;
mod emit;
mod fixups;
mod generate;
mod ir;
mod json;
mod load;
mod names;
mod props;
mod rules;
mod schema;
#[cfg(test)]
mod tests;

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Generates the typed API from a PVE API schema (see the crate docs).
#[proc_macro]
pub fn api(input: TokenStream) -> TokenStream {
    let (schema, path) = match parse_args(input) {
        Ok(args) => args,
        Err((span, message)) => return compile_error(span, &message),
    };
    // Generation builds a large token stream: proc_macro2's own implementation does that far
    // faster than going through the compiler for every token, and the result is handed over
    // as text in one go.
    proc_macro2::fallback::force();
    // Errors point at what caused them: the schema literal for the file, the path literal
    // (or the schema's, without one) for what the generator makes of it.
    let (tree, file) = match load::locate(&schema.0).and_then(|file| Ok((load::load(&file)?, file)))
    {
        Ok(found) => found,
        Err(message) => return compile_error(schema.1, &message),
    };
    match generate::invocation(&tree, &schema.0, path.as_ref().map(|p| p.0.as_str()), &file) {
        Ok(tokens) => match tokens.to_string().parse() {
            Ok(stream) => stream,
            Err(e) => compile_error(
                Span::call_site(),
                &format!("internal: generated code does not lex: {e}"),
            ),
        },
        Err(message) => compile_error(path.as_ref().unwrap_or(&schema).1, &message),
    }
}

type Arg = (String, Span);

/// `"schema.json"` or `"schema.json", "/path"` (a trailing comma allowed).
fn parse_args(input: TokenStream) -> Result<(Arg, Option<Arg>), (Span, String)> {
    const USAGE: &str = "expected `api!(\"schema.json\")` or `api!(\"schema.json\", \"/path\")`";
    let mut strings = Vec::new();
    let mut expect_string = true;
    for tt in input {
        match tt {
            TokenTree::Literal(lit) if expect_string => {
                let span = lit.span();
                let text = unquote(&lit.to_string()).ok_or((span, USAGE.to_owned()))?;
                strings.push((text, span));
                expect_string = false;
            }
            TokenTree::Punct(p) if !expect_string && p.as_char() == ',' => expect_string = true,
            other => return Err((other.span(), USAGE.to_owned())),
        }
    }
    if let Some((_, span)) = strings.get(2) {
        return Err((*span, USAGE.to_owned()));
    }
    let mut strings = strings.into_iter();
    let schema = strings
        .next()
        .ok_or((Span::call_site(), USAGE.to_owned()))?;
    Ok((schema, strings.next()))
}

/// The value of a plain or raw string literal as written in source.
fn unquote(lit: &str) -> Option<String> {
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = raw.get(hashes..raw.len().checked_sub(hashes)?)?;
        return Some(inner.strip_prefix('"')?.strip_suffix('"')?.to_owned());
    }
    let inner = lit.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            _ => return None, // not needed for file paths
        }
    }
    Some(out)
}

/// `compile_error!("message")` pointing at `span`.
fn compile_error(span: Span, message: &str) -> TokenStream {
    let mut literal = Literal::string(message);
    literal.set_span(span);
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(span);
    let mut group = Group::new(Delimiter::Parenthesis, TokenTree::Literal(literal).into());
    group.set_span(span);
    let mut semi = Punct::new(';', Spacing::Alone);
    semi.set_span(span);
    [
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(bang),
        TokenTree::Group(group),
        TokenTree::Punct(semi),
    ]
    .into_iter()
    .collect()
}
