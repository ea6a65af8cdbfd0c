//! Static files, served by the app itself (no CDN): GOV.UK Frontend,
//! Leaflet and accessible-autocomplete from their npm packages, and the
//! service's own CSS and JavaScript.
//!
//! Pages link them under `/assets/{version}/...`, where the version is a
//! hash of every file served: a browser may keep them for a year
//! (`immutable`), and any change to any file gives every link a new name.
//! The same files are also under plain `/assets/...` (cached for an hour)
//! for what links there itself: GOV.UK Frontend's stylesheet asks for
//! `/assets/fonts` and `/assets/images`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::Router;
use blake2::{Blake2s256, Digest};
use tower_http::services::ServeDir;

/// The folders served, by URL path under the assets prefix.
fn folders(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let govuk = dir.join("node_modules/govuk-frontend/dist/govuk");
    vec![
        ("govuk", govuk.clone()),
        ("fonts", govuk.join("assets/fonts")),
        ("images", govuk.join("assets/images")),
        ("app", dir.join("app")),
        ("leaflet", dir.join("node_modules/leaflet/dist")),
        (
            "autocomplete",
            dir.join("node_modules/accessible-autocomplete/dist"),
        ),
    ]
}

static BASE: OnceLock<String> = OnceLock::new();

/// Where pages link assets: `/assets/{version}` once the router is built.
pub fn base() -> &'static str {
    BASE.get().map(String::as_str).unwrap_or("/assets")
}

pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let base = BASE.get_or_init(|| format!("/assets/{}", version(dir)));
    let mut router = Router::new();
    for (path, folder) in folders(dir) {
        router = router
            .nest_service(&format!("/assets/{path}"), ServeDir::new(&folder))
            .nest_service(&format!("{base}/{path}"), ServeDir::new(&folder));
    }
    router
}

/// A short hash of every file served, with its path.
fn version(dir: &Path) -> String {
    let mut files = Vec::new();
    for (_, folder) in folders(dir) {
        collect(&folder, &mut files);
    }
    files.sort();
    files.dedup();
    let mut hash = Blake2s256::new();
    for file in files {
        hash.update(file.to_string_lossy().as_bytes());
        if let Ok(bytes) = std::fs::read(&file) {
            hash.update(&bytes);
        }
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn collect(folder: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// True when the npm packages have been installed (`make assets`).
pub fn installed(dir: &Path) -> bool {
    dir.join("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css")
        .is_file()
}
