//! The client's address: the socket's peer, or, behind proxies named by `--trusted-proxies`,
//! the right-most `X-Forwarded-For` entry that is not one of them.
//!
//! Every proxy appends the address it was reached from; entries left of the last trusted hop
//! are whatever the client wrote, so they are never believed. From a peer that is not a trusted
//! proxy the header is ignored altogether.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Once},
};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{Extensions, HeaderMap, request::Parts},
};
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a request from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if self.0.is_empty() {
            return client;
        }
        // Several headers count as one list, in order (RFC 9110, 5.3).
        let forwarded: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for entry in forwarded.iter().rev() {
            if !self.contains(client) {
                break;
            }
            // A trusted proxy writes well-formed entries; past a malformed one nothing can be
            // believed, and the last hop that could be stays the client.
            match parse_entry(entry) {
                Some(ip) => client = ip.to_canonical(),
                None => break,
            }
        }
        client
    }

    /// The client of a request, from the socket address the server put in its extensions.
    pub fn client_of(&self, extensions: &Extensions, headers: &HeaderMap) -> IpAddr {
        let peer = match extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => addr.ip(),
            None => {
                // A serving bug, not a client's doing: every client then shares one address,
                // which throttles sign-ins too much rather than too little.
                static WARNED: Once = Once::new();
                WARNED.call_once(|| {
                    tracing::error!("BUG: the server gives no peer address (ConnectInfo)");
                });
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            }
        };
        self.client(peer, headers)
    }
}

/// Extracts the client's address, by the trusted proxies the state names.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    Arc<TrustedProxies>: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let trusted = Arc::<TrustedProxies>::from_ref(state);
        Ok(Self(trusted.client_of(&parts.extensions, &parts.headers)))
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|net| net.parse().unwrap()).collect())
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let client = TrustedProxies::default().client(ip("127.0.0.1"), &forwarded(&["1.2.3.4"]));
        assert_eq!(client, ip("127.0.0.1"));
    }

    #[test]
    fn from_an_untrusted_peer_the_header_is_ignored() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let client = trusted.client(ip("203.0.113.7"), &forwarded(&["1.2.3.4"]));
        assert_eq!(client, ip("203.0.113.7"));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client wrote "6.6.6.6" itself; the outer proxy (10.1.1.1) saw 203.0.113.7.
        let headers = forwarded(&["6.6.6.6, 203.0.113.7", "10.1.1.1"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &headers), ip("203.0.113.7"));
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let with_port = forwarded(&["[2001:db8::1]:4711"]);
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &with_port),
            ip("2001:db8::1")
        );
        let v4_port = forwarded(&["203.0.113.7:80"]);
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &v4_port),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_malformed_entry_stops_the_walk_at_the_last_trusted_hop() {
        let trusted = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        let headers = forwarded(&["1.2.3.4, garbage, 10.0.0.5"]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &headers), ip("10.0.0.5"));
        // No header at all: the proxy itself.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }
}
