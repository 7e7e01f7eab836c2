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
/// host: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated), NAT64
/// `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002:AABB:CCDD::/48`, and Teredo `2001::/32`
/// (the client address, stored inverted).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    // `::` and `::1` are IPv6's own unspecified and loopback addresses.
    if s[..6] == [0; 6] && u32::from(low) > 1 {
        return Some(low);
    }
    // NAT64: the well-known `64:ff9b::/96` and the local-use `64:ff9b:1::/48`.
    if s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1) {
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
        for public in ["93.184.216.34", "64:ff9b::93.184.216.34", "2606:4700::1111"] {
            assert!(
                check_address(public.parse().unwrap(), &policy(false, false)).is_ok(),
                "{public}"
            );
        }
    }
}
