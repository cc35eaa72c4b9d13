//! One method of the API (`POST /nodes/{node}/qemu`) and its parameters.

use std::fmt;

use super::rule::Rule;
use crate::decode::family_index;

/// An HTTP method of the PVE API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: reads; parameters in the query string.
    Get,
    /// `POST`: creates or acts; parameters in the body.
    Post,
    /// `PUT`: changes; parameters in the body.
    Put,
    /// `DELETE`: removes; parameters in the query string.
    Delete,
}

impl HttpMethod {
    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }

    /// `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One method of one API path, as the vendored schemas describe it (their union: what not
/// every vendored version has is marked with the versions that have it).
#[derive(Debug)]
pub struct Method {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template as the API viewer shows it (`/nodes/{node}/qemu`).
    pub path: &'static str,
    /// The method's name in PVE's schema (`vmlist`, `create_vm`).
    pub name: &'static str,
    /// The vendored versions that have the method: bit `i` stands for
    /// [`versions()`](super::versions)`[i]`.
    pub versions: u32,
    /// Every parameter, path ones included, sorted by name (the order PVE's schema lists
    /// them in, and the order of the client's checks).
    pub params: &'static [Param],
    /// PVE's description of the method.
    pub description: &'static str,
    /// Who may call it, as PVE states it.
    pub permissions: Permissions,
    /// Whether API tokens may call it.
    pub allow_token: bool,
    /// The answer's type as the API viewer writes it (`<array>`, `<string>`).
    pub returns: &'static str,
    /// The key whose values name the children of a list answer (`vmid` for
    /// `GET /nodes/{node}/qemu`), from the answer's link.
    pub child_link: Option<&'static str>,
}

/// Who may call a method, in PVE's words.
#[derive(Debug, Clone, Copy, Default)]
pub struct Permissions {
    /// PVE's text, if any.
    pub description: Option<&'static str>,
    /// The permission check, as PVE's schema writes it (JSON: `["perm","/vms/{vmid}",
    /// ["VM.Migrate"]]`).
    pub check: Option<&'static str>,
    /// `all` (any logged-in user, subject to the check) or `world` (anyone).
    pub user: Option<&'static str>,
}

/// One parameter of a method and its rule.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The wire name; the prefix for an indexed family (`net` for `net0`, `net1`, ...).
    pub name: &'static str,
    /// An indexed family.
    pub indexed: bool,
    /// A parameter of the path (`{node}`): always given, in the path.
    pub in_path: bool,
    /// The rule of each value (the widest over the vendored versions).
    pub rule: &'static Rule,
    /// The vendored versions that have it, where not every version of its method does.
    pub versions: Option<u32>,
    /// Where versions check it differently, each version's own rule (with the versions it
    /// applies to); [`rule`](Param::rule) is then the widest of them.
    pub by_version: &'static [(u32, &'static Rule)],
    /// PVE's description.
    pub description: &'static str,
    /// Its type as PVE's API viewer writes it: the schema's text where it gives one
    /// (`[file=]<volume> [,aio=<native|threads|io_uring>] ...`), else the type with its enum
    /// values (`<a | b>`) or range (`<integer> (1 - 8192)`).
    pub type_text: &'static str,
    /// Its default, as text.
    pub default: Option<&'static str>,
}

impl Param {
    /// The parameter `name` with the rule `rule`.
    pub const fn new(name: &'static str, rule: &'static Rule) -> Param {
        Param {
            name,
            indexed: false,
            in_path: false,
            rule,
            versions: None,
            by_version: &[],
            description: "",
            type_text: "",
            default: None,
        }
    }

    /// An indexed family.
    #[doc(hidden)]
    pub const fn indexed(mut self) -> Param {
        self.indexed = true;
        self
    }

    /// A path parameter.
    #[doc(hidden)]
    pub const fn in_path(mut self) -> Param {
        self.in_path = true;
        self
    }

    /// Only in these versions.
    #[doc(hidden)]
    pub const fn with_versions(mut self, versions: u32) -> Param {
        self.versions = Some(versions);
        self
    }

