//! IR -> tokens, and splitting the output into invocations rust-analyzer accepts.
//!
//! Every body is a one-line call into the runtime (`crate::typed`); the repetitive parts of
//! types come from `macro_rules!` there, so the output stays small.

use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::ir::{FieldIr, HandleFn, HandleIr, How, MethodIr, ModIr, StructIr, TypeIr};
use crate::props::FormatIr;

/// rust-analyzer drops any single expansion over 2,097,152 tokens; stay well under it.
pub const TOKEN_BUDGET: usize = 300_000;

/// A module's contents and the paths split off inside them.
type Emitted = (TokenStream, Vec<String>);

/// How to write nested invocations for split-off modules.
pub struct Emitter {
    /// The schema argument as the user wrote it.
    pub schema_arg: String,
    /// Largest output of one invocation, in tokens.
    pub budget: usize,
    /// Paths split off into their own invocations.
    pub split: std::cell::RefCell<Vec<String>>,
}

/// Tokens of a stream as rust-analyzer counts them (a group counts its two delimiters).
pub fn count_tokens(stream: &TokenStream) -> usize {
    stream
        .clone()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => 2 + count_tokens(&g.stream()),
            _ => 1,
        })
        .sum()
}

fn doc(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}

impl Emitter {
    /// The items of a module: its handle, method modules and child modules. Children that
    /// would push the output over the budget become nested invocations of the macro.
    pub fn module_contents(&self, m: &ModIr) -> TokenStream {
        let (tokens, _, splits) = self.contents_counted(m);
        self.split.borrow_mut().extend(splits);
        tokens
    }

    /// The contents, their token count (each token counted once, where it is made) and the
    /// paths split off into their own invocations.
    fn contents_counted(&self, m: &ModIr) -> (TokenStream, usize, Vec<String>) {
        let mut own = TokenStream::new();
        if let Some(handle) = &m.handle {
            own.extend(handle_tokens(handle, m.path.is_empty()));
        }
        for method in &m.methods {
            own.extend(method_module(method));
        }
        let own_count = count_tokens(&own);
        // A child module costs its body plus its wrapper: doc attribute, `pub mod name`, braces.
        const WRAPPER: usize = 12;
        let mut children: Vec<(usize, Option<Emitted>, &ModIr)> = m
            .children
            .iter()
            .map(|c| {
                let (body, n, splits) = self.contents_counted(c);
                (n + WRAPPER, Some((body, splits)), c)
            })
            .collect();
        let mut total = own_count + children.iter().map(|c| c.0).sum::<usize>();
        while total > self.budget {
            let Some(largest) = children
                .iter_mut()
                .filter(|c| c.1.is_some())
                .max_by_key(|c| c.0)
            else {
                break;
            };
            total -= largest.0;
            largest.1 = None;
        }
        let mut total = own_count;
        let mut splits = Vec::new();
        for (n, body, child) in children {
            let body = match body {
                Some((body, inner)) => {
                    total += n;
                    splits.extend(inner);
                    body
                }
                None => {
                    total += WRAPPER;
                    splits.push(child.path.clone());
                    self.invocation(&child.path)
                }
            };
            let ident = &child.ident;
            let d = doc(&format!("`{}`", child.path));
            let item = quote! {
                #d
                pub mod #ident { #body }
            };
            own.extend(item);
        }
        (own, total, splits)
    }

