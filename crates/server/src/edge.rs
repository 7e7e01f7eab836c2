//! The HTTP edge: how connections are accepted, so that slow or greedy clients cannot starve
//! the rest and `/healthz` keeps answering.
//!
//! - A client has [`Limits::header_read_timeout`] to send a request's headers — on a new
//!   connection and on an idle kept-alive one alike — and then the connection is closed.
//! - A request's body must arrive whole within [`Limits::body_read_timeout`] (a hard deadline,
//!   not an idle timer a trickle of bytes could keep resetting); a late body fails the request
//!   with 408.
//! - At most [`Limits::max_connections`] connections are open (lowered at start to fit the
//!   process's file-descriptor limit), at most [`Limits::max_connections_per_ip`] from one
//!   address. A connection over a cap is answered `503 {code, message}` and closed at once.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;
use tower_http::timeout::DeadlineBody;

use crate::Limits;

/// Accepts connections on `listener` and serves `app` on them until `shutdown` resolves, then
/// waits for the requests in flight (and their turns) to finish. `on_refused` is told of each
/// connection refused over a cap (the metrics count them).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    on_refused: impl Fn(),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(limits.header_read_timeout);
    let caps = Caps::new(&limits);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was taken: wait a
                    // moment rather than spin, and go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = caps.admit(peer.ip()) else {
            refuse(stream);
            on_refused();
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let deadline = limits.body_read_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let (mut parts, body) = request.into_parts();
            parts.extensions.insert(ConnectInfo(peer));
            let body = Body::new(DeadlineBody::new(deadline, body));
            app.clone()
                .oneshot(axum::http::Request::from_parts(parts, body))
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is its own business, not an error of ours.
            let _ = watched.await;
            drop(held);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers a connection over a cap without reading it, and closes it.
fn refuse(stream: TcpStream) {
    let body =
        r#"{"code":"too_many_connections","message":"too many open connections; retry shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // A fresh socket's send buffer is empty, so this does not block; if it fails the client
    // sees the connection close, which says the same.
    let _ = stream.try_write(response.as_bytes());
}

/// The connection caps: a global semaphore and a count per client address.
struct Caps {
    global: Arc<Semaphore>,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_ip: usize,
}

/// One admitted connection's place under the caps; given back when dropped.
struct Held {
    _global: OwnedSemaphorePermit,
    ip: IpAddr,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Caps {
    fn new(limits: &Limits) -> Self {
        let max = limits.max_connections.min(descriptor_budget()).max(1);
        if max < limits.max_connections {
            tracing::warn!(
                configured = limits.max_connections,
                max,
                "the file-descriptor limit allows fewer connections than configured; raise `ulimit -n` to serve more"
            );
        }
        Self {
            global: Arc::new(Semaphore::new(max)),
            per_ip: Arc::default(),
            max_per_ip: limits.max_connections_per_ip.max(1),
        }
    }

    fn admit(&self, ip: IpAddr) -> Option<Held> {
        let global = self.global.clone().try_acquire_owned().ok()?;
        let mut per_ip = self.per_ip.lock().expect("connection caps");
        let open = per_ip.entry(ip).or_insert(0);
        if *open >= self.max_per_ip {
            return None;
        }
        *open += 1;
        Some(Held {
            _global: global,
            ip,
            per_ip: self.per_ip.clone(),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut per_ip = self.per_ip.lock().expect("connection caps");
        if let Some(open) = per_ip.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Connections the file-descriptor limit leaves room for: three quarters of it, the rest kept
/// for the store, upstream calls and logs.
fn descriptor_budget() -> usize {
    #[cfg(unix)]
    if let Some(current) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
        return usize::try_from(current / 4 * 3).unwrap_or(usize::MAX);
    }
    usize::MAX
}
