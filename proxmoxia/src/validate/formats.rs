//! PVE's named string formats (`pve-vmid`, `mac-addr`, `ipv4`, ...), as the server checks
//! them. A format this client does not know is accepted: the server remains the judge.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    let ok = |fits: bool, message: &str| (!fits).then(|| message.to_owned());
    match format {
        "pve-vmid" => ok(is_vmid(value), "value does not look like a valid VM ID"),
        "pve-node" => ok(is_node(value), "value does not look like a valid node name"),
        "pve-configid" => ok(
            is_configid(value),
            &format!("invalid configuration ID '{value}'"),
        ),
        "pve-storage-id" => ok(
            is_storage_id(value),
            &format!("storage ID '{value}' contains illegal characters"),
        ),
        "pve-bridge-id" => ok(
            !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            &format!("invalid bridge ID '{value}'"),
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
        "IPorCIDR" => ok(
            value.parse::<IpAddr>().is_ok() || is_cidr(value, None),
            "value does not look like a valid IP address or CIDR network",
        ),
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
        "address" | "pve-storage-server" => ok(
            value.parse::<IpAddr>().is_ok() || is_dns_name(value),
            "value does not look like a valid address",
        ),
        "email" => ok(
            is_email(value),
            "value does not look like a valid email address",
        ),
        "email-or-username" => ok(
            is_email(value) || is_user_part(value),
            "value does not look like a valid email address or user name",
        ),
        "pve-iface" => ok(
            is_iface(value),
            &format!("invalid network interface name '{value}'"),
        ),
        "pve-userid" => ok(
            is_userid(value),
            "value does not look like a valid user name",
        ),
        "pve-tokenid" => ok(
            value
                .split_once('!')
                .is_some_and(|(user, token)| is_userid(user) && is_realm(token)),
            "value does not look like a valid token ID",
        ),
        "pve-realm" => ok(is_realm(value), "value does not look like a valid realm"),
        "pve-poolid" => ok(is_poolid(value), &format!("invalid pool ID '{value}'")),
        "pve-groupid" => ok(
            is_word(value, b".-_"),
            &format!("group name '{value}' contains invalid characters"),
        ),
        "pve-roleid" => ok(
            is_word(value, b".-_"),
            &format!("role name '{value}' contains invalid characters"),
        ),
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
            &format!("invalid content type '{value}'"),
        ),
        "pve-volume-id" => ok(
            is_volume_id(value),
            &format!("unable to parse volume ID '{value}'"),
        ),
        "pve-volume-id-or-qm-path" => ok(
            matches!(value, "none" | "cdrom") || value.starts_with('/') || is_volume_id(value),
            &format!("unable to parse volume ID '{value}'"),
        ),
        "pve-volume-id-or-absolute-path" => ok(
            value.starts_with('/') || is_volume_id(value),
            &format!("unable to parse volume ID '{value}'"),
        ),
        "disk-size" => ok(
            is_disk_size(value),
            &format!("unable to parse size '{value}'"),
        ),
        "pve-startup-order" => ok(is_startup_order(value), "invalid startup order"),
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
        "urlencoded" => ok(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-%_.!~*'()".contains(&b)),
            &format!("invalid urlencoded string: {value}"),
        ),
        _ => None,
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

fn is_unicast_mac(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        && u8::from_str_radix(parts[0], 16).is_ok_and(|first| first & 1 == 0)
}

fn is_ipv4_mask(v: &str) -> bool {
    v.parse::<Ipv4Addr>().is_ok_and(|ip| {
        let bits = u32::from(ip);
        bits.leading_ones() + bits.trailing_zeros() == 32 && bits != 0
    })
}

/// `addr/len`; `v6` `Some(true)` for IPv6 only, `Some(false)` for IPv4 only.
fn is_cidr(v: &str, v6: Option<bool>) -> bool {
    let Some((addr, len)) = v.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => v6 != Some(true) && len <= 32,
        Ok(IpAddr::V6(_)) => v6 != Some(false) && len <= 128,
        Err(_) => false,
    }
}

fn is_dns_name(v: &str) -> bool {
    !v.is_empty() && v.len() <= 253 && v.trim_end_matches('.').split('.').all(is_hostname_label)
}

fn is_user_part(v: &str) -> bool {
    !v.is_empty()
        && v.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '+' || c == '-' || c == '~')
        })
}

fn is_email(v: &str) -> bool {
    v.rsplit_once('@').is_some_and(|(user, domain)| {
        is_user_part(user)
            && domain.contains('.')
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

fn is_realm(v: &str) -> bool {
    v.len() >= 2
        && v.len() <= 32
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn is_userid(v: &str) -> bool {
    v.len() <= 64
        && v.rsplit_once('@').is_some_and(|(user, realm)| {
            !user.is_empty()
                && !user.contains(|c: char| c == ':' || c == '/' || c.is_whitespace())
                && is_realm(realm)
        })
}

fn is_poolid(v: &str) -> bool {
    !v.is_empty()
        && v.split('/').count() <= 3
        && v.split('/').all(|p| {
            !p.is_empty()
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        })
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

fn is_disk_size(v: &str) -> bool {
    let digits = v.strip_suffix(['K', 'M', 'G', 'T']).unwrap_or(v);
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
            ("ipv4", "10.0.0.1"),
            ("ipv6", "fd00::1"),
            ("CIDR", "10.0.0.0/24"),
            ("pve-ipv4-config", "dhcp"),
            ("pve-ipv4-config", "10.0.0.5/24"),
            ("dns-name", "pve.example.com"),
            ("email", "root@example.com"),
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
            ("ipv4", "10.0.0.256"),
            ("ipv6", "fd00:::1"),
            ("CIDR", "10.0.0.0/33"),
            ("pve-ipv4-config", "auto"),
            ("dns-name", "a..b"),
            ("email", "root"),
            ("pve-userid", "root"),
            ("pve-configid-list", "net1,1bad"),
            ("disk-size", "32X"),
        ] {
            assert!(check(format, value).is_some(), "{format} {value}");
        }
    }
}
