//! IR -> tokens, and splitting the output into invocations rust-analyzer accepts.
//!
//! Every body is a one-line call into the runtime (`crate::typed`); the repetitive parts of
//! types come from `macro_rules!` there, so the output stays small.

use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::apidoc::Verb;
use crate::catalog::Catalog;
use crate::ir::FormatDef;
use crate::ir::{
    Api, ArgKind, FieldIr, HandleFn, HandleIr, How, ListItem, LocalType, MethodIr, ModIr, ModPath,
    RequiredArgs, Site, Ty, TypeDef, TypeKey, VariantIr,
};
use crate::versions::Mask;

/// rust-analyzer drops any single expansion over 2,097,152 tokens; stay well under it (and
/// under the 1 M the project allows itself). A split costs build time: the subtree is
/// generated once to be measured and again by its own invocation, so split only when needed.
pub const TOKEN_BUDGET: usize = 900_000;

/// A module's contents and the paths split off inside them.
type Emitted = (TokenStream, Vec<String>);

/// How to write nested invocations for split-off modules.
pub struct Emitter<'a> {
    pub api: &'a Api,
    /// Where each method and property string is in the catalogue's tables.
    pub catalog: &'a Catalog,
    /// The schema arguments as the user wrote them.
    pub schema_args: Vec<String>,
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

