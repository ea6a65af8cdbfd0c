//! Web plumbing shared by every feature: page context, forms, pagination,
//! exports, security headers, static assets.

pub mod assets;
pub mod client_ip;
pub mod export;
pub mod filters;
pub mod forms;
pub mod html;
pub mod page;
pub mod pagination;
pub mod security_headers;
