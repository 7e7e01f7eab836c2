//! A small demo shop backend for Switchboard's examples and tests: customers, orders, order
//! status by order number + ZIP, an identifying customer lookup, a User Data API endpoint in
//! Switchboard's wire format, and a cancel endpoint that honours `Idempotency-Key`.
//!
//! It runs in-process on a free port (`start`), keeps everything in memory, and records every
//! request it receives so tests can check exactly what reached it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// One request as the shop received it.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// Method.
    pub method: String,
    /// Path as sent (still percent-encoded).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers.
    pub headers: BTreeMap<String, String>,
}

#[derive(Clone)]
struct Order {
    order_id: &'static str,
    customer_id: &'static str,
    zip: &'static str,
    status: &'static str,
    date: &'static str,
    total: f64,
    items: &'static [&'static str],
    carrier: Option<&'static str>,
    eta: Option<&'static str>,
}

struct Customer {
    customer_id: &'static str,
    name: &'static str,
    email: &'static str,
    zip: &'static str,
    plan: &'static str,
    member_since: &'static str,
}

const CUSTOMERS: &[Customer] = &[
    Customer {
        customer_id: "C1001",
        name: "Alice Martin",
        email: "alice@example.com",
        zip: "10001",
        plan: "Pro",
        member_since: "2023-04-12",
    },
    Customer {
        customer_id: "C1002",
        name: "Bob Chen",
        email: "bob@example.com",
        zip: "94105",
        plan: "Basic",
        member_since: "2025-01-30",
    },
];

fn seed_orders() -> Vec<Order> {
    vec![
        Order {
            order_id: "W1000003",
            customer_id: "C1001",
            zip: "10001",
            status: "pending",
            date: "2026-11-26",
            total: 19.0,
            items: &["Phone case"],
            carrier: None,
            eta: None,
        },
        Order {
            order_id: "W1000002",
            customer_id: "C1001",
            zip: "10001",
            status: "pending",
            date: "2026-11-25",
            total: 89.0,
            items: &["Desk lamp"],
            carrier: None,
            eta: None,
        },
        Order {
            order_id: "W1000001",
            customer_id: "C1001",
            zip: "10001",
            status: "shipped",
            date: "2026-11-20",
            total: 129.5,
            items: &["Wireless headphones", "USB-C cable"],
            carrier: Some("UPS"),
            eta: Some("2026-11-29"),
        },
        Order {
            order_id: "W2000001",
            customer_id: "C1002",
            zip: "94105",
            status: "delivered",
            date: "2026-10-02",
            total: 42.0,
            items: &["Notebook set"],
            carrier: Some("USPS"),
            eta: None,
        },
    ]
}

struct Shop {
    api_key: String,
    orders: Mutex<Vec<Order>>,
    requests: Mutex<Vec<ReceivedRequest>>,
    idempotency: Mutex<BTreeMap<String, Value>>,
    meetings: Mutex<Vec<Value>>,
    effective_writes: std::sync::atomic::AtomicUsize,
    /// Added to every answer, in milliseconds (tests widen race windows with it).
    latency_ms: std::sync::atomic::AtomicU64,
    /// When set, the next effective write is applied, reported here, and never answered.
    stall_next_write: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    /// When set, the next effective write is applied and then answered 500.
    fail_next_write: std::sync::atomic::AtomicBool,
}

