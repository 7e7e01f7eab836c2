//! Switchboard as a service: the HTTP/SSE API channels talk to, identity verification (HMAC,
//! JWT, channel keys), the playground page and the embeddable widget, admin endpoints, health
//! and Prometheus metrics, several agents per server, reload that keeps the old config on error,
//! graceful shutdown.
//!
//! It owns HTTP and channels only: every turn is `switchboard_core::agent::Agent::turn`, under
//! the store's per-conversation lock. It never decides policy itself.

pub mod api;
pub mod edge;
pub mod error;
pub mod identity;
pub mod metrics;
pub mod state;
pub mod views;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

pub use state::{AppState, ConfigSource, Limits, ServerOptions, build_agent};

/// The API router.
pub fn router(state: Arc<AppState>) -> Router {
    let admin = Router::new()
        .route(
            "/v1/admin/agents/{agent}/tools/{tool}/call",
            post(api::admin_tool_call),
        )
        .route(
            "/v1/admin/agents/{agent}/user-data",
            post(api::admin_user_data),
        )
        .route("/v1/admin/agents/{agent}/config", get(api::admin_config))
        .route("/v1/admin/reload", post(api::admin_reload))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            api::require_admin,
        ));
    let mut v1 = Router::new()
        .route("/v1/agents", get(api::list_agents))
        .route("/v1/conversations", post(api::create_default))
        .route("/v1/agents/{agent}/conversations", post(api::create_named))
        .route("/v1/conversations/{id}", get(api::get_conversation))
        .route("/v1/conversations/{id}/messages", post(api::post_message))
        .route(
            "/v1/conversations/{id}/events",
            get(api::conversation_events),
        )
        .route("/v1/conversations/{id}/handoff", post(api::handoff))
        .route("/v1/conversations/{id}/handback", post(api::handback))
        .route("/v1/chat", post(api::chat_default))
        .route("/v1/agents/{agent}/chat", post(api::chat_named));
    if state.options.demo_signing {
        v1 = v1.route("/demo/identity", post(api::demo_identity));
    }
    // The widget runs on the company's own site: the public API answers any origin. Nothing
    // rides on cookies (identity is proven per conversation), so this opens nothing up. Admin
    // routes answer no other origin: a page elsewhere cannot drive them with a key it found.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    let v1 = v1
        .layer(cors)
        .merge(admin)
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint",
            )
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api::limit_per_ip,
        ));
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .merge(web::routes())
        .merge(v1)
        .layer(DefaultBodyLimit::max(state.options.limits.body_bytes))
        .layer(middleware::from_fn(error::json_bodies))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            api::count_errors,
        ))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (and their turns).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Rate-limiter state is kept per key; keys that are full again are dropped every minute,
    // so memory stays flat however many conversations and clients come and go.
    let limiters = state.clone();
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            limiters.ip_limiter.retain_recent();
            limiters.conversation_limiter.retain_recent();
            limiters.ip_limiter.shrink_to_fit();
            limiters.conversation_limiter.shrink_to_fit();
        }
    });
    let limits = state.options.limits;
    let counted = state.clone();
    let on_refused = move || counted.metrics.error("too_many_connections");
    edge::serve(listener, router(state), limits, on_refused, shutdown).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight turns");
}

/// Reloads the configs on every SIGHUP (an invalid config keeps the running one).
pub fn reload_on_sighup(state: Arc<AppState>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangups.recv().await.is_some() {
            match state.reload() {
                Ok(agents) => tracing::warn!(?agents, "configs reloaded"),
                Err(e) => tracing::error!(error = %e, "reload refused; the running config stays"),
            }
        }
    });
}
