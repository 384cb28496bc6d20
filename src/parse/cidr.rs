//! IPv4/IPv6 CIDR blocks, to judge a peer against `trusted_ips` the way Kong does.

use std::net::IpAddr;

/// An address block: a network address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128), written exactly as the
    /// meta.json pattern accepts it: no spaces, no zone, a prefix without leading zeros.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        // std's parsers refuse leading zeros in IPv4 octets and more than four hex digits in a
        // group, as the schema's pattern does.
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some("0") => 0,
            Some(p)
                if (1..=3).contains(&p.len())
                    && !p.starts_with('0')
                    && p.bytes().all(|b| b.is_ascii_digit()) =>
            {
                p.parse().ok()?
            }
            Some(_) => return None,
        };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    /// Whether `addr` lies inside the block. An IPv4-mapped IPv6 address counts as IPv4.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(a)),
                self.prefix,
                32,
            ),
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                prefix_eq(u128::from(net), u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_eq(net: u128, addr: u128, prefix: u8, width: u32) -> bool {
    let host_bits = width.saturating_sub(u32::from(prefix));
    let shift = |v: u128| v.checked_shr(host_bits).unwrap_or(0);
    shift(net) == shift(addr)
}

/// The address part of `source.address`, which hosts give as `ip`, `ip:port` or `[v6]:port`.
pub fn peer_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    text.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::5", false),
            ("::/0", "::1", true),
            ("10.0.0.0/8", "::ffff:10.0.0.8", true),
            ("10.0.0.0/8", "2001:db8::1", false),
        ];
        for (cidr, ip, expected) in cases {
            let c = Cidr::parse(cidr).unwrap();
            assert_eq!(c.contains(ip.parse().unwrap()), *expected, "{cidr} {ip}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "::/129",
            "x",
            "10.0.0.0/+8",
            "10.0.0.0/08",
            " 10.0.0.0/8",
            "10.0.0.0/8 ",
            "10.0.0.1\n",
            "fe80::1%eth0",
            "010.0.0.1",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn peer_forms() {
        assert_eq!(peer_ip("10.0.0.8:50412"), "10.0.0.8".parse().ok());
        assert_eq!(peer_ip("10.0.0.8"), "10.0.0.8".parse().ok());
        assert_eq!(peer_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(peer_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(peer_ip("unix:"), None);
    }
}
