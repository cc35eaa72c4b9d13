//! The procedural macro behind Proxmoxia's typed API.
//!
//! `api!(["apidoc/pve-8.4.17.json", "apidoc/pve-9.2.json"])` expands to the whole API over
//! the union of those PVE versions (`impl Client` accessors and one module per path);
//! `api!([...], "/nodes/{node}/qemu")` to the contents of one path's module. The first form
//! emits the second for subtrees that would make one expansion too large for rust-analyzer.
//! A single schema may be given without brackets.
//!
//! This file only reads the invocation and maps errors to spans; the generator (schemas ->
//! merged schema -> IR -> tokens) lives in plain modules over `proc_macro2`, unit-tested
//! without the compiler.

mod apidoc;
mod catalog;
mod docs;
mod emit;
mod fixups;
mod generate;
mod homes;
mod ir;
mod json;
mod load;
mod merge;
#[cfg(test)]
mod module_graph_tests;
mod names;
mod props;
#[cfg(test)]
mod report;
mod resolve;
mod rules;
mod secrets;
mod supplement;
#[cfg(test)]
mod surface;
#[cfg(test)]
mod tests;
mod versions;

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Generates the typed API from PVE API schemas (see the crate docs).
#[proc_macro]
pub fn api(input: TokenStream) -> TokenStream {
    let (schemas, path) = match parse_args(input) {
        Ok(args) => args,
        Err((span, message)) => return compile_error(span, &message),
    };
    // Generation builds a large token stream: proc_macro2's own implementation does that far
    // faster than going through the compiler for every token; the result is handed over
    // once, at the end.
    proc_macro2::fallback::force();
    let names: Vec<String> = schemas.iter().map(|(name, _)| name.clone()).collect();
    // Errors point at what caused them: a schema literal for its file, the path literal (or
    // the first schema's, without one) for what the generator makes of them.
    let span_of = |index: Option<usize>| {
        index
            .and_then(|i| schemas.get(i))
            .or(schemas.first())
            .map_or(Span::call_site(), |(_, span)| *span)
    };
    let located = match load::locate_all(&names) {
        Ok(found) => found,
        Err((index, message)) => return compile_error(span_of(index), &message),
    };
    let only = located.len() == 1;
    let supplement = names.first().and_then(|n| load::supplement_beside(n));
    let mut files = Vec::new();
    for (file, index) in located {
        let loaded = load::label(&file, only).and_then(|label| {
            let loaded = load::load(&file, &label, supplement.as_deref())?;
            Ok(generate::SchemaFile {
                label,
                path: file,
                tree: loaded.tree.clone(),
                json: loaded.json.clone(),
                supplement: supplement.clone(),
            })
        });
        match loaded {
            Ok(f) => files.push(f),
            Err(message) => return compile_error(span_of(index), &message),
        }
    }
    match generate::invocation(&files, &names, path.as_ref().map(|p| p.0.as_str())) {
        Ok(tokens) => to_compiler(tokens),
        Err(message) => compile_error(
            path.as_ref().map_or(span_of(None), |(_, span)| *span),
            &message,
        ),
    }
}

/// The generated tokens as the compiler's, every one with the call site's span: tools that
/// follow a span (rust-analyzer's go-to-definition) land on the `api!` invocation. (Tokens
/// from parsing text would carry spans into a text that exists nowhere.)
fn to_compiler(tokens: proc_macro2::TokenStream) -> TokenStream {
    let span = Span::call_site();
    tokens
        .into_iter()
        .map(|tt| -> TokenTree {
            match tt {
                proc_macro2::TokenTree::Group(g) => {
                    let delimiter = match g.delimiter() {
                        proc_macro2::Delimiter::Parenthesis => Delimiter::Parenthesis,
                        proc_macro2::Delimiter::Brace => Delimiter::Brace,
                        proc_macro2::Delimiter::Bracket => Delimiter::Bracket,
                        proc_macro2::Delimiter::None => Delimiter::None,
                    };
                    let mut group = Group::new(delimiter, to_compiler(g.stream()));
                    group.set_span(span);
                    group.into()
                }
                proc_macro2::TokenTree::Ident(i) => {
                    let text = i.to_string();
                    match text.strip_prefix("r#") {
                        Some(raw) => Ident::new_raw(raw, span).into(),
                        None => Ident::new(&text, span).into(),
                    }
                }
                proc_macro2::TokenTree::Punct(p) => {
                    let spacing = match p.spacing() {
                        proc_macro2::Spacing::Alone => Spacing::Alone,
                        proc_macro2::Spacing::Joint => Spacing::Joint,
                    };
                    let mut punct = Punct::new(p.as_char(), spacing);
                    punct.set_span(span);
                    punct.into()
                }
                proc_macro2::TokenTree::Literal(l) => {
                    let text = l.to_string();
                    let mut literal = match text.parse::<Literal>() {
                        Ok(literal) => literal,
                        // Every literal the generator makes is one the compiler reads.
                        Err(_) => Literal::string(&text),
                    };
                    literal.set_span(span);
                    literal.into()
                }
            }
        })
        .collect()
}

type Arg = (String, Span);

/// `"schema.json"` or `["a.json", "b.json"]`, then optionally `, "/path"` (a trailing comma
/// allowed).
fn parse_args(input: TokenStream) -> Result<(Vec<Arg>, Option<Arg>), (Span, String)> {
    const USAGE: &str = "expected `api!([\"pve-X.json\", ...])`, `api!(\"schema.json\")`, optionally followed by `, \"/path\"`";
    let mut tokens = input.into_iter().peekable();
    let schemas = match tokens.next() {
        Some(TokenTree::Literal(lit)) => vec![string(&lit).ok_or((lit.span(), USAGE.to_owned()))?],
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
            let mut list = Vec::new();
            let mut expect_string = true;
            for tt in g.stream() {
                match tt {
                    TokenTree::Literal(lit) if expect_string => {
                        list.push(string(&lit).ok_or((lit.span(), USAGE.to_owned()))?);
                        expect_string = false;
                    }
                    TokenTree::Punct(p) if !expect_string && p.as_char() == ',' => {
                        expect_string = true
                    }
                    other => return Err((other.span(), USAGE.to_owned())),
                }
            }
            if list.is_empty() {
                return Err((g.span(), USAGE.to_owned()));
            }
            list
        }
        Some(other) => return Err((other.span(), USAGE.to_owned())),
        None => return Err((Span::call_site(), USAGE.to_owned())),
    };
    let mut path = None;
    match tokens.next() {
        None => {}
        Some(TokenTree::Punct(p)) if p.as_char() == ',' => match tokens.next() {
            None => {}
            Some(TokenTree::Literal(lit)) => {
                path = Some(string(&lit).ok_or((lit.span(), USAGE.to_owned()))?);
                match tokens.next() {
                    None => {}
                    Some(TokenTree::Punct(p)) if p.as_char() == ',' => {
                        if let Some(extra) = tokens.next() {
                            return Err((extra.span(), USAGE.to_owned()));
                        }
                    }
                    Some(other) => return Err((other.span(), USAGE.to_owned())),
                }
            }
            Some(other) => return Err((other.span(), USAGE.to_owned())),
        },
        Some(other) => return Err((other.span(), USAGE.to_owned())),
    }
    Ok((schemas, path))
}

/// A string literal's value and span.
fn string(lit: &Literal) -> Option<Arg> {
    Some((unquote(&lit.to_string())?, lit.span()))
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