/// `crate::api::a::b`.
pub fn mod_tokens(m: &ModPath) -> TokenStream {
    let segments = m.0.iter().map(|n| n.ident());
    quote!(crate::api #(:: #segments)*)
}

/// `crate::api::a::b::Name`.
fn site_path(site: &Site) -> TokenStream {
    let module = mod_tokens(&site.module);
    let name = crate::names::ident(&site.name);
    quote!(#module::#name)
}

/// How generated code names a generated type (`Ty::Named`).
#[derive(Clone, Copy)]
pub enum Refs<'a> {
    /// By its name in the method module: code inside that module.
    Local,
    /// Under the method module: a handle's argument.
    Under(&'a TokenStream),
    /// By the path where it is defined: a shared type's home.
    Defined(&'a Api),
}

impl Emitter<'_> {
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
            own.extend(self.handle_tokens(handle, m.path.is_empty()));
        }
        for method in &m.methods {
            own.extend(self.method_module(method));
        }
        own.extend(self.shared_module(m));
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
            let name = child.name.ident();
            let mut text = format!("`{}`", child.path);
            self.note(&mut text, child.versions);
            let d = doc(&text);
            own.extend(quote! {
                #d
                pub mod #name { #body }
            });
        }
        (own, total, splits)
    }

    fn invocation(&self, path: &str) -> TokenStream {
        let schemas = self.schema_args.iter().map(|s| Literal::string(s));
        let path = Literal::string(path);
        quote!(::proxmoxia_macros::api!([#(#schemas),*], #path);)
    }

    /// Appends the versions of `mask` to a doc text, if not every version has it.
    fn note(&self, text: &mut String, mask: Mask) {
        if let Some(words) = self.api.versions.describe(mask) {
            text.push_str(&format!("\n\n**{words}.**"));
        }
    }

    /// `#[cfg(not(any(proxmoxia_pve = "8.4", ..)))]`: the item is left out when the final
    /// build names a version that lacks it (see the README: "Only what my PVE has").
    fn cfg(&self, mask: Mask) -> TokenStream {
        let lacking = self.api.versions.lacking(mask);
        if lacking.is_empty() {
            return TokenStream::new();
        }
        quote!(#[cfg(not(any(#(proxmoxia_pve = #lacking),*)))])
    }

    fn handle_tokens(&self, h: &HandleIr, root: bool) -> TokenStream {
        let base = if root {
            quote!(crate::typed::PathHandle::root(self))
        } else {
            quote!(self.0)
        };
        let fns = h.fns.iter().map(|f| self.handle_fn(f, &base));
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

    fn handle_fn(&self, f: &HandleFn, base: &TokenStream) -> TokenStream {
        let cfg = self.cfg(f.versions());
        let name = f.name().ident();
        match f {
            HandleFn::Child {
                doc: text,
                segment,
                target,
                versions,
                ..
            } => {
                let mut text = text.clone();
                self.note(&mut text, *versions);
                let d = doc(&text);
                let target = mod_tokens(target);
                quote! {
                    #d #cfg
                    #[inline] pub fn #name(&self) -> #target::Handle { #target::Handle(#base.child(#segment)) }
                }
            }
            HandleFn::Item {
                doc: text,
                literal,
                param,
                target,
                versions,
                ..
            } => {
                let mut text = text.clone();
                self.note(&mut text, *versions);
                let d = doc(&text);
                let arg = param.name.ident();
                let arg_ty = if param.integer {
                    quote!(i64)
                } else {
                    quote!(impl ::std::fmt::Display)
                };
                let path = match literal {
                    Some(lit) => quote!(#base.child_param(#lit, &#arg)),
                    None => quote!(#base.param(&#arg)),
                };
                let target = mod_tokens(target);
                quote! {
                    #d #cfg
                    #[inline] pub fn #name(&self, #arg: #arg_ty) -> #target::Handle { #target::Handle(#path) }
                }
            }
            HandleFn::Verb {
                name: fn_name,
                doc: text,
                alias,
                method,
                suffix,
                required,
                versions,
            } => {
                let mut text = text.clone();
                match required {
                    RequiredArgs::Struct(fields) => {
                        let names: Vec<String> = fields
                            .iter()
                            .map(|f| format!("`{}`", f.name.bare()))
                            .collect();
                        text.push_str(&format!(
                            "\n\nRequired parameters, by name in [`Required`](crate::{method}::Required): {}.",
                            names.join(", ")
                        ));
                    }
                    RequiredArgs::One(f) => {
                        text.push_str(&format!("\n\nRequired parameter: `{}`.", f.name.bare()));
                    }
                    RequiredArgs::None => {}
                }
                text.push_str(&format!(
                    "\n\nThe optional parameters are the setters of [`Request`](crate::{method}::Request)."
                ));
                self.note(&mut text, *versions);
                let d = doc(&text);
                let module = mod_tokens(method);
                let (args, value) = match required {
                    RequiredArgs::None => (TokenStream::new(), TokenStream::new()),
                    RequiredArgs::One(f) => {
                        let ident = f.name.ident();
                        let ty = arg_ty(&f.ty, Refs::Under(&module));
                        let into = arg_into(&f.ty, &ident);
                        (quote!(#ident: #ty), into)
                    }
                    RequiredArgs::Struct(_) => {
                        (quote!(required: #module::Required), quote!(required))
                    }
                };
                // rustdoc refuses an alias equal to the name.
                let alias = (fn_name.as_str() != alias).then(|| quote!(#[doc(alias = #alias)]));
                quote! {
                    #d #alias #cfg
                    #[inline] pub fn #name(&self, #args) -> #module::Request {
                        crate::typed::Request::new(#base.child(#suffix), #module::Params::new(#value))
                    }
                }
            }
        }
    }

    fn method_module(&self, m: &MethodIr) -> TokenStream {
        let ident = m.name.ident();
        let suffix = &m.suffix;
        let handle = match &m.handle {
            Some(module) => {
                let module = mod_tokens(module);
                quote!(#module::Handle)
            }
            None => quote!(crate::Client),
        };
        let catalog = Literal::usize_unsuffixed(self.catalog.method_at(&m.module));
        let mut endpoint_text = m.doc.clone();
        self.note(&mut endpoint_text, m.versions);
        let endpoint_doc = doc(&endpoint_text);
        let module_doc = doc(&format!(
            "`{} {}` (`{}`): types of this method.",
            m.verb.upper(),
            m.path,
            m.pve_name
        ));
        let params = match m.params {
            None => quote!(
                #[doc = "This method takes no parameters."]
                pub type Params = crate::typed::NoParams;
            ),
            Some(_) => TokenStream::new(),
        };
        let types = m.types.iter().map(|t| self.site_tokens(&m.module, t));
        let response = if m.response.alias {
            let d = doc(&m.response.doc);
            let ty = ty_tokens(&m.response.ty, Refs::Local);
            quote!(#d pub type Response = #ty;)
        } else {
            TokenStream::new()
        };
        let setters: Vec<TokenStream> = m
            .fields
            .iter()
            .filter(|f| f.optional)
            .map(|f| self.setter(f))
            .collect();
        // The setters are inherent methods of the generic request for this endpoint: no type
        // of its own per endpoint (the compiler checks one impl instead of a newtype's six).
        let setters = (!setters.is_empty())
            .then(|| quote!(impl crate::typed::Request<Endpoint> { #(#setters)* }));
        let request_doc = doc(&request_doc(m));
        quote! {
            #module_doc
            pub mod #ident {
                crate::typed::pve_endpoint! {
                    #endpoint_doc
                    catalog #catalog suffix #suffix
                    handle #handle, params Params, response Response
                }
                #params
                #(#types)*
                #response
                #request_doc
                pub type Request = crate::typed::Request<Endpoint>;
                #setters
            }
        }
    }

    /// The type `t` of `module`: its definition when this is its one site, else a re-export
    /// of its home.
    fn site_tokens(&self, module: &ModPath, t: &LocalType) -> TokenStream {
        let group = &self.api.types[t.key];
        let local_ident = crate::names::ident(&t.name);
        if let Some(home) = &group.home {
            let path = site_path(&home.site);
            return quote!(pub use #path as #local_ident;);
        }
        let here = Site {
            module: module.clone(),
            name: t.name.clone(),
        };
        match group.sites.get(&here) {
            Some(def) => self.def_tokens(&local_ident, def, t.key, t.versions, Refs::Local),
            None => TokenStream::new(),
        }
    }

    /// The module `shared` of `m`: the homes of types used at two or more sites below it.
    pub fn shared_module(&self, m: &ModIr) -> TokenStream {
        let Some(shared) = self.api.shared.get(&m.module) else {
            return TokenStream::new();
        };
        let imports = shared.imports.iter().filter_map(|key| {
            let at = self.api.types[*key].defined_at()?;
            let path = site_path(at);
            Some(quote!(use #path;))
        });
        let types = shared.types.iter().filter_map(|key| {
            let home = self.api.types[*key].home.as_ref()?;
            let ident = crate::names::ident(&home.site.name);
            Some(self.def_tokens(
                &ident,
                &home.def,
                *key,
                home.versions,
                Refs::Defined(self.api),
            ))
        });
        let text = if m.path.is_empty() {
            "Types that endpoints of different top-level paths share".to_owned()
        } else {
            format!("Types that endpoints under `{}` share", m.path)
        };
        let d = doc(&format!(
            "{text}: each is defined here once and re-exported by every endpoint that uses it, \
             under that endpoint's name for it."
        ));
        let name = crate::names::ident(crate::homes::SHARED);
        quote! {
            #d
            pub mod #name { #(#imports)* #(#types)* }
        }
    }

    /// A type's definition (the type `key`, if registered); `versions` those of what uses
    /// it, noted in its docs; `refs` how it names other generated types.
    fn def_tokens(
        &self,
        ident: &proc_macro2::Ident,
        def: &TypeDef,
        key: impl Into<Option<TypeKey>>,
        versions: Mask,
        refs: Refs,
    ) -> TokenStream {
        let doc = |text: &str| {
            let mut text = text.to_owned();
            self.note(&mut text, versions);
            doc(&text)
        };
        match def {
            TypeDef::Struct(s) => {
                let d = doc(&s.doc);
                let fields = self.field_list(s.fields.iter().filter(|f| f.how == How::Field), refs);
                let families =
                    self.field_list(s.fields.iter().filter(|f| f.how == How::Indexed), refs);
                // Credentials typed as text: `Debug` shows them as `***`.
                let hidden: Vec<_> = s
                    .fields
                    .iter()
                    .filter(|f| f.hidden)
                    .map(|f| f.name.ident())
                    .collect();
                let hidden = (!hidden.is_empty()).then(|| quote!(hidden [#(#hidden),*]));
                quote! {
                    crate::typed::pve_response_struct! {
                        #d #ident #hidden { fields { #fields } families { #families } }
                    }
                }
            }
            TypeDef::Enum(e) => {
                let d = doc(&e.doc);
                let variants = e.values.iter().map(|v| self.variant(v, e.open));
                let mac = if e.open {
                    quote!(pve_open_enum)
                } else {
                    quote!(pve_closed_enum)
                };
                quote! {
                    crate::typed::#mac! { #d #ident { #(#variants),* } }
                }
            }
            TypeDef::Params(p) => {
                let d = doc(&p.doc);
                // The rules: those of the method of its (first) site in the catalogue.
                let rules = key
                    .into()
                    .map_or(0, |key| self.catalog.params_method(self.api, key));
                let rules = Literal::usize_unsuffixed(rules);
                let by = p.required.map(|key| {
                    let name = self.required_ident(key, refs);
                    quote!(by #name)
                });
                let required = self.field_list(p.fields.iter().filter(|f| !f.optional), refs);
                let optional = self.field_list(
                    p.fields
                        .iter()
                        .filter(|f| f.optional && f.how == How::Field),
                    refs,
                );
                let families =
                    self.field_list(p.fields.iter().filter(|f| f.how == How::Indexed), refs);
                // Sending marks these in the form (hidden wherever it is shown) without
                // encoding the parameters a second time to find them; `Debug` hides them.
                let secrets: Vec<TokenStream> = p
                    .fields
                    .iter()
                    .filter(|f| f.ty.holds_secret() || f.hidden)
                    .map(|f| {
                        let (wire, family) = (&f.wire, f.how == How::Indexed);
                        quote!((#wire, #family))
                    })
                    .collect();
                let secrets = (!secrets.is_empty()).then(|| quote!(secrets [#(#secrets),*]));
                quote! {
                    crate::typed::pve_params_struct! {
                        #d
                        #ident rules #rules #by #secrets {
                            required { #required }
                            optional { #optional }
                            families { #families }
                        }
                    }
                }
            }
            TypeDef::Required(r) => {
                let d = doc(&r.doc);
                let fields = self.field_list(r.fields.iter(), refs);
                quote! {
                    crate::typed::pve_required_struct! { #d #ident { #fields } }
                }
            }
        }
    }

    fn variant(&self, v: &VariantIr, open: bool) -> TokenStream {
        let name = v.name.ident();
        let wire = &v.wire;
        let text = match v.versions.and_then(|m| self.api.versions.describe(m)) {
            Some(words) => format!("`{wire}` ({words})"),
            None => format!("`{wire}`"),
        };
        let note = quote!(doc #text);
        // Answers keep every value; a parameter's value a chosen version lacks is left out.
        let cfg = match v.versions {
            Some(m) if !open => {
                let lacking = self.api.versions.lacking(m);
                quote!(if not(any(#(proxmoxia_pve = #lacking),*)))
            }
            _ => TokenStream::new(),
        };
        quote!(#name = #wire #note #cfg)
    }

    /// The identifier of a `Params`' `Required` struct: `Required` in the method module; in a
    /// `shared` module its name there, or the name it is imported under.
    fn required_ident(&self, key: TypeKey, refs: Refs) -> proc_macro2::Ident {
        let name = match refs {
            Refs::Defined(api) => api.types[key].defined_at().map(|s| s.name.as_str()),
            Refs::Local | Refs::Under(_) => None,
        };
        crate::names::ident(name.unwrap_or("Required"))
    }

    fn field_list<'f>(&self, fields: impl Iterator<Item = &'f FieldIr>, refs: Refs) -> TokenStream {
        let items = fields.map(|f| {
            let mut text = f.doc.clone();
            if let Some(m) = f.versions {
                self.note(&mut text, m);
            }
            let d = doc(&text);
            let wire = &f.wire;
            let ident = f.name.ident();
            let ty = ty_tokens(&f.full_ty(), refs);
            quote!(#d #wire #ident: #ty)
        });
        quote!(#(#items),*)
    }

    fn setter(&self, f: &FieldIr) -> TokenStream {
        let mut text = f.doc.clone();
        let cfg = match f.versions {
            Some(m) => {
                self.note(&mut text, m);
                self.cfg(m)
            }
            None => TokenStream::new(),
        };
        let d = doc(&text);
        let ident = f.name.ident();
        let ty = arg_ty(&f.ty, Refs::Local);
        let value = format_ident!("value");
        let into = arg_into(&f.ty, &value);
        match f.how {
            How::Indexed => quote! {
                #d #cfg
                #[inline] pub fn #ident(mut self, index: u32, value: #ty) -> Self {
                    self.params_mut().#ident.insert(index, #into);
                    self
                }
            },
            How::Field => quote! {
                #d #cfg
                #[inline] pub fn #ident(mut self, value: #ty) -> Self {
                    self.params_mut().#ident = ::std::option::Option::Some(#into);
                    self
                }
            },
        }
    }

    /// The module `crate::api::formats`: every property-string type with its format table.
    pub fn formats_module(&self) -> TokenStream {
        let formats = &self.api.formats;
        let mut items = Vec::new();
        for def in &formats.defs {
            items.push(self.format_def(def));
        }
        let entries = formats.by_name.keys().map(|name| {
            let ident = crate::names::ident(name);
            quote! {
                crate::typed::propstring::FormatEntry {
                    name: #name,
                    format: <#ident as crate::typed::PropertyString>::format,
                    reprint: crate::typed::propstring::reprint::<#ident>,
                    reread: crate::typed::propstring::reread::<#ident>,
                }
            }
        });
        quote! {
            #[doc = "Property strings: one struct per site of the schema that uses one, named by its path and parameter (`QemuNet`, `LxcMp`, ...)."]
            pub mod formats {
                #(#items)*
                /// Every property-string type, by name.
                pub const ALL: &[crate::typed::propstring::FormatEntry] = &[#(#entries),*];
            }
        }
    }

    fn format_def(&self, f: &FormatDef) -> TokenStream {
        let canonical = f.canonical();
        let ident = crate::names::ident(canonical);
        let format = Literal::usize_unsuffixed(self.catalog.format_at(canonical));
        let d = doc(&f.doc);
        let fields = f.fields.iter().map(|field| {
            let mut text = field.doc.clone();
            if let Some(m) = field.versions {
                self.note(&mut text, m);
            }
            let d = doc(&text);
            let wire = &field.wire;
            let name = field.name.ident();
            let ty = ty_tokens(&field.ty, Refs::Local);
            quote!(#d #wire #name: #ty)
        });
        let enums = f.enums.iter().map(|(suffix, e)| {
            let ident = crate::names::ident(&format!("{canonical}{suffix}"));
            self.def_tokens(
                &ident,
                &TypeDef::Enum(e.clone()),
                None,
                self.api.versions.all(),
                Refs::Local,
            )
        });
        let ctors = f.constructors.iter().map(|c| {
            let d = doc(&c.doc);
            let (name, field, key) = (c.name.ident(), c.field.ident(), &c.key);
            let value = match &c.enum_type {
                Some(e) => {
                    let e = crate::names::ident(e);
                    quote!(#e::from(#key))
                }
                None => quote!(#key),
            };
            quote!(#d #[inline] pub fn #name() -> Self { Self::new().#field(#value) })
        });
        let others = f.names.iter().skip(1).map(|name| {
            let alias = crate::names::ident(name);
            let enum_aliases = f.enums.iter().map(|(suffix, _)| {
                let from = crate::names::ident(&format!("{canonical}{suffix}"));
                let to = crate::names::ident(&format!("{name}{suffix}"));
                quote!(pub use self::#from as #to;)
            });
            quote! {
                pub use self::#ident as #alias;
                #(#enum_aliases)*
            }
        });
        quote! {
            crate::typed::pve_property_string! { #d #ident format #format { #(#fields),* } }
            impl #ident { #(#ctors)* }
            #(#enums)*
            #(#others)*
        }
    }
}

/// The Rust type; named types as `refs` says.
pub fn ty_tokens(ty: &Ty, refs: Refs) -> TokenStream {
    match ty {
        Ty::Unit => quote!(()),
        Ty::Bool => quote!(bool),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::String => quote!(::std::string::String),
        Ty::Secret => quote!(crate::Secret),
        Ty::Json => quote!(::serde_json::Value),
        Ty::Vec(t) => {
            let t = ty_tokens(t, refs);
            quote!(::std::vec::Vec<#t>)
        }
        Ty::StringMap(t) => {
            let t = ty_tokens(t, refs);
            quote!(::std::collections::BTreeMap<::std::string::String, #t>)
        }
        Ty::Indexed(t) => {
            let t = ty_tokens(t, refs);
            quote!(::std::collections::BTreeMap<u32, #t>)
        }
        Ty::List(ListItem::I64) => quote!(crate::typed::List<i64>),
        Ty::List(ListItem::String) => quote!(crate::typed::List<::std::string::String>),
        Ty::List(ListItem::Tag) => quote!(crate::typed::Tags),
        Ty::List(ListItem::Iface) => quote!(crate::typed::List<::std::string::String, ' '>),
        Ty::Option(t) => {
            let t = ty_tokens(t, refs);
            quote!(::std::option::Option<#t>)
        }
        Ty::Named { key, local } => {
            let local_ident = crate::names::ident(local);
            match refs {
                Refs::Local => quote!(#local_ident),
                Refs::Under(m) => quote!(#m::#local_ident),
                Refs::Defined(api) => match api.types[*key].defined_at() {
                    Some(site) => site_path(site),
                    None => quote!(#local_ident),
                },
            }
        }
        Ty::Format(name) => {
            let name = crate::names::ident(name);
            quote!(crate::api::formats::#name)
        }
    }
}

/// The doc of a method's request type: what it sends, how, and its parameters by kind.
fn request_doc(m: &MethodIr) -> String {
    let names = |required: bool| -> Vec<String> {
        m.fields
            .iter()
            .filter(|f| f.optional != required)
            .map(|f| format!("`{}`", f.name.bare()))
            .collect()
    };
    let mut doc = format!(
        "A `{} {}` request (`{}`): set optional parameters with the setters below, then \
         `.await` it (or `.send()`, `.send_json()`; `.validate()`, `.to_form()` check and show \
         what would be sent).",
        m.verb.upper(),
        m.path,
        m.pve_name
    );
    let required = names(true);
    if !required.is_empty() {
        doc.push_str(&format!(
            "\n\nRequired parameters (given when the request was made): {}.",
            required.join(", ")
        ));
    }
    if names(false).is_empty() {
        doc.push_str("\n\nIt has no optional parameters.");
    }
    doc
}

/// The argument type of a setter or positional parameter.
fn arg_ty(ty: &Ty, refs: Refs) -> TokenStream {
    match ty.arg_kind() {
        ArgKind::Text | ArgKind::Secret => {
            quote!(impl ::std::convert::Into<::std::string::String>)
        }
        ArgKind::Plain => ty_tokens(ty, refs),
        ArgKind::List(item) => {
            let item = match item {
                ListItem::I64 => quote!(i64),
                ListItem::String | ListItem::Tag | ListItem::Iface => {
                    quote!(::std::string::String)
                }
            };
            quote!(impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#item>>)
        }
    }
}

/// Converts argument `v` into the value type.
fn arg_into(ty: &Ty, v: &proc_macro2::Ident) -> TokenStream {
    match ty.arg_kind() {
        ArgKind::Text => quote!(#v.into()),
        ArgKind::Secret => quote!(crate::Secret::new(#v.into())),
        ArgKind::Plain => quote!(#v),
        ArgKind::List(_) => quote!(#v.into_iter().map(::std::convert::Into::into).collect()),
    }
}

/// With the `audit` feature: every GET method's facts and its answer's decoder
/// (`crate::audit::entry`), for the answer audit. Behind the feature because each entry is a
/// decoder the compiler builds.
pub fn audit_table(root: &ModIr) -> TokenStream {
    fn walk(m: &ModIr, out: &mut Vec<TokenStream>) {
        for method in m.methods.iter().filter(|m| m.verb == Verb::Get) {
            let module = mod_tokens(&method.module);
            out.push(quote!(crate::audit::entry::<#module::Endpoint>()));
        }
        for child in &m.children {
            walk(child, out);
        }
    }
    let mut entries = Vec::new();
    walk(root, &mut entries);
    quote! {
        /// Every GET method, with its answer's decoder.
        #[cfg(feature = "audit")]
        #[doc(hidden)]
        pub static AUDIT: &[crate::audit::Entry] = &[#(#entries),*];
    }
}

/// With the `schemas` feature: the schemas themselves, for the answers' shapes
/// (`crate::catalog::schemas`, which the embedded fake and the CLI read; the rules are the
/// catalogue's).
pub fn schemas_module(schemas: &[(&str, &str)]) -> TokenStream {
    let schemas = schemas.iter().map(|(label, json)| {
        let json = Literal::string(json);
        quote!((#label, #json))
    });
    quote! {
        #[cfg(feature = "schemas")]
        #[doc(hidden)]
        pub mod __schemas {
            /// The schema of each version, oldest first, as `(version, apidoc JSON)`,
            /// corrected by the supplement as the typed API is.
            pub static SCHEMAS: &[(&str, &str)] = &[#(#schemas),*];
        }
    }
}
