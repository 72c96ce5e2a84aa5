//! Who is signing in, for the sign-in throttle: the client's address and its device cookie.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use steward_app::SignInClient;

use crate::AppState;
use crate::auth::cookie;

/// Set after a web sign-in: this browser's later attempts for the same user count against it
/// alone, so others' failures on the name cannot lock the user out of it.
pub const DEVICE_COOKIE: &str = "steward_device";

/// The sign-in attempt's client.
pub struct Client(pub SignInClient);

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let address = peer.map(|p| client_address(p, &parts.headers, &state.config.trusted_proxies));
        let device = cookie(&parts.headers, DEVICE_COOKIE).map(str::to_owned);
        Ok(Client(SignInClient { address, device }))
    }
}

/// The peer itself, or, where the peer is a trusted proxy, the nearest `X-Forwarded-For` hop
/// that is not one (hops further left were written by whoever sent the request, so they prove
/// nothing).
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    hops.iter()
        .rev()
        .map_while(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_address_counts_only_through_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.3".parse().unwrap());
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(client_address(stranger, &headers, &[proxy]), stranger, "not a proxy: headers ignored");
        let two = [proxy, "10.0.0.3".parse().unwrap()];
        assert_eq!(client_address(proxy, &headers, &two), "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(client_address(proxy, &HeaderMap::new(), &two), proxy);
    }
}
