//! The client's address, for throttling and the audit trail.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{Extensions, HeaderMap};

use crate::config;

#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl ClientIp {
    pub fn from_request(request: &Request, server: &config::Server) -> Self {
        Self::from_parts(request.headers(), request.extensions(), server)
    }

    /// Behind `trusted_proxies` reverse proxies, each appends the address it
    /// was reached from to X-Forwarded-For, so the client is that many
    /// entries from the right; anything further left was sent by the client
    /// and proves nothing. Every header line counts (a client may send its
    /// own line before the proxy's). Otherwise, the socket's peer address.
    pub fn from_parts(
        headers: &HeaderMap,
        extensions: &Extensions,
        server: &config::Server,
    ) -> Self {
        if server.trusted_proxies > 0 {
            let entries: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
            let client = entries
                .len()
                .checked_sub(server.trusted_proxies)
                .and_then(|i| entries[i].parse::<IpAddr>().ok());
            if let Some(client) = client {
                return ClientIp(Some(client.to_string()));
            }
        }
        ClientIp(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
        )
    }
}

impl axum::extract::FromRequestParts<crate::app::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::from_parts(
            &parts.headers,
            &parts.extensions,
            &state.settings.server,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn client(lines: &[&'static str], proxies: usize) -> Option<String> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append("x-forwarded-for", HeaderValue::from_static(line));
        }
        let server = config::Server {
            listen: "127.0.0.1:8080".parse().unwrap(),
            public_url: "http://localhost:8080".parse().unwrap(),
            trusted_proxies: proxies,
            request_timeout_seconds: 30,
        };
        ClientIp::from_parts(&headers, &Extensions::new(), &server).0
    }

    #[test]
    fn the_client_is_read_from_the_right_past_the_trusted_proxies_only() {
        // One proxy appended the real address after what the client sent.
        assert_eq!(
            client(&["6.6.6.6, 203.0.113.9"], 1).as_deref(),
            Some("203.0.113.9")
        );
        // The client's own header line comes first; the proxy's is last.
        assert_eq!(
            client(&["6.6.6.6", "203.0.113.9"], 1).as_deref(),
            Some("203.0.113.9")
        );
        // Two proxies: the second from the right.
        assert_eq!(
            client(&["6.6.6.6, 203.0.113.9, 10.0.0.2"], 2).as_deref(),
            Some("203.0.113.9")
        );
        // Fewer entries than proxies, or not an address: not believed.
        assert_eq!(client(&["203.0.113.9"], 2), None);
        assert_eq!(client(&["not-an-address"], 1), None);
        // No trusted proxy: the header is ignored.
        assert_eq!(client(&["6.6.6.6"], 0), None);
    }
}
