//! PVE's named string formats (`pve-vmid`, `mac-addr`, `ipv4`, ...), as the server checks
//! them. A format this client does not know is accepted: the server remains the judge.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::firewall;
use super::net::{is_network, prefix};

/// The message for `value` breaking `format`, or `None` when it fits (or the format is not
/// one this client checks). Messages use PVE's wording.
pub fn check(format: &str, value: &str) -> Option<String> {
    if let Some(base) = format.strip_suffix("-opt") {
        return if value.is_empty() {
            None
        } else {
            check(base, value)
        };
    }
    if let Some(item) = format.strip_suffix("-list") {
        return split_list(value).find_map(|v| check(item, v));
    }
    // Messages are written only for values that do not fit.
    fn ok(fits: bool, message: impl Message) -> Option<String> {
        (!fits).then(|| message.text())
    }
    match format {
        "pve-vmid" => ok(is_vmid(value), "value does not look like a valid VM ID"),
        "pve-node" => ok(is_node(value), "value does not look like a valid node name"),
        "pve-configid" => ok(is_configid(value), || {
            format!("invalid configuration ID '{value}'")
        }),
        "pve-storage-id" => ok(is_storage_id(value), || {
            format!("storage ID '{value}' contains illegal characters")
        }),
        "pve-bridge-id" => ok(
            !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            || format!("invalid bridge ID '{value}'"),
        ),
        "mac-addr" => ok(
            is_unicast_mac(value),
            "value does not look like a valid unicast MAC address",
        ),
        "ipv4" => ok(
            value.parse::<Ipv4Addr>().is_ok(),
            "value does not look like a valid IPv4 address",
        ),
        "ipv6" => ok(
            value.parse::<Ipv6Addr>().is_ok(),
            "value does not look like a valid IPv6 address",
        ),
        "ip" => ok(
            value.parse::<IpAddr>().is_ok(),
            "value does not look like a valid IP address",
        ),
        "ipv4mask" => ok(
            is_ipv4_mask(value),
            "value does not look like a valid IP netmask",
        ),
        "CIDRv4" => ok(
            is_cidr(value, Some(false)),
            "value does not look like a valid IPv4 CIDR network",
        ),
        "CIDRv6" => ok(
            is_cidr(value, Some(true)),
            "value does not look like a valid IPv6 CIDR network",
        ),
        "CIDR" => ok(
            is_cidr(value, None),
            "value does not look like a valid CIDR network",
        ),
        "IPorCIDR" => ip_or_cidr(value),
        "IPorCIDRorAlias" => {
            if firewall::is_alias(value) {
                None
            } else {
                ip_or_cidr(value)
            }
        }
        "pve-ipv4-config" => ok(
            matches!(value, "dhcp" | "manual") || is_cidr(value, Some(false)),
            "value does not look like a valid ipv4 network configuration",
        ),
        "pve-ipv6-config" => ok(
            matches!(value, "auto" | "dhcp" | "manual") || is_cidr(value, Some(true)),
            "value does not look like a valid ipv6 network configuration",
        ),
        "dns-name" => ok(
            is_dns_name(value),
            "value does not look like a valid DNS name",
        ),
        "address" => ok(
            value.parse::<IpAddr>().is_ok() || is_dns_name(value),
            || format!("value does not look like a valid address: {value}"),
        ),
        "pve-storage-server" => ok(
            value.parse::<IpAddr>().is_ok() || is_dns_name(value),
            "value does not look like a valid server name or IP address",
        ),
        "email" => ok(
            is_email(value),
            "value does not look like a valid email address",
        ),
        "email-or-username" => ok(
            is_email(value) || is_user_part(value),
            "value does not look like a valid email address or user name",
        ),
        "pve-iface" => ok(is_iface(value), || {
            format!("invalid network interface name '{value}'")
        }),
        "pve-userid" => userid(value),
        "pve-tokenid" => ok(
            value
                .split_once('!')
                .is_some_and(|(user, token)| userid(user).is_none() && is_realm(token)),
            || format!("value '{value}' does not look like a valid token ID"),
        ),
        "pve-realm" => ok(is_realm(value), "value does not look like a valid realm"),
        "pve-poolid" => poolid(value),
        "pve-groupid" => ok(is_word(value, b".-_"), || {
            format!("group name '{value}' contains invalid characters")
        }),
        "pve-roleid" => ok(is_word(value, b".-_"), || {
            format!("role name '{value}' contains invalid characters")
        }),
        "pve-tag" => ok(is_tag(value), "invalid characters in tag"),
        "pve-storage-path" => ok(
            value.len() > 1 && value.starts_with('/') && !value[1..].starts_with([';', '(', ')']),
            "value does not look like a valid absolute path",
        ),
        "pve-storage-content" => ok(
            matches!(
                value,
                "images" | "rootdir" | "vztmpl" | "iso" | "backup" | "snippets" | "import"
            ),
            || format!("invalid content type '{value}'"),
        ),
        "pve-volume-id" => ok(is_volume_id(value), || {
            format!("unable to parse volume ID '{value}'")
        }),
        "pve-volume-id-or-qm-path" => ok(
            matches!(value, "none" | "cdrom") || value.starts_with('/') || is_volume_id(value),
            || format!("unable to parse volume ID '{value}'"),
        ),
        "pve-volume-id-or-absolute-path" => {
            ok(value.starts_with('/') || is_volume_id(value), || {
                format!("unable to parse volume ID '{value}'")
            })
        }
        "disk-size" => ok(is_disk_size(value), || {
            format!("value does not look like a valid disk size: {value}")
        }),
        "pve-startup-order" => ok(is_startup_order(value), "unable to parse startup options"),
        // `1` is PVE's default set and `0` none, besides the list.
        "pve-hotplug-features" if matches!(value, "0" | "1") => None,
        "pve-hotplug-features" => split_list(value)
            .find(|f| {
                !matches!(
                    *f,
                    "network" | "disk" | "cpu" | "memory" | "usb" | "cloudinit"
                )
            })
            .map(|f| format!("invalid hotplug feature '{f}'")),
        "pve-fw-comment-spec" => ok(
            !value.contains(['\n', '\r']),
            "comment must not contain a line feed",
        ),
        "pve-vlan-id-or-range" => vlan_id_or_range(value),
        "ldap-simple-attr" => ok(
            !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric()),
            || format!("value '{value}' does not look like a simple ldap attribute name"),
        ),
        "pve-fw-addr-spec" => firewall::address_list(value).err(),
        "pve-fw-dport-spec" => firewall::ports(value, true).err(),
        "pve-fw-sport-spec" => firewall::ports(value, false).err(),
        "pve-fw-protocol-spec" => firewall::protocol(value).err(),
        "pve-fw-icmp-type-spec" => firewall::icmp_type(value).err(),
        "urlencoded" => ok(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-%_.!~*'()".contains(&b)),
            || format!("invalid urlencoded string: {value}"),
        ),
        _ => None,
    }
}

