//! The firewall's formats (`pve-fw-addr-spec`, `pve-fw-dport-spec`, ...), as pve-firewall
//! registers them. Messages use its wording.
//!
//! Two of them read files on the server: service names come from `/etc/services`, which the
//! client cannot know, so a well-formed name is left for the server to judge; protocols come
//! from `/etc/protocols`, which is Debian's `netbase` list on every PVE node, kept below.

use std::net::{IpAddr, Ipv4Addr};

use super::net::{is_network, prefix};

/// ipset and alias names longer than this are refused.
const MAX_NAME: usize = 64;
/// Port numbers in one list, a range counting two.
const MAX_PORT_NUMBERS: usize = 15;

/// `/etc/protocols` of Debian's `netbase` (name, number), plus the `icmpv6` that
/// pve-firewall adds.
const PROTOCOLS: &[(&str, u16)] = &[
    ("ip", 0),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("st", 5),
    ("tcp", 6),
    ("egp", 8),
    ("igp", 9),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("iso-tp4", 29),
    ("dccp", 33),
    ("xtp", 36),
    ("ddp", 37),
    ("idpr-cmtp", 38),
    ("ipv6", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("idrp", 45),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("skip", 57),
    ("ipv6-icmp", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("rspf", 73),
    ("vmtp", 81),
    ("eigrp", 88),
    ("ospf", 89),
    ("ax.25", 93),
    ("ipip", 94),
    ("etherip", 97),
    ("encap", 98),
    ("pim", 103),
    ("ipcomp", 108),
    ("vrrp", 112),
    ("l2tp", 115),
    ("isis", 124),
    ("sctp", 132),
    ("fc", 133),
    ("mobility-header", 135),
    ("udplite", 136),
    ("mpls-in-ip", 137),
    ("manet", 138),
    ("hip", 139),
    ("shim6", 140),
    ("wesp", 141),
    ("rohc", 142),
    ("ethernet", 143),
    ("mptcp", 262),
];

/// ICMP type names of `iptables -p icmp -h`.
const ICMP_TYPES: &[&str] = &[
    "any",
    "echo-reply",
    "destination-unreachable",
    "network-unreachable",
    "host-unreachable",
    "protocol-unreachable",
    "port-unreachable",
    "fragmentation-needed",
    "source-route-failed",
    "network-unknown",
    "host-unknown",
    "network-prohibited",
    "host-prohibited",
    "TOS-network-unreachable",
    "TOS-host-unreachable",
    "communication-prohibited",
    "host-precedence-violation",
    "precedence-cutoff",
    "source-quench",
    "redirect",
    "network-redirect",
    "host-redirect",
    "TOS-network-redirect",
    "TOS-host-redirect",
    "echo-request",
    "router-advertisement",
    "router-solicitation",
    "time-exceeded",
    "ttl-zero-during-transit",
    "ttl-zero-during-reassembly",
    "parameter-problem",
    "ip-header-bad",
    "required-option-missing",
    "timestamp-request",
    "timestamp-reply",
    "address-mask-request",
    "address-mask-reply",
];

/// ICMPv6 type names of `ip6tables -p icmpv6 -h`.
const ICMPV6_TYPES: &[&str] = &[
    "destination-unreachable",
    "no-route",
    "communication-prohibited",
    "beyond-scope",
    "address-unreachable",
    "port-unreachable",
    "failed-policy",
    "reject-route",
    "packet-too-big",
    "time-exceeded",
    "ttl-zero-during-transit",
    "ttl-zero-during-reassembly",
    "parameter-problem",
    "bad-header",
    "unknown-header-type",
    "unknown-option",
    "echo-request",
    "echo-reply",
    "router-solicitation",
    "router-advertisement",
    "neighbor-solicitation",
    "neighbour-solicitation",
    "neighbor-advertisement",
    "neighbour-advertisement",
    "redirect",
];

fn is_icmp_type(name: &str) -> bool {
    ICMP_TYPES.contains(&name) || ICMPV6_TYPES.contains(&name)
}

/// `[A-Za-z][A-Za-z0-9_-]+`: the names of aliases, ipsets and security groups.
fn is_name(v: &str) -> bool {
    v.len() >= 2
        && v.starts_with(|c: char| c.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An alias name, optionally scoped (`dc/`, `guest/`).
pub fn is_alias(v: &str) -> bool {
    let name = v
        .strip_prefix("dc/")
        .or_else(|| v.strip_prefix("guest/"))
        .unwrap_or(v);
    is_name(name)
}

/// The items of a comma-separated list; PVE refuses empty items at the end ("extraneous
/// commas"), and an empty item elsewhere fails as an item.
fn comma_items(v: &str) -> Result<std::str::Split<'_, char>, String> {
    if v.ends_with(',') {
        return Err("extraneous commas in list".into());
    }
    Ok(v.split(','))
}

/// An IPv4 address as `Net::IP` reads a prefix's address: one to four octets, the missing
/// ones zero (`10.0/16`).
fn short_ipv4(v: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(parts) {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// One element of an address list: an address, a network or a range of addresses.
fn address(element: &str) -> Result<IpAddr, String> {
    let invalid = |why: &str| Err(format!("invalid IP address: {why}"));
    if let Some((first, last)) = element.split_once('-') {
        let first = first.trim().parse::<IpAddr>();
        let last = last.trim().parse::<IpAddr>();
        return match (first, last) {
            (Ok(first), Ok(last)) if first.is_ipv4() == last.is_ipv4() => {
                if last < first {
                    invalid("Last IP address is before first IP address")
                } else {
                    Ok(first)
                }
            }
            (Ok(_), Ok(_)) => invalid("IP range with mixed IPv4 and IPv6 addresses"),
            _ => invalid(&format!("Invalid IP range {element}")),
        };
    }
    if let Ok(addr) = element.parse::<IpAddr>() {
        return Ok(addr);
    }
    let (network, len) = match prefix(element) {
        Some(found) => found,
        None => match element.split_once('/').and_then(|(addr, len)| {
            let addr = short_ipv4(addr)?;
            prefix(&format!("{addr}/{len}"))
        }) {
            Some(found) => found,
            None => return invalid(&format!("Cannot determine IP version of {element}")),
        },
    };
    if is_network(network, len) {
        Ok(network)
    } else {
        invalid(&format!("Invalid prefix {element}"))
    }
}

/// `pve-fw-addr-spec`: `+ipset`, an alias, or a list of addresses and networks of one IP
/// version (or a single range).
pub fn address_list(v: &str) -> Result<(), String> {
    if let Some(set) = v.strip_prefix('+') {
        if set.is_empty() || set.contains(char::is_whitespace) {
            return Err(format!("invalid IP address: Invalid IP {v}"));
        }
        return if v.len() > MAX_NAME + 1 {
            Err("ipset name too long".into())
        } else {
            Ok(())
        };
    }
    if is_alias(v) {
        return if v.len() > MAX_NAME {
            Err("alias name too long".into())
        } else {
            Ok(())
        };
    }
    let mut v4: Option<bool> = None;
    let mut count = 0;
    let mut range = false;
    for element in comma_items(v)? {
        count += 1;
        range |= element.contains('-');
        let addr = address(element)?;
        if v4.is_some_and(|v4| v4 != addr.is_ipv4()) {
            return Err(format!(
                "detected mixed ipv4/ipv6 addresses in address list '{v}'"
            ));
        }
        v4 = Some(addr.is_ipv4());
    }
    if range && count > 1 {
        return Err("you can't use a range in a list".into());
    }
    Ok(())
}

/// `pve-fw-dport-spec` (`icmp_types`: ICMP type names allowed) and `pve-fw-sport-spec`:
/// ports, `first:last` ranges and service names, at most fifteen numbers.
pub fn ports(v: &str, icmp_types: bool) -> Result<(), String> {
    let number = |s: &str| -> Result<u64, String> {
        // Digits only: a failed parse is a number far beyond any port.
        let port = s.parse::<u64>().unwrap_or(u64::MAX);
        if port > 65535 {
            Err(format!("invalid port '{s}'"))
        } else {
            Ok(port)
        }
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut count = 0;
    let mut icmp = false;
    for item in comma_items(v)? {
        match item.split_once(':') {
            Some((first, last)) if digits(first) && digits(last) => {
                count += 2;
                let (low, high) = (number(first)?, number(last)?);
                if low > high {
                    return Err(format!(
                        "backwards range '{first}:{last}' not allowed, did you mean '{last}:{first}'?"
                    ));
                }
            }
            _ if digits(item) => {
                count += 1;
                number(item)?;
            }
            _ if icmp_types && is_icmp_type(item) => icmp = true,
            // A service name of `/etc/services`; the server knows the list.
            _ if item.starts_with(|c: char| c.is_ascii_alphabetic())
                && !item.contains(|c: char| c.is_whitespace() || c == ':' || c == ',') => {}
            _ => return Err(format!("invalid port '{item}'")),
        }
    }
    if icmp && count > 0 {
        return Err("ICMP ports not allowed in port range".into());
    }
    if count > MAX_PORT_NUMBERS {
        return Err(format!(
            "too many entries in port list (> {MAX_PORT_NUMBERS} numbers)"
        ));
    }
    Ok(())
}

/// `pve-fw-protocol-spec`: a protocol name or number of `/etc/protocols`, or `icmpv6`.
pub fn protocol(v: &str) -> Result<(), String> {
    let known = v == "icmpv6"
        || PROTOCOLS
            .iter()
            .any(|(name, number)| *name == v || number.to_string() == v);
    if known {
        Ok(())
    } else {
        Err(format!("unknown protocol '{v}'"))
    }
}

/// `pve-fw-icmp-type-spec`: an ICMP or ICMPv6 type name.
pub fn icmp_type(v: &str) -> Result<(), String> {
    if v.is_empty() || is_icmp_type(v) {
        Ok(())
    } else {
        Err(format!("invalid icmp-type value '{v}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists() {
        for good in [
            "192.0.2.7",
            "192.0.2.0/24",
            "10.0/16",
            "192.0.2.1,192.0.2.9",
            "192.0.2.1-192.0.2.9",
            "fd00::/64",
            "+myset",
            "dc/myalias",
            "guest/other",
            "webservers",
        ] {
            assert_eq!(address_list(good), Ok(()), "{good}");
        }
        for (bad, message) in [
            ("300.0.0.0/24", "invalid IP address"),
            ("192.0.2.0/33", "invalid IP address"),
            ("192.0.2.7/24", "Invalid prefix"),
            ("192.0.2.9-192.0.2.1", "before first"),
            ("192.0.2.1,fd00::1", "mixed ipv4/ipv6"),
            ("192.0.2.1-192.0.2.9,192.0.2.20", "range in a list"),
            ("192.0.2.1,", "extraneous commas"),
            ("192.0.2.1,,192.0.2.2", "invalid IP address"),
        ] {
            let error = address_list(bad).expect_err(bad);
            assert!(error.contains(message), "{bad}: {error}");
        }
        assert_eq!(
            address_list(&format!("+{}", "a".repeat(65))),
            Err("ipset name too long".into())
        );
    }

    #[test]
    fn port_lists() {
        for good in ["22", "8000:8080", "80,443", "ssh", "http,https"] {
            assert_eq!(ports(good, false), Ok(()), "{good}");
        }
        assert_eq!(ports("echo-request", true), Ok(()));
        for (bad, dport, message) in [
            ("99999", false, "invalid port '99999'"),
            (
                "80:22",
                false,
                "backwards range '80:22' not allowed, did you mean '22:80'?",
            ),
            ("22,", false, "extraneous commas in list"),
            ("22a", false, "invalid port '22a'"),
            (
                "echo-request,22",
                true,
                "ICMP ports not allowed in port range",
            ),
            (
                "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:16",
                false,
                "too many entries in port list (> 15 numbers)",
            ),
        ] {
            assert_eq!(ports(bad, dport), Err(message.to_owned()), "{bad}");
        }
    }

    #[test]
    fn protocols() {
        for good in ["tcp", "6", "udp", "icmpv6", "ipv6-icmp", "0"] {
            assert_eq!(protocol(good), Ok(()), "{good}");
        }
        for bad in ["bogusproto", "TCP", "06", "255"] {
            assert!(protocol(bad).is_err(), "{bad}");
        }
    }
}
