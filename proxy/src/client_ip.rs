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
    // Several headers are one list, in order (RFC 9110 section 5.3).
    let lists: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    // Walk from the right, one hop at a time: each trusted hop vouches for the one to its left.
    // A malformed hop ends the walk at the last address we could read, so a visitor who writes
    // garbage in the header is still charged to their own address (which nginx appends), never
    // to the balancer's.
    let mut last_good = peer_ip;
    for hop in lists.iter().rev().flat_map(|l| l.rsplit(',')) {
        match hop.trim().parse::<IpAddr>().map(canonical) {
            Ok(ip) if is_trusted(&ip) => last_good = ip,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    last_good
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
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
    fn a_malformed_left_hop_does_not_discard_the_trusted_hops() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        // What nginx makes of a visitor's `X-Forwarded-For: garbage`.
        let ip = client_ip(
            peer,
            &headers("garbage, 198.51.100.9"),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(ip.to_string(), "198.51.100.9");
        let ip = client_ip(
            peer,
            &headers("198.51.100.1, garbage, 10.0.0.3"),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(
            ip.to_string(),
            "10.0.0.3",
            "the walk stops at the last good hop"
        );
    }

    #[test]
    fn repeated_headers_are_one_list_in_order() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.2.3.4".parse().unwrap());
        h.append("x-forwarded-for", "198.51.100.9, 10.0.0.3".parse().unwrap());
        let ip = client_ip(peer, &h, &nets(&["10.0.0.0/8"]));
        assert_eq!(ip.to_string(), "198.51.100.9");
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