/// A failure message: text, or a function writing it (so that nothing is written for a
/// value that fits).
trait Message {
    fn text(self) -> String;
}

impl Message for &str {
    fn text(self) -> String {
        self.to_owned()
    }
}

impl<F: FnOnce() -> String> Message for F {
    fn text(self) -> String {
        self()
    }
}

/// PVE's `split_list`: items separated by commas, semicolons or white space (or NUL).
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    let nul = text.contains('\0');
    text.split(move |c: char| {
        if nul {
            c == '\0'
        } else {
            c == ',' || c == ';' || c.is_whitespace()
        }
    })
    .filter(|item| !item.is_empty())
}

fn is_vmid(v: &str) -> bool {
    (3..=9).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0')
}

/// `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?`
fn is_hostname_label(v: &str) -> bool {
    !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-')
}

fn is_node(v: &str) -> bool {
    is_hostname_label(v)
}

fn is_configid(v: &str) -> bool {
    v.len() >= 2
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_storage_id(v: &str) -> bool {
    v.len() >= 2
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Six pairs of hex digits joined by `:` (`BC:24:11:00:00:01`), the first even.
fn is_unicast_mac(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                *c == b':'
            } else {
                c.is_ascii_hexdigit()
            }
        })
        && v.get(..2)
            .and_then(|first| u8::from_str_radix(first, 16).ok())
            .is_some_and(|first| first & 1 == 0)
}

fn is_ipv4_mask(v: &str) -> bool {
    v.parse::<Ipv4Addr>().is_ok_and(|ip| {
        let bits = u32::from(ip);
        bits.leading_ones() + bits.trailing_zeros() == 32 && bits != 0
    })
}

