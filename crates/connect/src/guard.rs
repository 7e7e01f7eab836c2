//! The outbound guard for user-configured URLs: every resolved address is checked, IP-literal
//! hosts are checked before the request, and every redirect hop is checked again.
//! Link-local and cloud-metadata addresses are always refused; loopback and private ranges
//! only when the config allows them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use switchboard_core::config::OutboundPolicy;

/// An address the guard refused; found in the error chain of a refused request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("outbound address {address} refused: {reason}")]
pub struct Refused {
    /// The address.
    pub address: IpAddr,
    /// Why.
    pub reason: &'static str,
}

/// Turns host names into addresses; the system resolver in production, a table in tests.
#[async_trait::async_trait]
pub trait NameLookup: Send + Sync {
    /// All addresses for `host`.
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The operating system's resolver.
pub struct SystemLookup;

#[async_trait::async_trait]
impl NameLookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0))
            .await?
            .map(|a| a.ip())
            .collect())
    }
}

/// The IPv4 address an IPv6 address embeds, where the network would deliver it to that IPv4
/// host: IPv4-mapped `::ffff:a.b.c.d`, SIIT's IPv4-translated `::ffff:0:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d` (deprecated), NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4
/// `2002:AABB:CCDD::/48`, and Teredo `2001::/32` (the client address, stored inverted).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    // SIIT (RFC 2765): `::ffff:0:a.b.c.d` is translated to a.b.c.d just like a mapped address.
    if s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0 {
        return Some(low);
    }
    // The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) holds translation prefixes of
    // the network's choosing: a /96 one puts the IPv4 address in the last 32 bits; the /48
    // prefix itself puts it in bits 48–63 and 72–87 (RFC 6052 §2.2), leaving the last 32 zero.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        if u32::from(low) != 0 {
            return Some(low);
        }
        // Bits 64–71 and 88–95 are zero in the /48 layout; anything else is no address a
        // translator delivers to, and is refused as unspecified.
        if s[4] >> 8 != 0 || s[5] & 0xff != 0 {
            return Some(Ipv4Addr::UNSPECIFIED);
        }
        return Some(Ipv4Addr::new(
            (s[3] >> 8) as u8,
            s[3] as u8,
            s[4] as u8,
            (s[5] >> 8) as u8,
        ));
    }
    // `::` and `::1` are IPv6's own unspecified and loopback addresses.
    if s[..6] == [0; 6] && u32::from(low) > 1 {
        return Some(low);
    }
    // NAT64's well-known prefix `64:ff9b::/96`.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(Ipv4Addr::from(!u32::from(low)));
    }
    None
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Checks one address against the policy.
pub fn check_address(ip: IpAddr, policy: &OutboundPolicy) -> Result<(), Refused> {
    let ip = unmap(ip);
    let refuse = |reason| {
        Err(Refused {
            address: ip,
            reason,
        })
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200) {
                return refuse("link-local / cloud metadata addresses are never allowed");
            }
            if v4.is_unspecified() || a == 0 || v4.is_broadcast() || v4.is_multicast() || a >= 240 {
                return refuse("not a unicast address");
            }
            if v4.is_loopback() {
                return if policy.allow_loopback {
                    Ok(())
                } else {
                    refuse("loopback is not allowed (outbound.allow_loopback)")
                };
            }
            let shared = a == 100 && (64..128).contains(&b);
            if v4.is_private() || shared {
                return if policy.allow_private {
                    Ok(())
                } else {
                    refuse("private ranges are not allowed (outbound.allow_private)")
                };
            }
            Ok(())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if (first & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
            {
                return refuse("link-local / cloud metadata addresses are never allowed");
            }
            if v6.is_unspecified() || v6.is_multicast() {
                return refuse("not a unicast address");
            }
            // Site-local `fec0::/10` is deprecated (RFC 3879) and still private where used.
            if (first & 0xffc0) == 0xfec0 {
                return refuse("deprecated site-local addresses are never allowed");
            }
            if v6.is_loopback() {
                return if policy.allow_loopback {
                    Ok(())
                } else {
                    refuse("loopback is not allowed (outbound.allow_loopback)")
                };
            }
            if (first & 0xfe00) == 0xfc00 {
                return if policy.allow_private {
                    Ok(())
                } else {
                    refuse("private ranges are not allowed (outbound.allow_private)")
                };
            }
            Ok(())
        }
    }
}