impl Shop {
    /// Runs a write once per `Idempotency-Key`: a replayed key gets the first answer back and
    /// changes nothing. `apply` returns the result, or an error status and message (not recorded).
    async fn write_once(
        &self,
        headers: &HeaderMap,
        apply: impl FnOnce() -> Result<Value, (StatusCode, &'static str)>,
    ) -> Response {
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(previous) = key
            .as_ref()
            .and_then(|k| self.idempotency.lock().expect("lock").get(k).cloned())
        {
            return Json(previous).into_response();
        }
        let result = match apply() {
            Ok(result) => result,
            Err((status, message)) => return error(status, message),
        };
        if let Some(key) = key {
            self.idempotency
                .lock()
                .expect("lock")
                .insert(key, result.clone());
        }
        self.wrote().await;
        if self
            .fail_next_write
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
        Json(result).into_response()
    }

    /// Counts an effective write; stalls it if a test asked for that.
    async fn wrote(&self) {
        self.effective_writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let stall = self.stall_next_write.lock().expect("lock").take();
        if let Some(reached) = stall {
            let _ = reached.send(());
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    }
}

/// A running shop.
pub struct ShopHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    shop: Arc<Shop>,
    task: tokio::task::JoinHandle<()>,
}

impl ShopHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shop.requests.lock().expect("lock").clone()
    }

    /// Writes that changed something (a replayed idempotency key does not count).
    pub fn effective_writes(&self) -> usize {
        self.shop
            .effective_writes
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Meetings booked so far.
    pub fn meetings(&self) -> Vec<Value> {
        self.shop.meetings.lock().expect("lock").clone()
    }

    /// The next effective write is applied, then the shop signals the returned receiver and
    /// never answers that request (a test kills the client at that moment).
    pub fn stall_next_write(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        *self.shop.stall_next_write.lock().expect("lock") = Some(tx);
        rx
    }

    /// The next effective write is applied, then answered `500` (the client cannot tell
    /// whether it was made).
    pub fn fail_next_write_after_applying(&self) {
        self.shop
            .fail_next_write
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Makes every answer take this long.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.shop.latency_ms.store(
            latency.as_millis() as u64,
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// An order's current status.
    pub fn order_status(&self, order_id: &str) -> Option<String> {
        self.shop
            .orders
            .lock()
            .expect("lock")
            .iter()
            .find(|o| o.order_id == order_id)
            .map(|o| o.status.to_string())
    }
}

impl Drop for ShopHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the shop on 127.0.0.1 on a free port; every `/api` call needs `Bearer <api_key>`.
pub async fn start(api_key: &str) -> std::io::Result<ShopHandle> {
    start_with_pending_orders(api_key, 0).await
}

/// Starts the shop with `extra` more pending orders for Alice (W3000000, W3000001, …), so a
/// benchmark can cancel a different order in every conversation.
pub async fn start_with_pending_orders(api_key: &str, extra: usize) -> std::io::Result<ShopHandle> {
    let mut orders = seed_orders();
    for i in 0..extra {
        // Built once per shop; leaking them keeps the order table's `&'static str` fields.
        let order_id: &'static str = Box::leak(format!("W{}", 3_000_000 + i).into_boxed_str());
        orders.push(Order {
            order_id,
            customer_id: "C1001",
            zip: "10001",
            status: "pending",
            date: "2026-11-27",
            total: 10.0,
            items: &["Sticker"],
            carrier: None,
            eta: None,
        });
    }
    let shop = Arc::new(Shop {
        api_key: api_key.to_string(),
        orders: Mutex::new(orders),
        requests: Mutex::new(Vec::new()),
        idempotency: Mutex::new(BTreeMap::new()),
        meetings: Mutex::new(Vec::new()),
        effective_writes: std::sync::atomic::AtomicUsize::new(0),
        stall_next_write: Mutex::new(None),
        fail_next_write: std::sync::atomic::AtomicBool::new(false),
        latency_ms: std::sync::atomic::AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/api/orders/{order_id}", get(order_status))
        .route("/api/orders/{order_id}/cancel", post(cancel_order))
        .route("/api/customers/lookup", get(lookup_customer))
        .route("/api/customers/orders/{order_id}", get(customer_order))
        .route("/api/meetings", post(create_meeting))
        .route("/api/returns", post(create_return))
        .route("/api/customers/{customer_id}/orders", get(customer_orders))
        .route("/api/user-data", post(user_data))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(middleware::from_fn_with_state(shop.clone(), authenticate))
        .layer(middleware::from_fn_with_state(shop.clone(), record))
        .with_state(shop.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(ShopHandle { addr, shop, task })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

async fn record(State(shop): State<Arc<Shop>>, request: Request, next: Next) -> Response {
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    shop.requests.lock().expect("lock").push(ReceivedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().map(str::to_string),
        headers,
    });
    let latency = shop.latency_ms.load(std::sync::atomic::Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    next.run(request).await
}

async fn authenticate(State(shop): State<Arc<Shop>>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", shop.api_key);
    let given = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "missing or wrong API key");
    }
    next.run(request).await
}

fn order_json(o: &Order) -> Value {
    json!({
        "order_id": o.order_id, "status": o.status, "date": o.date, "total": o.total,
        "items": o.items.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
        "carrier": o.carrier, "eta": o.eta,
    })
}

#[derive(Deserialize)]
struct ZipQuery {
    zip: Option<String>,
}

async fn order_status(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    Query(q): Query<ZipQuery>,
) -> Response {
    let orders = shop.orders.lock().expect("lock");
    // The ZIP is the knowledge factor: a wrong ZIP looks exactly like an unknown order.
    match orders
        .iter()
        .find(|o| o.order_id == order_id && Some(o.zip) == q.zip.as_deref())
    {
        Some(o) => Json(order_json(o)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no order with that number and ZIP code",
        ),
    }
}

#[derive(Deserialize)]
struct LookupQuery {
    email: Option<String>,
    zip: Option<String>,
}

async fn lookup_customer(Query(q): Query<LookupQuery>) -> Response {
    let found = CUSTOMERS.iter().find(|c| {
        q.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(c.email))
            && q.zip.as_deref() == Some(c.zip)
    });
    match found {
        Some(c) => Json(json!({"customer_id": c.customer_id, "name": c.name, "email": c.email}))
            .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "no customer with that email and ZIP code",
        ),
    }
}

async fn customer_orders(
    State(shop): State<Arc<Shop>>,
    Path(customer_id): Path<String>,
) -> Response {
    let orders = shop.orders.lock().expect("lock");
    let mine: Vec<Value> = orders
        .iter()
        .filter(|o| o.customer_id == customer_id)
        .map(order_json)
        .collect();
    Json(json!({"customer_id": customer_id, "orders": mine})).into_response()
}

#[derive(Deserialize)]
struct CancelBody {
    reason: Option<String>,
    email: Option<String>,
}

async fn cancel_order(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<CancelBody>,
) -> Response {
    shop.write_once(&headers, || {
        let mut orders = shop.orders.lock().expect("lock");
        let Some(order) = orders.iter_mut().find(|o| o.order_id == order_id) else {
            return Err((StatusCode::NOT_FOUND, "no such order"));
        };
        let owner = CUSTOMERS
            .iter()
            .find(|c| c.customer_id == order.customer_id)
            .map(|c| c.email);
        if body.email.is_some() && body.email.as_deref() != owner {
            return Err((
                StatusCode::FORBIDDEN,
                "the order belongs to another customer",
            ));
        }
        if order.status != "pending" {
            return Err((StatusCode::CONFLICT, "only pending orders can be cancelled"));
        }
        order.status = "cancelled";
        Ok(json!({"order_id": order.order_id, "status": "cancelled", "reason": body.reason}))
    })
    .await
}

#[derive(Deserialize)]
struct EmailQuery {
    email: Option<String>,
}

/// One order of the customer with this email (404 for anyone else's order).
async fn customer_order(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    Query(q): Query<EmailQuery>,
) -> Response {
    let Some(customer) = CUSTOMERS.iter().find(|c| {
        q.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(c.email))
    }) else {
        return error(StatusCode::NOT_FOUND, "no such order for this customer");
    };
    let orders = shop.orders.lock().expect("lock");
    match orders
        .iter()
        .find(|o| o.order_id == order_id && o.customer_id == customer.customer_id)
    {
        Some(o) => Json(order_json(o)).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such order for this customer"),
    }
}

#[derive(Deserialize)]
struct MeetingBody {
    name: String,
    email: String,
    date: String,
}

async fn create_meeting(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Json(body): Json<MeetingBody>,
) -> Response {
    shop.write_once(&headers, || {
        let mut meetings = shop.meetings.lock().expect("lock");
        let meeting = json!({"meeting_id": format!("M{}", 100 + meetings.len()), "name": body.name, "email": body.email, "date": body.date});
        meetings.push(meeting.clone());
        Ok(meeting)
    })
    .await
}

#[derive(Deserialize)]
struct ReturnBody {
    order_id: String,
    item: String,
    email: String,
}

async fn create_return(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Json(body): Json<ReturnBody>,
) -> Response {
    shop.write_once(&headers, || {
        let orders = shop.orders.lock().expect("lock");
        let customer = CUSTOMERS.iter().find(|c| c.email.eq_ignore_ascii_case(&body.email));
        let delivered_and_theirs = orders.iter().any(|o| {
            o.order_id == body.order_id && customer.is_some_and(|c| c.customer_id == o.customer_id) && o.status == "delivered"
        });
        if !delivered_and_theirs {
            return Err((StatusCode::CONFLICT, "returns are possible only for this customer's delivered orders"));
        }
        Ok(json!({"return_id": format!("R-{}", body.order_id), "order_id": body.order_id, "item": body.item, "status": "label sent"}))
    })
    .await
}

#[derive(Deserialize)]
struct UserDataRequest {
    identifier: String,
}

async fn user_data(
    State(shop): State<Arc<Shop>>,
    Json(request): Json<UserDataRequest>,
) -> Response {
    let Some(c) = CUSTOMERS
        .iter()
        .find(|c| c.email.eq_ignore_ascii_case(&request.identifier))
    else {
        return error(StatusCode::NOT_FOUND, "unknown customer");
    };
    let orders = shop.orders.lock().expect("lock");
    let mine: Vec<Value> = orders
        .iter()
        .filter(|o| o.customer_id == c.customer_id)
        // The five most recent are enough for the agent.
        .take(5)
        .map(|o| json!({"order_id": o.order_id, "status": o.status, "date": o.date, "total": o.total, "items": o.items}))
        .collect();
    Json(json!({
        "identifier": request.identifier,
        "user_info": {
            "customer_id": c.customer_id,
            "name": c.name,
            "plan": c.plan,
            "member_since": c.member_since,
            "last_order": mine.first(),
            "orders": mine,
        }
    }))
    .into_response()
}