/// PVE's CIDR formats: the prefix must be longer than 7 (`pve_verify_cidrv4`: `$2 > 7`).
/// `v6` is `Some(true)` for IPv6 only, `Some(false)` for IPv4 only.
fn is_cidr(v: &str, v6: Option<bool>) -> bool {
    prefix(v).is_some_and(|(addr, len)| len > 7 && v6.is_none_or(|v6| addr.is_ipv6() == v6))
}

/// `IPorCIDR`: an address, or a network whose host bits are zero (PVE hands it to `Net::IP`).
fn ip_or_cidr(v: &str) -> Option<String> {
    if v.parse::<IpAddr>().is_ok() {
        return None;
    }
    match prefix(v) {
        Some((addr, len)) if is_network(addr, len) => None,
        Some(_) => Some(format!("Invalid prefix {v}")),
        None => Some("value does not look like a valid IP address or CIDR network".into()),
    }
}

/// `(label\.)*label`: no empty label, so no trailing dot.
fn is_dns_name(v: &str) -> bool {
    v.split('.').all(is_hostname_label)
}

/// PVE's `EMAIL_USER_RE`: `[\w+\-~]+(\.[\w+\-~]+)*` (ASCII word characters).
fn is_user_part(v: &str) -> bool {
    v.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+-~".contains(&b))
    })
}

/// PVE's `EMAIL_RE`: user part `@` `[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*`; a domain without
/// a dot (`root@localhost`) is valid.
fn is_email(v: &str) -> bool {
    v.split_once('@').is_some_and(|(user, domain)| {
        is_user_part(user)
            && domain
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    })
}