/// Checks a URL's host when it is an IP literal (reqwest does not resolve those).
pub fn check_url(url: &url::Url, policy: &OutboundPolicy) -> Result<(), Refused> {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => check_address(IpAddr::V4(v4), policy),
        Some(url::Host::Ipv6(v6)) => check_address(IpAddr::V6(v6), policy),
        _ => Ok(()),
    }
}

/// A reqwest resolver that refuses a host if any of its addresses is refused (so a name that
/// mixes a public and a metadata address cannot be used to reach the latter).
#[derive(Clone)]
pub struct GuardedResolver {
    policy: OutboundPolicy,
    lookup: Arc<dyn NameLookup>,
}

impl GuardedResolver {
    /// A resolver for this policy.
    pub fn new(policy: OutboundPolicy, lookup: Arc<dyn NameLookup>) -> Self {
        Self { policy, lookup }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addresses = this.lookup.lookup(name.as_str()).await?;
            if addresses.is_empty() {
                return Err(format!("`{}` has no addresses", name.as_str()).into());
            }
            for ip in &addresses {
                check_address(*ip, &this.policy)?;
            }
            let addrs: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The redirect policy: at most 5 hops, http(s) only, each hop's IP-literal host checked
/// (named hosts go through [`GuardedResolver`] again).
pub fn redirect_policy(policy: OutboundPolicy) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        if !matches!(attempt.url().scheme(), "http" | "https") {
            return attempt.error("redirect to a non-http(s) URL");
        }
        match check_url(attempt.url(), &policy) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

/// Whether an error chain holds a guard refusal; returns it.
pub fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(loopback: bool, private: bool) -> OutboundPolicy {
        OutboundPolicy {
            allow_loopback: loopback,
            allow_private: private,
            max_response_bytes: 1,
        }
    }

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        for ip in [
            "169.254.169.254",
            "169.254.0.1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            // IPv6 forms that reach an IPv4 host: NAT64, local NAT64, 6to4, IPv4-compatible,
            // Teredo (client 169.254.169.254, stored inverted).
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::169.254.169.254",
            "64:ff9b:1::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "::169.254.169.254",
            "2001:0:4136:e378:8000:63bf:5601:5601",
            "fec0::1",
            // Found by the property tests: SIIT's IPv4-translated form, and the local NAT64
            // prefix's /48 layout (the address in bits 48–63 and 72–87).
            "::ffff:0:169.254.169.254",
            "64:ff9b:1:a9fe:a9:fe00::",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(check_address(ip, &policy(true, true)).is_err(), "{ip}");
        }
    }

