//! The client's address, for throttling and the audit trail.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{Extensions, HeaderMap};

use crate::config;

#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl ClientIp {
    pub fn from_request(request: &Request, server: &config::Server) -> Self {
        Self::from_parts(request.headers(), request.extensions(), server)
    }

    /// Behind a trusted reverse proxy the proxy appends the real address to
    /// X-Forwarded-For, so the last entry is the one to believe; otherwise
    /// the socket's peer address.
    pub fn from_parts(
        headers: &HeaderMap,
        extensions: &Extensions,
        server: &config::Server,
    ) -> Self {
        if server.trust_forwarded_for {
            let forwarded = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if forwarded.is_some() {
                return ClientIp(forwarded);
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