    /// Checked differently by these versions.
    #[doc(hidden)]
    pub const fn with_by_version(mut self, rules: &'static [(u32, &'static Rule)]) -> Param {
        self.by_version = rules;
        self
    }

    /// With PVE's texts: description, type text, default.
    #[doc(hidden)]
    pub const fn with_doc(
        mut self,
        description: &'static str,
        type_text: &'static str,
        default: Option<&'static str>,
    ) -> Param {
        self.description = description;
        self.type_text = type_text;
        self.default = default;
        self
    }

    /// The rule the vendored version at `index` of [`versions()`](super::versions) checks.
    pub fn rule_at(&self, index: usize) -> &'static Rule {
        self.by_version
            .iter()
            .find(|(mask, _)| bit(index) & mask != 0)
            .map_or(self.rule, |(_, rule)| rule)
    }

    /// Whether the vendored version at `index` has the parameter.
    pub fn in_version(&self, index: usize) -> bool {
        self.versions.is_none_or(|mask| bit(index) & mask != 0)
    }

    /// Whether the wire name `key` is this parameter (`net3` of the family `net`).
    pub fn names(&self, key: &str) -> bool {
        if self.indexed {
            family_index(key, self.name).is_some()
        } else {
            key == self.name
        }
    }

    /// The name as the API viewer writes it: `net[n]` for a family.
    pub fn display_name(&self) -> std::borrow::Cow<'static, str> {
        if self.indexed {
            format!("{}[n]", self.name).into()
        } else {
            self.name.into()
        }
    }
}

/// The bit of the version at `index` in a mask (none past the 32 a mask can name).
pub(crate) fn bit(index: usize) -> u32 {
    u32::try_from(index)
        .ok()
        .and_then(|i| 1u32.checked_shl(i))
        .unwrap_or(0)
}

impl Method {
    /// The method `method` of `path`, taking `params`.
    #[doc(hidden)]
    pub const fn new(
        method: HttpMethod,
        path: &'static str,
        name: &'static str,
        versions: u32,
        params: &'static [Param],
    ) -> Method {
        Method {
            method,
            path,
            name,
            versions,
            params,
            description: "",
            permissions: Permissions {
                description: None,
                check: None,
                user: None,
            },
            allow_token: false,
            returns: "",
            child_link: None,
        }
    }

    /// With PVE's texts: description, and the answer's type and child link.
    #[doc(hidden)]
    pub const fn with_doc(
        mut self,
        description: &'static str,
        returns: &'static str,
        child_link: Option<&'static str>,
    ) -> Method {
        self.description = description;
        self.returns = returns;
        self.child_link = child_link;
        self
    }

    /// With PVE's permissions.
    #[doc(hidden)]
    pub const fn with_permissions(
        mut self,
        description: Option<&'static str>,
        check: Option<&'static str>,
        user: Option<&'static str>,
    ) -> Method {
        self.permissions = Permissions {
            description,
            check,
            user,
        };
        self
    }

    /// API tokens may call it.
    #[doc(hidden)]
    pub const fn allowing_tokens(mut self) -> Method {
        self.allow_token = true;
        self
    }

    /// The parameter a wire name stands for: `cores`, or `net3` of the family `net`.
    pub fn param(&self, key: &str) -> Option<&'static Param> {
        let [plain, family] = lookup(self.params, key);
        plain.or(family).map(|at| &self.params[at])
    }

    /// The parameters of the path (`node`, `vmid`), in name order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static Param> + use<> {
        self.params.iter().filter(|p| p.in_path)
    }

    /// The parameters sent in the query or body, in name order.
    pub fn body_params(&self) -> impl Iterator<Item = &'static Param> + use<> {
        self.params.iter().filter(|p| !p.in_path)
    }
}

/// The positions in `params` (sorted by name) of the plain parameter `key` and of the family
/// `key` is a member of (`net` for `net0`). A key may be both (every rule that matches is
/// checked).
pub(crate) fn lookup(params: &[Param], key: &str) -> [Option<usize>; 2] {
    let find = |name: &str, indexed: bool| {
        let start = params.partition_point(|p| super::rule::name_order(p.name, name).is_lt());
        params[start..]
            .iter()
            .take_while(|p| p.name == name)
            .position(|p| p.indexed == indexed)
            .map(|i| start + i)
    };
    let plain = find(key, false);
    let prefix = key.trim_end_matches(|c: char| c.is_ascii_digit());
    let family = if prefix.len() < key.len() && family_index(key, prefix).is_some() {
        find(prefix, true)
    } else {
        None
    };
    [plain, family]
}
