//! The visitor's IP: the socket peer, unless that peer is a trusted proxy, then the rightmost
//! `X-Forwarded-For` hop that is not itself trusted. A visitor can put anything in the header,
//! so only hops added by trusted proxies (the right-hand end) are believed.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer_ip = canonical(peer.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer_ip) {
        return peer_ip;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        // A malformed list cannot be trusted at all: fall back to the peer.
        .unwrap_or_default();
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer_ip)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_the_header_says() {
        let peer: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        let ip = client_ip(peer, &headers("1.2.3.4"), &nets(&["10.0.0.0/8"]));
        assert_eq!(ip.to_string(), "203.0.113.7");
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_wins() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        // The visitor spoofed 1.2.3.4; their real address was appended by our balancer.
        let ip = client_ip(
            peer,
            &headers("1.2.3.4, 198.51.100.9, 10.0.0.3"),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip.to_string(), "198.51.100.9");
    }

    #[test]
    fn a_malformed_header_falls_back_to_the_peer() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let ip = client_ip(peer, &headers("1.2.3.4, not-an-ip"), &nets(&["10.0.0.0/8"]));
        assert_eq!(ip.to_string(), "10.0.0.2");
    }

    #[test]
    fn v4_mapped_v6_peers_are_v4() {
        let peer: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        assert_eq!(
            client_ip(peer, &HeaderMap::new(), &[]).to_string(),
            "127.0.0.1"
        );
    }
}
