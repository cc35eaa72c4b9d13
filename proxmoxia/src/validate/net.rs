//! IP networks as PVE writes them (`addr/len`), for the format checks and the firewall's.

use std::net::IpAddr;

/// `addr/len` split into the address and a prefix length within its family's width.
pub(super) fn prefix(v: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = v.split_once('/')?;
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len = len.parse::<u8>().ok()?;
    let addr = addr.parse::<IpAddr>().ok()?;
    let width = if addr.is_ipv4() { 32 } else { 128 };
    (len <= width).then_some((addr, len))
}

/// Whether the bits of `addr` past `len` are all zero, as `Net::IP` requires of a prefix.
pub(super) fn is_network(addr: IpAddr, len: u8) -> bool {
    let (bits, width) = match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32u32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host_bits = width - u32::from(len);
    host_bits == 0 || bits & (u128::MAX >> (128 - host_bits)) == 0
}