    fn invocation(&self, path: &str) -> TokenStream {
        let schema = Literal::string(&self.schema_arg);
        let path = Literal::string(path);
        quote!(::proxmoxia_macros::api!(#schema, #path);)
    }
}

fn handle_tokens(h: &HandleIr, root: bool) -> TokenStream {
    let base = if root {
        quote!(crate::typed::PathHandle::root(self))
    } else {
        quote!(self.0)
    };
    let fns = h.fns.iter().map(|f| handle_fn(f, &base));
    if root {
        return quote! {
            impl crate::Client { #(#fns)* }
        };
    }
    let d = doc(&h.doc);
    quote! {
        crate::typed::pve_handle!(#d Handle);
        impl Handle { #(#fns)* }
    }
}

fn handle_fn(f: &HandleFn, base: &TokenStream) -> TokenStream {
    match f {
        HandleFn::Child {
            name,
            doc: text,
            segment,
            target,
        } => {
            let d = doc(text);
            quote! {
                #d
                #[inline] pub fn #name(&self) -> #target { #target(#base.child(#segment)) }
            }
        }
        HandleFn::Item {
            name,
            doc: text,
            literal,
            param,
            target,
        } => {
            let d = doc(text);
            let arg = &param.ident;
            let arg_ty = if param.integer {
                quote!(i64)
            } else {
                quote!(impl ::std::fmt::Display)
            };
            let path = match literal {
                Some(lit) => quote!(#base.child(#lit).param(&#arg)),
                None => quote!(#base.param(&#arg)),
            };
            quote! {
                #d
                #[inline] pub fn #name(&self, #arg: #arg_ty) -> #target { #target(#path) }
            }
        }
        HandleFn::Verb {
            name,
            doc: text,
            alias,
            method_mod,
            suffix,
            required,
        } => {
            let d = doc(text);
            let args = required.iter().map(|f| {
                let ident = &f.ident;
                let ty = f.arg_ty();
                quote!(#ident: #ty)
            });
            let values = required.iter().map(|f| f.arg_into(&f.ident));
            // rustdoc refuses an alias equal to the name.
            let alias = (*name != alias).then(|| quote!(#[doc(alias = #alias)]));
            quote! {
                #d
                #alias
                #[inline] pub fn #name(&self, #(#args),*) -> crate::typed::Request<#method_mod::Endpoint> {
                    crate::typed::Request::new(#base.child(#suffix), #method_mod::Params::new(#(#values),*))
                }
            }
        }
    }
}

fn method_module(m: &MethodIr) -> TokenStream {
    let ident = &m.ident;
    let verb = format_ident!("{}", m.verb.camel());
    let path = &m.path;
    let name = &m.name;
    let suffix = &m.suffix;
    let handle = &m.handle_ty;
    let response = &m.response;
    let path_rules = &m.path_rules;
    let endpoint_doc = doc(&m.doc);
    let module_doc = doc(&format!(
        "`{} {}` (`{}`): types of this method.",
        m.verb.upper(),
        m.path,
        m.name
    ));
    let params = match &m.params_shared {
        Some(path) if path.to_string() == "crate :: typed :: NoParams" => {
            quote!(#[doc = "This method takes no parameters."] pub type Params = #path;)
        }
        Some(path) => quote!(pub use #path as Params;),
        None => params_struct(&m.params, &m.rules),
    };
    let types = m.types.iter().map(type_tokens);
    let setters = m.params.fields.iter().filter(|f| f.optional).map(setter);
    quote! {
        #module_doc
        pub mod #ident {
            crate::typed::pve_endpoint! {
                #endpoint_doc
                #verb #path #name suffix #suffix path_rules #path_rules
                handle #handle, params Params, response #response
            }
            #params
            #(#types)*
            impl crate::typed::Request<Endpoint> { #(#setters)* }
        }
    }
}

fn field_list<'a>(fields: impl Iterator<Item = &'a FieldIr>) -> TokenStream {
    let items = fields.map(|f| {
        let d = if f.doc.is_empty() {
            TokenStream::new()
        } else {
            doc(&f.doc)
        };
        let wire = &f.wire;
        let how = match f.how {
            How::Field => quote!(field),
            How::Indexed => quote!(indexed),
        };
        let ident = &f.ident;
        let ty = f.ty();
        quote!(#d #wire #how #ident: #ty)
    });
    quote!(#(#items),*)
}

fn params_struct(s: &StructIr, rules: &str) -> TokenStream {
    let d = doc(&s.doc);
    let ident = &s.ident;
    let required = field_list(s.fields.iter().filter(|f| !f.optional));
    let optional = field_list(s.fields.iter().filter(|f| f.optional));
    quote! {
        crate::typed::pve_params_struct! {
            #d
            #ident rules #rules {
                required { #required }
                optional { #optional }
            }
        }
    }
}

fn type_tokens(t: &TypeIr) -> TokenStream {
    match t {
        TypeIr::Response(s) => {
            let d = doc(&s.doc);
            let ident = &s.ident;
            let fields = field_list(s.fields.iter());
            quote! {
                crate::typed::pve_response_struct! { #d #ident { #fields } }
            }
        }
        TypeIr::Enum {
            ident,
            doc: text,
            values,
            open,
        } => {
            let d = doc(text);
            let variants = values.iter().map(|(v, wire)| quote!(#v = #wire));
            let mac = if *open {
                quote!(pve_open_enum)
            } else {
                quote!(pve_closed_enum)
            };
            quote! {
                crate::typed::#mac! { #d #ident { #(#variants),* } }
            }
        }
        TypeIr::Reexport { path, local } => quote!(pub use #path as #local;),
        TypeIr::Alias {
            ident,
            doc: text,
            ty,
        } => {
            let d = doc(text);
            quote!(#d pub type #ident = #ty;)
        }
    }
}

fn setter(f: &FieldIr) -> TokenStream {
    let d = doc(&f.doc);
    let ident = &f.ident;
    let ty = f.arg_ty();
    let value = format_ident!("value");
    let into = f.arg_into(&value);
    match f.how {
        How::Indexed => quote! {
            #d
            #[inline] pub fn #ident(mut self, index: u32, value: #ty) -> Self {
                self.params_mut().#ident.insert(index, #into);
                self
            }
        },
        How::Field => quote! {
            #d
            #[inline] pub fn #ident(mut self, value: #ty) -> Self {
                self.params_mut().#ident = ::std::option::Option::Some(#into);
                self
            }
        },
    }
}

/// The module `crate::api::formats`: every property-string type with its format table.
pub fn formats_module(formats: &[FormatIr]) -> TokenStream {
    let items = formats.iter().map(|f| {
        let ident = &f.ident;
        let json = f.json.to_string();
        let d = doc(&f.doc);
        let fields = f.fields.iter().map(|field| {
            let d = doc(&field.doc);
            let wire = &field.wire;
            let ident = &field.ident;
            let ty = &field.value_ty;
            quote!(#d #wire #ident: #ty)
        });
        let enums = f.enums.iter().map(type_tokens);
        let ctors = f.constructors.iter().map(|c| {
            let d = doc(&c.doc);
            let (ident, field, value) = (&c.ident, &c.field, &c.value);
            quote!(#d #[inline] pub fn #ident() -> Self { Self::new().#field(#value) })
        });
        quote! {
            crate::typed::pve_property_string! { #d #ident format #json { #(#fields),* } }
            impl #ident { #(#ctors)* }
            #(#enums)*
        }
    });
    let entries = formats.iter().map(|f| {
        let ident = &f.ident;
        let name = ident.to_string();
        quote! {
            crate::typed::propstring::FormatEntry {
                name: #name,
                format: <#ident as crate::typed::PropertyString>::format,
                reprint: crate::typed::propstring::reprint::<#ident>,
            }
        }
    });
    quote! {
        #[doc = "Property strings: one struct per distinct format of the schema (`QemuNet`, `LxcMp`, ...)."]
        pub mod formats {
            #(#items)*
            /// Every property-string type, in the order the schema first uses them.
            pub const ALL: &[crate::typed::propstring::FormatEntry] = &[#(#entries),*];
        }
    }
}

/// With the `mock` feature: the schema file and every method's full rules, for the embedded
/// fake PVE (`crate::mock`).
pub fn mock_module(root: &ModIr, file: &str) -> TokenStream {
    fn walk(m: &ModIr, out: &mut Vec<TokenStream>) {
        for method in &m.methods {
            let verb = method.verb.upper();
            let path = &method.path;
            let rules = &method.all_rules;
            out.push(quote! {
                crate::mock::EndpointRules { method: #verb, path: #path, rules: #rules }
            });
        }
        for child in &m.children {
            walk(child, out);
        }
    }
    let mut entries = Vec::new();
    walk(root, &mut entries);
    quote! {
        #[cfg(feature = "mock")]
        #[doc(hidden)]
        pub mod __mock {
            /// The schema the API was generated from.
            pub static SCHEMA_JSON: &str = include_str!(#file);
            /// Every method's parameter rules.
            pub static ENDPOINTS: &[crate::mock::EndpointRules] = &[#(#entries),*];
        }
    }
}
