//! The playground page and the embeddable widget, built into the binary (no framework, no
//! build step).

use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::AppState;

const PLAYGROUND_HTML: &str = include_str!("../assets/playground.html");
const PLAYGROUND_JS: &str = include_str!("../assets/playground.js");
const WIDGET_JS: &str = include_str!("../assets/widget.js");

fn javascript(source: &'static str) -> impl IntoResponse {
    (
        [
            ("content-type", "text/javascript; charset=utf-8"),
            ("cache-control", "no-cache"),
        ],
        source,
    )
}

/// `/` (the playground), `/playground.js`, `/widget.js`.
pub fn routes() -> Router<std::sync::Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Html(PLAYGROUND_HTML) }))
        .route(
            "/playground.js",
            get(|| async { javascript(PLAYGROUND_JS) }),
        )
        .route("/widget.js", get(|| async { javascript(WIDGET_JS) }))
}
