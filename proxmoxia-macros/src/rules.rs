//! Schema rules -> the runtime's static rule tables (`crate::typed::rules::Rule`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::fixups;
use crate::ir::Registry;
use crate::json::Value;
use crate::props::{self, Site};
use crate::schema::{Format, Schema};

/// A number-valued key (`minimum`, `maximum`, ...); PVE writes some as strings.
fn number(schema: &Schema, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| match schema.get(key)? {
        Value::Number(n) => n.parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// The rule of `schema` as a constant expression, and whether it checks anything beyond the
/// type (`optional` false counts). `with_enum` adds the enum values (for open enums, whose
/// Rust type admits others).
pub fn rule(
    reg: &mut Registry,
    site: &Site<'_>,
    param: &str,
    schema: &Schema,
    optional: bool,
    with_enum: bool,
) -> Result<(TokenStream, bool), String> {
    // An array's items carry the rule; each item is checked.
    let schema = match (fixups::infer_type(schema), schema.items()) {
        ("array", Some(items)) => items,
        _ => schema.clone(),
    };
    let ty = match fixups::infer_type(&schema) {
        "boolean" => quote!(Bool),
        "integer" => quote!(Int),
        "number" => quote!(Num),
        "string" => quote!(Str),
        _ => quote!(Any),
    };
    let mut checks = TokenStream::new();
    let mut nontrivial = !optional;
    if with_enum {
        if let Some(values) = schema.enum_values() {
            checks.extend(quote!(.values(&[#(#values),*])));
            nontrivial = true;
        }
    }
    for (method, keys) in [
        (quote!(min), &["minimum", "min"][..]),
        (quote!(max), &["maximum", "max"][..]),
    ] {
        if let Some(n) = number(&schema, keys) {
            checks.extend(quote!(.#method(#n)));
            nontrivial = true;
        }
    }
    for (method, key) in [
        (quote!(min_len), "minLength"),
        (quote!(max_len), "maxLength"),
    ] {
        if let Some(n) = number(&schema, &[key]).filter(|n| *n >= 0.0 && *n <= u32::MAX as f64) {
            let n = n as u32;
            checks.extend(quote!(.#method(#n)));
            nontrivial = true;
        }
    }
    if let Some(pattern) = schema.str("pattern") {
        let pattern = fixups::rust_pattern(pattern);
        checks.extend(quote!(.pattern(#pattern)));
        nontrivial = true;
    }
    match schema.format() {
        Some(Format::Object(format)) => {
            let (_, statik) = props::prop_type(reg, site, param, format, &schema)?;
            checks.extend(quote!(.prop(&#statik)));
            nontrivial = true;
        }
        Some(Format::Named(name)) => {
            if let Some(format) = schema
                .str("typetext")
                .and_then(|t| fixups::typetext_format(name, t))
            {
                let (_, statik) = props::prop_type(reg, site, param, &format, &schema)?;
                checks.extend(quote!(.prop(&#statik)));
            } else if let Some(item) = name.strip_suffix("-list") {
                checks.extend(quote!(.list(#item)));
            } else {
                checks.extend(quote!(.named(#name)));
            }
            nontrivial = true;
        }
        None => {}
    }
    if let Some(other) = schema.str("requires") {
        checks.extend(quote!(.requires(#other)));
        nontrivial = true;
    }
    Ok((
        quote!(crate::typed::rules::Rule::new(crate::typed::rules::Ty::#ty, #optional) #checks),
        nontrivial,
    ))
}
