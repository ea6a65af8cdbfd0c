//! Web plumbing shared by every feature: page context, forms, pagination,
//! exports, security headers, static assets.

pub mod assets;
pub mod client_ip;
pub mod export;
pub mod filters;
pub mod forms;
pub mod html;
pub mod input;
pub mod json;
pub mod page;
pub mod pagination;
pub mod security_headers;
pub mod upload;

/// An id from a URL path; anything else is a page that does not exist.
pub fn parse_id(text: &str) -> crate::error::Result<i64> {
    text.parse().map_err(|_| crate::error::Error::NotFound)
}

/// `a=1&b=2` from pairs, leaving out empty values.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
        s.append_pair(k, v);
    }
    s.finish()
}