fn is_iface(v: &str) -> bool {
    let (name, suffix) = match v.find([':', '.']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    (2..=21).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && suffix.is_none_or(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// `[A-Za-z][A-Za-z0-9._-]+`; the format has no length limit (the `realm` parameter has its
/// own `maxLength`).
fn is_realm(v: &str) -> bool {
    v.len() >= 2
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// `user@realm`, at most 64 characters in all; the user part has no white space, `:` or `/`.
fn userid(v: &str) -> Option<String> {
    if v.len() < 3 {
        return Some(format!("user name '{v}' is too short"));
    }
    if v.len() > 64 {
        return Some(format!("user name '{v}' is too long ({} > 64)", v.len()));
    }
    let fits = v.rsplit_once('@').is_some_and(|(user, realm)| {
        !user.is_empty()
            && !user.contains(|c: char| c == ':' || c == '/' || c.is_whitespace())
            && is_realm(realm)
    });
    (!fits).then(|| format!("value '{v}' does not look like a valid user name"))
}

/// Up to three `/`-separated levels of `[A-Za-z0-9._-]+`.
fn poolid(v: &str) -> Option<String> {
    if v.split('/').count() > 3 {
        return Some(format!(
            "pool name '{v}' nested too deeply (max levels = 3)"
        ));
    }
    let fits = v.split('/').all(|level| {
        !level.is_empty()
            && level
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    (!fits).then(|| format!("pool name '{v}' contains invalid characters"))
}

/// `tag` or `start-end`, tags 2..=4094, a range going upwards (an end of `0` is no range,
/// as PVE reads it).
fn vlan_id_or_range(v: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (start, end) = match v.split_once('-') {
        Some((start, end)) => (start, Some(end)),
        None => (v, None),
    };
    if !digits(start) || end.is_some_and(|e| !digits(e)) {
        return Some(format!("invalid VLAN configuration '{v}'"));
    }
    // Digits only, so a failed parse means a number too large for any tag.
    let tag = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let out_of_range = |s: &str| !(2..=4094).contains(&tag(s));
    if out_of_range(start) {
        return Some(format!("invalid VLAN tag '{start}'"));
    }
    match end {
        Some(end) if tag(end) != 0 => {
            if out_of_range(end) {
                Some(format!("invalid VLAN tag '{end}'"))
            } else if tag(start) >= tag(end) {
                Some(format!("VLAN range must go from lower to higher tag '{v}'"))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn is_word(v: &str, extra: &[u8]) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

fn is_tag(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-+.".contains(&b))
}

fn is_volume_id(v: &str) -> bool {
    v.split_once(':')
        .is_some_and(|(storage, name)| is_storage_id(storage) && !name.is_empty())
}

/// A decimal number with an optional unit; the binary spellings (`GiB`) are taken too, so a
/// newer PVE that accepts them is not refused.
fn is_disk_size(v: &str) -> bool {
    let digits = ["KiB", "MiB", "GiB", "TiB", "K", "M", "G", "T"]
        .iter()
        .find_map(|unit| v.strip_suffix(unit))
        .unwrap_or(v);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn is_startup_order(v: &str) -> bool {
    v.split(',').filter(|p| !p.is_empty()).all(|part| {
        let (key, value) = part.split_once('=').unwrap_or(("order", part));
        matches!(key, "order" | "up" | "down")
            && !value.is_empty()
            && value.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_pve_accepts() {
        for (format, value) in [
            ("pve-vmid", "100"),
            ("pve-vmid", "999999999"),
            ("pve-node", "pve-1"),
            ("pve-configid", "net0"),
            ("pve-storage-id", "local-lvm"),
            ("mac-addr", "BC:24:11:00:00:01"),
            ("mac-addr", "bc:24:11:0a:ff:01"),
            ("ipv4", "10.0.0.1"),
            ("ipv6", "fd00::1"),
            ("CIDR", "10.0.0.0/24"),
            ("pve-ipv4-config", "dhcp"),
            ("pve-ipv4-config", "10.0.0.5/24"),
            ("dns-name", "pve.example.com"),
            ("email", "root@example.com"),
            ("email", "root@localhost"),
            ("pve-hotplug-features", "0"),
            ("pve-hotplug-features", "network,disk"),
            ("pve-poolid", "dev/team.a/_x"),
            ("pve-userid", &format!("u@r{}", "e".repeat(40))),
            ("IPorCIDR", "192.0.2.0/24"),
            ("IPorCIDR", "0.0.0.0/0"),
            ("IPorCIDRorAlias", "dc/servers"),
            ("pve-vlan-id-or-range", "100-200"),
            ("pve-vlan-id-or-range", "100-0"),
            ("ldap-simple-attr", "memberOf"),
            ("pve-fw-protocol-spec", "tcp"),
            ("pve-userid", "root@pam"),
            ("pve-configid-list", "net1, scsi1;ide2"),
            ("disk-size", "32G"),
            ("pve-startup-order", "order=1,up=30"),
            ("unknown-format", "anything"),
            ("pve-vmid-opt", ""),
        ] {
            assert_eq!(check(format, value), None, "{format} {value}");
        }
    }

    #[test]
    fn rejects_what_pve_rejects() {
        for (format, value) in [
            ("pve-vmid", "99"),
            ("pve-vmid", "0100"),
            ("pve-node", "-bad"),
            ("pve-configid", "0net"),
            ("pve-storage-id", "a b"),
            ("mac-addr", "BD:24:11:00:00:01"),
            ("mac-addr", "BC:24:11:00:00"),
            ("mac-addr", "BC:24:11:00:00:01:02"),
            ("mac-addr", "BC:24:11:00:00:1"),
            ("mac-addr", "BC:24:11:00:000:1"),
            ("mac-addr", "BC-24-11-00-00-01"),
            ("mac-addr", "BC:24:11:00:00:0g"),
            ("mac-addr", "BC:24:11:00:00:0é"),
            ("ipv4", "10.0.0.256"),
            ("ipv6", "fd00:::1"),
            ("CIDR", "10.0.0.0/33"),
            ("pve-ipv4-config", "auto"),
            ("dns-name", "a..b"),
            ("dns-name", "host.example.org."),
            ("CIDRv4", "10.0.0.0/7"),
            ("pve-ipv6-config", "fd00::/7"),
            ("IPorCIDR", "192.0.2.7/24"),
            ("pve-poolid", "a/b/c/d"),
            ("pve-vlan-id-or-range", "1"),
            ("pve-vlan-id-or-range", "200-100"),
            ("ldap-simple-attr", "a-b"),
            ("pve-fw-dport-spec", "80:22"),
            ("pve-fw-addr-spec", "192.0.2.0/33"),
            ("email", "root"),
            ("pve-userid", "root"),
            ("pve-configid-list", "net1,1bad"),
            ("disk-size", "32X"),
        ] {
            assert!(check(format, value).is_some(), "{format} {value}");
        }
    }
}
