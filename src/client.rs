//! Who a request comes from: the key that rate limits, lockouts and pass bindings count
//! against, and how the HTTP layers find it ([`ClientIdentity`]).
//!
//! By default the client is the peer address of the connection. Behind reverse proxies, the
//! app lists them ([`ClientIdentity::behind_proxies`]): forwarding headers are then read only
//! when the peer is one of them, taking the right-most address that is not a trusted proxy,
//! so that a client cannot choose its own key by sending `X-Forwarded-For`. Or the app
//! decides entirely ([`ClientIdentity::custom`]), e.g. from a device id.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::request::Parts;
use sha2::{Digest, Sha256};

use crate::error::ConfigError;

/// Whom a request is counted against.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientKey {
    /// A client address (IPv4-mapped IPv6 addresses are read as IPv4).
    Ip(IpAddr),
    /// A key of the app's choosing, hashed ([`ClientKey::custom`]).
    Custom([u8; 16]),
}

impl ClientKey {
    /// A key made of any bytes the app chooses (a device fingerprint and a client id, an
    /// account id...), kept as a hash.
    pub fn custom(bytes: impl AsRef<[u8]>) -> Self {
        let digest = Sha256::digest(bytes.as_ref());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ClientKey::Custom(key)
    }

    /// The key's bytes, as they are hashed into bindings and log lines.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        match self {
            ClientKey::Ip(IpAddr::V4(ip)) => ip.octets().to_vec(),
            ClientKey::Ip(IpAddr::V6(ip)) => ip.octets().to_vec(),
            ClientKey::Custom(key) => key.to_vec(),
        }
    }
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::Ip(IpAddr::V4(v4)),
                None => ClientKey::Ip(ip),
            },
            IpAddr::V4(_) => ClientKey::Ip(ip),
        }
    }
}

/// Addresses stay out of `Debug` output (and so out of logs that print it).
impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::Ip(IpAddr::V4(_)) => f.write_str("ClientKey::Ip(<IPv4>)"),
            ClientKey::Ip(IpAddr::V6(_)) => f.write_str("ClientKey::Ip(<IPv6>)"),
            ClientKey::Custom(_) => f.write_str("ClientKey::Custom(<hash>)"),
        }
    }
}

/// The client of a request as the [`CaptchaLayer`](crate::CaptchaLayer) found it, put into
/// the extensions of every request it passes on, so that guards inside it see the same
/// client (for passes bound to clients).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestClient(pub(crate) Option<ClientKey>);

impl RequestClient {
    /// The client of a request inside the layer: as the layer found it, else the peer.
    /// What the guard and the extractor present a pass with.
    pub(crate) fn of(parts: &Parts) -> Option<ClientKey> {
        match parts.extensions.get::<RequestClient>() {
            Some(found) => found.0,
            None => ClientIdentity::peer().client_of(parts),
        }
    }
}

/// How the captcha routes and the guard find a request's client.
#[derive(Clone)]
pub struct ClientIdentity(Identity);

/// The one forwarding header the trusted proxies write (see
/// [`ClientIdentity::forwarding_header`]). Only that header is read: a client could send
/// any of the others itself, and a proxy passes on what it does not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardingHeader {
    /// `X-Forwarded-For` (nginx, HAProxy, most load balancers; the default).
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239), its `for=` parameters.
    Forwarded,
    /// `X-Real-IP`.
    XRealIp,
}

#[derive(Clone)]
enum Identity {
    Peer,
    Proxies(Arc<[Cidr]>, ForwardingHeader),
    Custom(Arc<KeyFn>),
    SiteWide,
}

/// A function that names a request's client.
type KeyFn = dyn Fn(&Parts) -> Option<ClientKey> + Send + Sync;

impl Default for ClientIdentity {
    fn default() -> Self {
        Self::peer()
    }
}

impl ClientIdentity {
    /// The peer address of the connection (the default): axum's `ConnectInfo<SocketAddr>`
    /// (serve with `into_make_service_with_connect_info`), or a [`SocketAddr`] a server
    /// loop put in the request extensions. Forwarding headers are ignored.
    pub fn peer() -> Self {
        Self(Identity::Peer)
    }