    #[test]
    fn loopback_and_private_follow_the_policy() {
        for ip in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "fc00::1",
            "100.64.0.1",
            "64:ff9b::10.0.0.1",
            "2002:c0a8:101::1",
            "::ffff:127.0.0.1",
            "::10.1.2.3",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(check_address(ip, &policy(false, false)).is_err(), "{ip}");
            assert!(check_address(ip, &policy(true, true)).is_ok(), "{ip}");
        }
        for public in [
            "93.184.216.34",
            "64:ff9b::93.184.216.34",
            "64:ff9b:1:5db8:d8:2200::",
            "::ffff:0:93.184.216.34",
            "2606:4700::1111",
        ] {
            assert!(
                check_address(public.parse().unwrap(), &policy(false, false)).is_ok(),
                "{public}"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    //! Every IPv6 form that delivers to an IPv4 host classifies as that host, and the refused
    //! ranges are refused wherever in them an address falls.

    use super::*;
    use proptest::prelude::*;

    fn policies() -> impl Strategy<Value = OutboundPolicy> {
        (any::<bool>(), any::<bool>()).prop_map(|(allow_loopback, allow_private)| OutboundPolicy {
            allow_loopback,
            allow_private,
            max_response_bytes: 1,
        })
    }

    fn v6(high: [u16; 6], v4: Ipv4Addr) -> Ipv6Addr {
        let [a, b, c, d] = v4.octets();
        Ipv6Addr::new(
            high[0],
            high[1],
            high[2],
            high[3],
            high[4],
            high[5],
            u16::from_be_bytes([a, b]),
            u16::from_be_bytes([c, d]),
        )
    }

    /// The IPv6 forms that reach `v4`, by name; `extra` fills the bits each form leaves free
    /// (6to4 subnet and interface, Teredo server, flags and port, a local NAT64 prefix).
    fn embeddings(v4: Ipv4Addr, extra: [u16; 6]) -> Vec<(&'static str, Ipv6Addr)> {
        let [a, b, c, d] = v4.octets();
        let inverted = Ipv4Addr::from(!u32::from(v4));
        vec![
            ("mapped", v4.to_ipv6_mapped()),
            ("compatible", v4.to_ipv6_compatible()),
            ("siit", v6([0, 0, 0, 0, 0xffff, 0], v4)),
            ("nat64", v6([0x64, 0xff9b, 0, 0, 0, 0], v4)),
            (
                "local nat64 /96",
                v6([0x64, 0xff9b, 1, extra[0], extra[1], extra[2]], v4),
            ),
            (
                "local nat64 /48",
                Ipv6Addr::new(
                    0x64,
                    0xff9b,
                    1,
                    u16::from_be_bytes([a, b]),
                    u16::from(c),
                    u16::from(d) << 8,
                    0,
                    0,
                ),
            ),
            (
                "6to4",
                Ipv6Addr::new(
                    0x2002,
                    u16::from_be_bytes([a, b]),
                    u16::from_be_bytes([c, d]),
                    extra[0],
                    extra[1],
                    extra[2],
                    extra[3],
                    extra[4],
                ),
            ),
            (
                "teredo",
                v6(
                    [0x2001, 0, extra[0], extra[1], extra[2], extra[3]],
                    inverted,
                ),
            ),
        ]
    }

    /// The ranges the guard must refuse, written out independently of it: `None` for never
    /// allowed, `Some((loopback, private))` for what the policy must allow.
    fn expected(v4: Ipv4Addr) -> Option<(bool, bool)> {
        let [a, b, ..] = v4.octets();
        let never =
            a == 0 || a >= 224 || (a == 169 && b == 254) || v4 == Ipv4Addr::new(100, 100, 100, 200);
        if never {
            None
        } else if a == 127 {
            Some((true, false))
        } else if a == 10
            || (a == 172 && (16..32).contains(&b))
            || (a == 192 && b == 168)
            || (a == 100 && (64..128).contains(&b))
        {
            Some((false, true))
        } else {
            Some((false, false))
        }
    }

    fn allowed(v4: Ipv4Addr, policy: &OutboundPolicy) -> bool {
        match expected(v4) {
            None => false,
            Some((loopback, private)) => {
                (!loopback || policy.allow_loopback) && (!private || policy.allow_private)
            }
        }
    }

    /// IPv4 addresses from every interesting range, and any other.
    fn addresses() -> impl Strategy<Value = Ipv4Addr> {
        prop_oneof![
            any::<u32>().prop_map(Ipv4Addr::from),
            (
                proptest::sample::select(&[0u8, 10, 100, 127, 169, 172, 192, 224, 240, 255][..]),
                any::<[u8; 3]>()
            )
                .prop_map(|(a, [b, c, d])| Ipv4Addr::new(a, b, c, d)),
            (any::<u16>()).prop_map(|low| Ipv4Addr::new(169, 254, (low >> 8) as u8, low as u8)),
            (any::<u16>()).prop_map(|low| Ipv4Addr::new(192, 168, (low >> 8) as u8, low as u8)),
            (16u8..32, any::<u16>()).prop_map(|(b, low)| Ipv4Addr::new(
                172,
                b,
                (low >> 8) as u8,
                low as u8
            )),
            (60u8..130, any::<u16>()).prop_map(|(b, low)| Ipv4Addr::new(
                100,
                b,
                (low >> 8) as u8,
                low as u8
            )),
            Just(Ipv4Addr::new(169, 254, 169, 254)),
            Just(Ipv4Addr::new(100, 100, 100, 200)),
            Just(Ipv4Addr::new(93, 184, 216, 34)),
            Just(Ipv4Addr::new(8, 8, 8, 8)),
        ]
    }

    proptest! {
        #[test]
        fn an_ipv4_address_is_classified_by_its_ranges(v4 in addresses(), policy in policies()) {
            prop_assert_eq!(
                check_address(IpAddr::V4(v4), &policy).is_ok(),
                allowed(v4, &policy),
                "{}", v4
            );
        }

        #[test]
        fn every_ipv6_form_of_an_ipv4_address_classifies_as_the_address(
            v4 in addresses(),
            extra in any::<[u16; 6]>(),
            policy in policies(),
        ) {
            let direct = check_address(IpAddr::V4(v4), &policy);
            for (form, ip) in embeddings(v4, extra) {
                // `::` and `::1` are IPv6's own unspecified and loopback addresses, not
                // IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
                if form == "compatible" && u32::from(v4) <= 1 {
                    continue;
                }
                // A local /96 prefix holding 0.0.0.0 leaves the last 32 bits zero, which is
                // the /48 layout's shape: it reads as the /48 form (no translator delivers to
                // 0.0.0.0).
                if form == "local nat64 /96" && v4.is_unspecified() {
                    continue;
                }
                let as_v6 = check_address(IpAddr::V6(ip), &policy);
                prop_assert_eq!(&as_v6, &direct, "{} form {} of {}", form, ip, v4);
                let url = url::Url::parse(&format!("http://[{ip}]:8080/x")).expect("a URL");
                prop_assert_eq!(check_url(&url, &policy), direct.clone(), "{}", url);
            }
        }

        #[test]
        fn link_local_metadata_and_site_local_ipv6_are_always_refused(
            low in any::<u128>(),
            policy in policies(),
        ) {
            let link_local = Ipv6Addr::from((0xfe80u128 << 112) | (low >> 10));
            let site_local = Ipv6Addr::from((0xfec0u128 << 112) | (low >> 10));
            for ip in [link_local, site_local, "fd00:ec2::254".parse().expect("an address")] {
                prop_assert!(check_address(IpAddr::V6(ip), &policy).is_err(), "{}", ip);
            }
        }

        #[test]
        fn unique_local_ipv6_follows_the_private_policy(low in any::<u128>(), policy in policies()) {
            let ip = Ipv6Addr::from((0xfcu128 << 120) | (low >> 7));
            prop_assume!(ip != "fd00:ec2::254".parse::<Ipv6Addr>().expect("an address"));
            prop_assert_eq!(check_address(IpAddr::V6(ip), &policy).is_ok(), policy.allow_private, "{}", ip);
        }

        #[test]
        fn public_ipv6_is_allowed(
            global in proptest::sample::select(&[0x2600u16, 0x2606, 0x2a00, 0x2a03, 0x2c0f, 0x2400, 0x2804][..]),
            rest in any::<[u16; 7]>(),
        ) {
            let ip = Ipv6Addr::new(global, rest[0], rest[1], rest[2], rest[3], rest[4], rest[5], rest[6]);
            let strict = OutboundPolicy { allow_loopback: false, allow_private: false, max_response_bytes: 1 };
            prop_assert!(check_address(IpAddr::V6(ip), &strict).is_ok(), "{}", ip);
        }
    }
}
