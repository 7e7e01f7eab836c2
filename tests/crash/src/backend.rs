//! The company backend the harness runs in process: orders, an order lookup and a cancel that
//! honours `Idempotency-Key`. It counts *effective* writes per order: a request with a key it
//! has seen is answered from memory; a new key applies the cancel (and its refund) again — a
//! duplicate, which the verdict refuses. Some writes are slow, so kills land while the backend
//! holds one; an applied write stays applied whether or not the caller is still there.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::rng::Rng;
use crate::verdict::BackendOrder;

/// How slow the backend's writes are.
#[derive(Clone, Copy, Debug)]
pub struct Slowness {
    /// Share of writes that hold before applying (the kill may come first: unknown outcome).
    pub hold_before_apply: f64,
    /// Share of writes that apply, then hold before answering (applied, the answer lost).
    pub hold_after_apply: f64,
    /// How long a hold lasts at most, in milliseconds.
    pub max_hold_ms: u64,
}

struct Order {
    email: String,
    item: String,
    status: &'static str,
    counts: BackendOrder,
}

#[derive(Default)]
struct Books {
    orders: HashMap<String, Order>,
    /// Answers already given, by idempotency key.
    answered: HashMap<String, Value>,
}

/// The backend's shared state.
pub struct Backend {
    books: Mutex<Books>,
    rng: Mutex<Rng>,
    slowness: Slowness,
    key: String,
    holding: AtomicUsize,
}

impl Backend {
    /// A backend with no orders; requests must carry `Bearer {key}`.
    pub fn new(key: &str, seed: u64, slowness: Slowness) -> Arc<Self> {
        Arc::new(Self {
            books: Mutex::default(),
            rng: Mutex::new(Rng::derived(seed, 0xBAC0)),
            slowness,
            key: key.into(),
            holding: AtomicUsize::new(0),
        })
    }

    /// Adds a pending order of `email`.
    pub fn add_order(&self, order_id: &str, email: &str, item: &str) {
        self.books.lock().unwrap().orders.insert(
            order_id.into(),
            Order {
                email: email.into(),
                item: item.into(),
                status: "pending",
                counts: BackendOrder::default(),
            },
        );
    }

    /// Writes being held right now.
    pub fn holding(&self) -> usize {
        self.holding.load(Ordering::SeqCst)
    }

    /// What every order saw, for the verdict.
    pub fn orders(&self) -> BTreeMap<String, BackendOrder> {
        let books = self.books.lock().unwrap();
        books
            .orders
            .iter()
            .map(|(id, o)| (id.clone(), o.counts.clone()))
            .collect()
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {}", self.key))
    }

    /// Applies a cancel under `key` (once per key) and returns the answer.
    fn apply(&self, order_id: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut books = self.books.lock().unwrap();
        if let Some(answer) = key.and_then(|k| books.answered.get(k)) {
            return (StatusCode::OK, answer.clone());
        }
        let Some(order) = books.orders.get_mut(order_id) else {
            return (StatusCode::NOT_FOUND, json!({"error": "no such order"}));
        };
        // Applied again under a new key: a cancel that refunds twice. The verdict counts it.
        order.status = "cancelled";
        order.counts.effective += 1;
        let answer = json!({"order_id": order_id, "status": "cancelled", "refund": "issued"});
        if let Some(k) = key {
            books.answered.insert(k.to_string(), answer.clone());
        }
        (StatusCode::OK, answer)
    }
}

type Shared = State<Arc<Backend>>;

async fn lookup(
    State(backend): Shared,
    Path(order_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !backend.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let books = backend.books.lock().unwrap();
    match books.orders.get(&order_id) {
        Some(o) if query.get("email") == Some(&o.email) => Json(json!({
            "order_id": order_id, "status": o.status, "items": [{"name": o.item}]
        }))
        .into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such order"})),
        )
            .into_response(),
    }
}

async fn cancel(
    State(backend): Shared,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !backend.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    {
        let mut books = backend.books.lock().unwrap();
        if let Some(order) = books.orders.get_mut(&order_id) {
            order.counts.requests += 1;
            if let Some(k) = &key {
                order.counts.keys_received.insert(k.clone());
            }
        }
    }
    let (before, after) = {
        let mut rng = backend.rng.lock().unwrap();
        let s = backend.slowness;
        let hold = rng.range(20, s.max_hold_ms.max(21));
        if rng.chance(s.hold_before_apply) {
            (hold, 0)
        } else if rng.chance(s.hold_after_apply / (1.0 - s.hold_before_apply).max(0.01)) {
            (0, hold)
        } else {
            (0, 0)
        }
    };
    // The write runs on its own task: a caller killed mid-request does not undo it.
    let worker = backend.clone();
    let applied = tokio::spawn(async move {
        worker.holding.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(before)).await;
        let answer = worker.apply(&order_id, key.as_deref());
        tokio::time::sleep(Duration::from_millis(after)).await;
        worker.holding.fetch_sub(1, Ordering::SeqCst);
        answer
    });
    match applied.await {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Serves the backend on 127.0.0.1 (port 0) and returns its base URL.
pub async fn serve(backend: Arc<Backend>) -> anyhow::Result<String> {
    let router = axum::Router::new()
        .route("/api/customers/orders/{order_id}", get(lookup))
        .route("/api/orders/{order_id}/cancel", post(cancel))
        .with_state(backend);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{address}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_key_is_not_applied_again_and_a_new_key_is() {
        let slowness = Slowness {
            hold_before_apply: 0.0,
            hold_after_apply: 0.0,
            max_hold_ms: 0,
        };
        let backend = Backend::new("k", 1, slowness);
        backend.add_order("W1000001", "a@x.test", "Lamp");
        backend.apply("W1000001", Some("key-1"));
        backend.apply("W1000001", Some("key-1"));
        assert_eq!(backend.orders()["W1000001"].effective, 1);
        backend.apply("W1000001", Some("key-2"));
        assert_eq!(backend.orders()["W1000001"].effective, 2, "a duplicate");
    }
}