    /// Behind reverse proxies at these addresses or networks (`"10.0.0.0/8"`,
    /// `"2001:db8::/32"`, `"127.0.0.1"`): when the peer is one of them, the client is the
    /// right-most address of `X-Forwarded-For` (or the header named with
    /// [`forwarding_header`](Self::forwarding_header)) that is not itself a trusted proxy.
    /// Requests from any other peer are counted by the peer address, whatever headers they
    /// carry.
    pub fn behind_proxies<'a>(
        proxies: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ConfigError> {
        let cidrs = proxies
            .into_iter()
            .map(|p| Cidr::parse(p).ok_or_else(|| ConfigError::Proxy(p.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Identity::Proxies(
            cidrs.into(),
            ForwardingHeader::default(),
        )))
    }

    /// Which header the trusted proxies of [`behind_proxies`](Self::behind_proxies) write
    /// the client into (default `X-Forwarded-For`). No effect on the other identities.
    pub fn forwarding_header(self, header: ForwardingHeader) -> Self {
        match self.0 {
            Identity::Proxies(proxies, _) => Self(Identity::Proxies(proxies, header)),
            other => Self(other),
        }
    }

    /// A key of the app's choosing, e.g. from a device id header (`None`: the request
    /// shares the budget of requests without a client).
    pub fn custom(f: impl Fn(&Parts) -> Option<ClientKey> + Send + Sync + 'static) -> Self {
        Self(Identity::Custom(Arc::new(f)))
    }

    /// No per-client limits, chosen on purpose: no request has a client, so every captcha
    /// request of the site shares one budget per action (a site-wide limit) and nobody is
    /// locked out. For an app whose own front proxy limits clients, or a test. Without it, a
    /// captcha route that finds no client address (axum served without connect info) is
    /// refused with the protocol's busy error and a log line naming the fix, rather than
    /// silently putting every visitor in one bucket.
    pub fn site_wide() -> Self {
        Self(Identity::SiteWide)
    }

    /// Whether a request without a client is a configuration mistake (the peer address or
    /// the proxies' header was expected), rather than the app's choice (a custom key that
    /// names no client, or [`site_wide`](Self::site_wide)).
    pub(crate) fn expects_client(&self) -> bool {
        matches!(self.0, Identity::Peer | Identity::Proxies(..))
    }

    /// The client of the request with head `parts`.
    pub fn client_of(&self, parts: &Parts) -> Option<ClientKey> {
        match &self.0 {
            Identity::Peer => peer(parts).map(ClientKey::from),
            Identity::Proxies(proxies, header) => {
                let peer = peer(parts)?;
                let trusted = |ip: &IpAddr| proxies.iter().any(|c| c.contains(*ip));
                if !trusted(&peer) {
                    return Some(peer.into());
                }
                let hops = forwarded_hops(parts, *header);
                // Right to left: the first hop that is not a trusted proxy; if every hop is
                // trusted, the left-most one.
                let client = hops
                    .iter()
                    .rev()
                    .find(|ip| !trusted(ip))
                    .or(hops.first())
                    .copied()
                    .unwrap_or(peer);
                Some(client.into())
            }
            Identity::Custom(f) => f(parts),
            Identity::SiteWide => None,
        }
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Identity::Peer => f.write_str("ClientIdentity::Peer"),
            Identity::Proxies(p, header) => {
                write!(
                    f,
                    "ClientIdentity::BehindProxies({} networks, {header:?})",
                    p.len()
                )
            }
            Identity::Custom(_) => f.write_str("ClientIdentity::Custom"),
            Identity::SiteWide => f.write_str("ClientIdentity::SiteWide"),
        }
    }
}

/// The peer address from the request extensions.
fn peer(parts: &Parts) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(info.0.ip());
    }
    parts.extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// The addresses `header` lists, left (origin) to right (nearest proxy). Unreadable entries
/// end the list at that point (nothing left of an entry that cannot be read is trusted).
fn forwarded_hops(parts: &Parts, header: ForwardingHeader) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect()
    };
    let entries: Vec<Option<IpAddr>> = match header {
        ForwardingHeader::Forwarded => values("forwarded")
            .iter()
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for")
                        .then(|| parse_node(value))?
                })
            })
            .collect(),
        ForwardingHeader::XForwardedFor => values("x-forwarded-for")
            .iter()
            .map(|v| parse_node(v))
            .collect(),
        ForwardingHeader::XRealIp => values("x-real-ip").iter().map(|v| parse_node(v)).collect(),
    };
    // Keep the readable suffix only.
    let readable = entries.iter().rev().take_while(|e| e.is_some()).count();
    entries[entries.len() - readable..]
        .iter()
        .flatten()
        .copied()
        .collect()
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(value: &str) -> Option<IpAddr> {
    let v = value.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Ok(sock) = v.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    let inner = v.strip_prefix('[')?.split(']').next()?;
    inner.parse().ok()
}

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy)]
struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Self> {
        let (addr, bits) = match text.trim().split_once('/') {
            Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Self { net: addr, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            _ => ip,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` agree.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let whole = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(SocketAddr::new(peer.parse().unwrap(), 4000));
        parts
    }

    fn ip(s: &str) -> Option<ClientKey> {
        Some(ClientKey::from(s.parse::<IpAddr>().unwrap()))
    }

    #[test]
    fn the_peer_by_default_whatever_the_headers_say() {
        let p = parts(
            "203.0.113.7",
            &[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")],
        );
        assert_eq!(ClientIdentity::peer().client_of(&p), ip("203.0.113.7"));
        let none = http::Request::new(()).into_parts().0;
        assert_eq!(ClientIdentity::peer().client_of(&none), None);
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let id = ClientIdentity::behind_proxies(["10.0.0.0/8", "192.0.2.1"]).unwrap();
        // From an untrusted peer: spoofed headers change nothing.
        let spoofed = parts("203.0.113.7", &[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(id.client_of(&spoofed), ip("203.0.113.7"));
        // Through a trusted proxy: the right-most untrusted hop, not the client's own claim.
        let p = parts(
            "10.1.2.3",
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.9, 10.9.9.9")],
        );
        assert_eq!(id.client_of(&p), ip("198.51.100.9"));
        // Two headers are one list.
        let p = parts(
            "192.0.2.1",
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "198.51.100.10"),
            ],
        );
        assert_eq!(id.client_of(&p), ip("198.51.100.10"));
        // Only the configured header is read: a `Forwarded` or `X-Real-IP` the client sent
        // itself, passed on by a proxy that writes `X-Forwarded-For`, changes nothing.
        let both = parts(
            "10.0.0.1",
            &[
                (
                    "forwarded",
                    r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#,
                ),
                ("x-real-ip", "5.5.5.5"),
                ("x-forwarded-for", "198.51.100.11"),
            ],
        );
        assert_eq!(id.client_of(&both), ip("198.51.100.11"));
        let only_spoofed = parts("10.0.0.1", &[("forwarded", "for=6.6.6.6")]);
        assert_eq!(id.client_of(&only_spoofed), ip("10.0.0.1"));
        // `Forwarded`, with ports and brackets, when the proxies write that one.
        let rfc = id.clone().forwarding_header(ForwardingHeader::Forwarded);
        assert_eq!(rfc.client_of(&both), ip("2001:db8::7"));
        let real = id.clone().forwarding_header(ForwardingHeader::XRealIp);
        let p = parts("10.0.0.1", &[("x-real-ip", "198.51.100.12:80")]);
        assert_eq!(real.client_of(&p), ip("198.51.100.12"));
        assert_eq!(real.client_of(&both), ip("5.5.5.5"));
        // Every hop trusted: the left-most; no header: the proxy itself.
        let p = parts("10.0.0.1", &[("x-forwarded-for", "10.0.0.5, 10.0.0.6")]);
        assert_eq!(id.client_of(&p), ip("10.0.0.5"));
        assert_eq!(id.client_of(&parts("10.0.0.1", &[])), ip("10.0.0.1"));
        // Garbage to the left of a readable suffix is not trusted; garbage at the right
        // leaves the proxy itself.
        let p = parts(
            "10.0.0.1",
            &[("x-forwarded-for", "1.2.3.4, nonsense, 198.51.100.13")],
        );
        assert_eq!(id.client_of(&p), ip("198.51.100.13"));
        let p = parts(
            "10.0.0.1",
            &[("x-forwarded-for", "198.51.100.13, nonsense")],
        );
        assert_eq!(id.client_of(&p), ip("10.0.0.1"));
    }

    #[test]
    fn networks_are_parsed_and_matched() {
        assert!(ClientIdentity::behind_proxies(["10.0.0.0/33"]).is_err());
        assert!(ClientIdentity::behind_proxies(["example.com"]).is_err());
        let c = Cidr::parse("192.0.2.0/25").unwrap();
        assert!(c.contains("192.0.2.127".parse().unwrap()));
        assert!(!c.contains("192.0.2.128".parse().unwrap()));
        assert!(
            c.contains("::ffff:192.0.2.1".parse().unwrap()),
            "IPv4-mapped"
        );
        let c = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!c.contains("2001:db9::1".parse().unwrap()));
        assert!(!c.contains("192.0.2.1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
    }

    #[test]
    fn custom_keys_and_debug() {
        let id = ClientIdentity::custom(|p| {
            p.headers
                .get("x-device-fingerprint")
                .map(|v| ClientKey::custom(v.as_bytes()))
        });
        let p = parts("203.0.113.7", &[("x-device-fingerprint", "abc")]);
        assert_eq!(id.client_of(&p), Some(ClientKey::custom("abc")));
        assert_ne!(ClientKey::custom("abc"), ClientKey::custom("abd"));
        let debug = format!("{:?}", ip("203.0.113.7").unwrap());
        assert!(!debug.contains("203"), "{debug}");
        assert_eq!(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
    }
}
