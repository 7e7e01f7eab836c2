//! The HTTP API: conversations and messages (JSON or SSE), the stateless chat endpoint,
//! handoff and hand-back, admin endpoints, health and metrics.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_core::agent::{Agent, Conversation, EventSink, Quiet, TurnEvent, TurnOutput};
use switchboard_core::identity::{Identity, VerifiedEmail};
use switchboard_core::model::Message;
use switchboard_core::store::{EventBus, MemoryStore, PublishedEvent};
use switchboard_core::tool_call::{TrustedContext, prepare_operator_call};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{ReceiverStream, UnboundedReceiverStream};

use crate::error::ApiError;
use crate::identity::{IdentityProof, establish};
use crate::state::AppState;
use crate::views::{self, View};

type Shared = State<Arc<AppState>>;

/// JSON bodies whose rejections are API errors with stable codes.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// An optional JSON body: empty means the default; otherwise it must be JSON.
fn optional_json<T: serde::de::DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !header(headers, "content-type").is_some_and(|c| c.starts_with("application/json")) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
        ),
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        ),
    })
}

/// A route that takes a request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyRoute {
    /// `POST /v1/conversations` (optional body).
    CreateConversation,
    /// `POST /v1/conversations/{id}/messages`.
    PostMessage,
    /// `POST /v1/conversations/{id}/handoff` (optional body).
    Handoff,
    /// `POST /v1/chat`.
    Chat,
    /// `POST /v1/admin/agents/{agent}/tools/{tool}/call`.
    AdminToolCall,
    /// `POST /v1/admin/agents/{agent}/user-data`.
    AdminUserData,
    /// `POST /v1/demo/identity`.
    DemoIdentity,
}

impl BodyRoute {
    /// Every route that takes a body.
    pub const ALL: [BodyRoute; 7] = [
        BodyRoute::CreateConversation,
        BodyRoute::PostMessage,
        BodyRoute::Handoff,
        BodyRoute::Chat,
        BodyRoute::AdminToolCall,
        BodyRoute::AdminUserData,
        BodyRoute::DemoIdentity,
    ];
}

/// Parses `body` as `route`'s handler does, with the same extractor, and drops the value: the
/// outcome is the value's absence of error or the `{code, message}` error the client would
/// get. The property tests and the fuzz target drive the server's body parsing through it.
pub async fn parse_body(
    route: BodyRoute,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(), ApiError> {
    async fn extract<T: serde::de::DeserializeOwned>(
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(), ApiError> {
        let mut request = Request::new(axum::body::Body::from(body));
        *request.headers_mut() = headers.clone();
        ApiJson::<T>::from_request(request, &()).await.map(drop)
    }
    match route {
        BodyRoute::CreateConversation => {
            optional_json::<CreateConversation>(headers, &body).map(drop)
        }
        BodyRoute::Handoff => optional_json::<HandoffBody>(headers, &body).map(drop),
        BodyRoute::PostMessage => extract::<PostMessage>(headers, body).await,
        BodyRoute::Chat => extract::<StatelessChat>(headers, body).await,
        BodyRoute::AdminToolCall => extract::<AdminToolCall>(headers, body).await,
        BodyRoute::AdminUserData => extract::<AdminUserData>(headers, body).await,
        BodyRoute::DemoIdentity => extract::<DemoIdentity>(headers, body).await,
    }
}

/// Counts every error response by code.
pub async fn count_errors(State(state): Shared, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        let code = response.status().as_u16().to_string();
        state.metrics.error(&code);
    }
    response
}

/// Limits requests per client address.
pub async fn limit_per_ip(
    State(state): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if state.ip_limiter.check_key(&peer.ip()).is_err() {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; slow down",
        )
        .into_response();
    }
    next.run(request).await
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Identity proofs in the body win over the same ones in headers.
fn proof(headers: &HeaderMap, body: Option<IdentityProof>) -> IdentityProof {
    let body = body.unwrap_or_default();
    IdentityProof {
        email: body
            .email
            .or_else(|| header(headers, "x-switchboard-email")),
        user_hash: body
            .user_hash
            .or_else(|| header(headers, "x-switchboard-user-hash")),
        token: body
            .token
            .or_else(|| header(headers, "x-switchboard-token")),
        channel_key: body
            .channel_key
            .or_else(|| header(headers, "x-switchboard-channel-key")),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    #[serde(flatten)]
    identity: IdentityProof,
}

pub async fn create_default(
    state: Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    create(state, None, headers, body).await
}

pub async fn create_named(
    state: Shared,
    Path(agent): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    create(state, Some(agent), headers, body).await
}

async fn create(
    State(state): Shared,
    agent: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: CreateConversation = optional_json(&headers, &body)?;
    let agent_arc = state
        .agent(agent.as_deref())
        .ok_or_else(|| ApiError::agent_not_found(agent.as_deref().unwrap_or("")))?;
    let jwks = state.jwks(&agent_arc.config.agent.name);
    let established = establish(
        &agent_arc.config.identity,
        &proof(&headers, Some(body.identity)),
        jwks.as_deref(),
    )
    .await;
    let mut conversation = Conversation::new(
        uuid::Uuid::new_v4().to_string(),
        established.identity.clone(),
    );
    conversation.agent = agent_arc.config.agent.name.clone();
    state
        .store
        .save(&conversation)
        .await
        .map_err(ApiError::store)?;
    tracing::info!(conversation = %conversation.id, agent = %conversation.agent, identity = %established.note, "conversation created");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": conversation.id,
            "agent": conversation.agent,
            "identity": established.identity,
            "identity_note": established.note,
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    text: String,
    #[serde(default)]
    stream: bool,
}

fn wants_stream(headers: &HeaderMap, body: &PostMessage) -> bool {
    body.stream || header(headers, "accept").is_some_and(|a| a.contains("text/event-stream"))
}

/// A turn's summary (JSON text, the operator's) as this view may see it.
fn for_view(view: View, summary: String) -> String {
    match view {
        View::Operator => summary,
        View::Customer => serde_json::from_str::<Value>(&summary)
            .map(|v| views::customer_summary(&v).to_string())
            .unwrap_or_default(),
    }
}

/// A turn's outcome as the API answers it (and as the `done` event carries it), as JSON text.
fn summary(conversation: &Conversation, output: &TurnOutput) -> String {
    #[derive(serde::Serialize)]
    struct Summary<'a> {
        reply: &'a str,
        events: &'a [TurnEvent],
        handoff: &'a Option<String>,
        task: &'a Option<switchboard_core::task::TaskRun>,
        timing: &'a switchboard_core::agent::TurnTiming,
    }
    serde_json::to_string(&Summary {
        reply: &output.reply,
        events: &output.events,
        handoff: &conversation.handoff,
        task: &conversation.task,
        timing: &output.timing,
    })
    .expect("a turn summary always serializes")
}

/// The stored conversation, or a 404 with a stable code.
async fn load_conversation(state: &AppState, id: &str) -> Result<Conversation, ApiError> {
    state
        .store
        .load(id)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| ApiError::conversation_not_found(id))
}

/// Forwards a turn's events to the request's own sink and publishes them for subscribers —
/// when the conversation has any: events nobody receives are not built.
struct Publishing<'a> {
    inner: &'a dyn EventSink,
    events: &'a dyn EventBus,
    conversation: &'a str,
}

impl Publishing<'_> {
    fn watched(&self) -> bool {
        self.events.watched(self.conversation)
    }

    fn publish(&self, name: &str, data: impl FnOnce() -> String) {
        if self.watched() {
            self.events.publish(PublishedEvent {
                conversation: self.conversation.to_string(),
                name: name.to_string(),
                data: data(),
            });
        }
    }
}

impl EventSink for Publishing<'_> {
    fn event(&self, event: &TurnEvent) {
        self.inner.event(event);
        if self.watched() {
            let value = serde_json::to_value(event).unwrap_or(Value::Null);
            self.publish(value["type"].as_str().unwrap_or("event"), || {
                value.to_string()
            });
        }
    }
    fn text_delta(&self, delta: &str) {
        self.inner.text_delta(delta);
        self.publish("delta", || json!({"text": delta}).to_string());
    }
}

/// Runs one turn under the conversation's lock: load, answer, save (the agent saves). Its
/// events also go to every subscriber of the conversation. Returns the turn's summary (the
/// `done` event, and the answer to a JSON request) as JSON text.
async fn locked_turn(
    state: &AppState,
    id: &str,
    text: &str,
    sink: &dyn EventSink,
) -> Result<String, ApiError> {
    let publishing = Publishing {
        inner: sink,
        events: state.events.as_ref(),
        conversation: id,
    };
    let _lock = state.store.lock(id).await.map_err(ApiError::store)?;
    let mut conversation = load_conversation(state, id).await?;
    let agent = state
        .agent(Some(&conversation.agent))
        .ok_or_else(|| ApiError::agent_not_found(&conversation.agent))?;
    let started = Instant::now();
    let output = agent.turn(&mut conversation, text, &publishing).await;
    // An answer the store does not have is not given: the client sends the message again
    // and the turn runs again from what was saved (a write saved as sent goes out again with
    // its key, never under a new one).
    if !output.saved {
        return Err(ApiError::store(format!(
            "conversation {id}: the turn could not be saved"
        )));
    }
    state.metrics.turn(
        &conversation.agent,
        |tool| agent.config.tool(tool).is_some(),
        id,
        &output,
        started.elapsed(),
    );
    let summary = summary(&conversation, &output);
    publishing.publish("done", || summary.clone());
    Ok(summary)
}

/// Sends a turn's events to the request's own stream, as its view may see them.
struct ChannelSink(mpsc::UnboundedSender<Event>, View);

impl EventSink for ChannelSink {
    fn event(&self, event: &TurnEvent) {
        let value = serde_json::to_value(event).unwrap_or(Value::Null);
        let name = value["type"].as_str().unwrap_or("event").to_string();
        let value = match self.1 {
            View::Operator => value,
            View::Customer => match views::customer_event(&value) {
                Some(seen) => seen,
                None => return,
            },
        };
        let _ = self
            .0
            .send(Event::default().event(name).data(value.to_string()));
    }
    fn text_delta(&self, delta: &str) {
        let _ = self.0.send(
            Event::default()
                .event("delta")
                .data(json!({"text": delta}).to_string()),
        );
    }
}

/// A customer's message as a turn takes it: trimmed, not empty, not longer than the limit —
/// the same on every route that carries one.
fn customer_text(state: &AppState, text: &str, field: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_message",
            format!("{field} is empty"),
        ));
    }
    let limit = state.options.limits.message_chars;
    if text.chars().count() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
            format!("{field} is longer than {limit} characters"),
        ));
    }
    Ok(text.to_string())
}

pub async fn post_message(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Response, ApiError> {
    let text = customer_text(&state, &body.text, "`text`")?;
    if state.conversation_limiter.check_key(&id).is_err() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many messages in this conversation; wait a moment",
        ));
    }
    // A key that is not the admin key may be the conversation's agent's inspector key: only
    // then is the conversation looked up before its turn.
    let agent = if views::presented_key(&headers).is_some()
        && !views::admin_key_matches(&state, &headers)
    {
        Some(load_conversation(&state, &id).await?.agent)
    } else {
        None
    };
    let view = View::of(&state, &headers, agent.as_deref());
    if !wants_stream(&headers, &body) {
        // An unknown conversation is a 404 from the turn's own load.
        let summary = for_view(view, locked_turn(&state, &id, &text, &Quiet).await?);
        return Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            summary,
        )
            .into_response());
    }
    // Unknown conversations are refused before any streaming starts.
    load_conversation(&state, &id).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let sink = ChannelSink(tx.clone(), view);
        let done = match locked_turn(&state, &id, &text, &sink).await {
            Ok(summary) => Event::default().event("done").data(for_view(view, summary)),
            Err(e) => Event::default()
                .event("error")
                .data(json!({"code": e.code, "message": e.message}).to_string()),
        };
        let _ = tx.send(done);
    });
    let stream = UnboundedReceiverStream::new(rx).map(Ok::<_, Infallible>);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Every event of this conversation's turns from now on, whichever node runs them, as the
/// subscriber's view may see them.
pub async fn conversation_events(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let conversation = load_conversation(&state, &id).await?;
    let view = View::of(&state, &headers, Some(&conversation.agent));
    let stream = ReceiverStream::new(state.events.subscribe(&id))
        .filter_map(move |event| {
            views::published(view, &event.name, &event.data)
                .map(|data| Event::default().event(event.name).data(data))
        })
        .map(Ok::<_, Infallible>);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

pub async fn get_conversation(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let conversation = load_conversation(&state, &id).await?;
    let transcript: Vec<Value> = conversation
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::User { content } => Some(json!({"role": "user", "content": content})),
            Message::Assistant {
                content: Some(c),
                tool_calls,
            } if tool_calls.is_empty() => Some(json!({"role": "assistant", "content": c})),
            _ => None,
        })
        .collect();
    if View::of(&state, &headers, Some(&conversation.agent)) == View::Customer {
        // The customer's own words and the agent's replies; nothing looked up.
        let task = serde_json::to_value(&conversation.task).unwrap_or(Value::Null);
        return Ok(Json(json!({
            "id": conversation.id,
            "agent": conversation.agent,
            "identity": conversation.identity,
            "task": views::customer_task(&task),
            "handoff": views::handed_off(conversation.handoff.is_some()),
            "transcript": transcript,
        }))
        .into_response());
    }
    Ok(Json(json!({
        "id": conversation.id,
        "agent": conversation.agent,
        "identity": conversation.identity,
        "user_data": conversation.user_data,
        "task": conversation.task,
        "handoff": conversation.handoff,
        "transcript": transcript,
        "turns": conversation.turns,
    }))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HandoffBody {
    #[serde(default)]
    summary: Option<String>,
}

/// A human takes over (a helpdesk integration or an operator): the agent stops answering.
pub async fn handoff(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: HandoffBody = optional_json(&headers, &body)?;
    let summary = match body.summary {
        Some(summary) => customer_text(&state, &summary, "`summary`")?,
        None => "Handed off by an operator.".into(),
    };
    let _lock = state.store.lock(&id).await.map_err(ApiError::store)?;
    let mut conversation = load_conversation(&state, &id).await?;
    conversation.task = None;
    conversation.handoff = Some(summary.clone());
    state
        .store
        .save(&conversation)
        .await
        .map_err(ApiError::store)?;
    Ok(Json(json!({"id": id, "handoff": summary})).into_response())
}

/// Control goes back to the agent: the operator's act (the admin key), never the customer's.
pub async fn handback(
    State(state): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let _lock = state.store.lock(&id).await.map_err(ApiError::store)?;
    let mut conversation = load_conversation(&state, &id).await?;
    if View::of(&state, &headers, Some(&conversation.agent)) != View::Operator {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin_key_required",
            "handing a conversation back to the agent needs the admin key (or the agent's inspector key) in `X-Admin-Key`",
        ));
    }
    conversation.handoff = None;
    state
        .store
        .save(&conversation)
        .await
        .map_err(ApiError::store)?;
    Ok(Json(json!({"id": id, "handoff": null})).into_response())
}

#[derive(Deserialize)]
pub struct ChatMessage {
    role: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatelessChat {
    messages: Vec<ChatMessage>,
    #[serde(flatten)]
    identity: IdentityProof,
}

pub async fn chat_default(
    state: Shared,
    headers: HeaderMap,
    body: ApiJson<StatelessChat>,
) -> Result<Response, ApiError> {
    chat(state, None, headers, body).await
}

pub async fn chat_named(
    state: Shared,
    Path(agent): Path<String>,
    headers: HeaderMap,
    body: ApiJson<StatelessChat>,
) -> Result<Response, ApiError> {
    chat(state, Some(agent), headers, body).await
}

/// The whole history in, one reply out; nothing is stored (tasks need a conversation).
async fn chat(
    State(state): Shared,
    agent: Option<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StatelessChat>,
) -> Result<Response, ApiError> {
    let agent = state
        .agent(agent.as_deref())
        .ok_or_else(|| ApiError::agent_not_found(agent.as_deref().unwrap_or("")))?;
    let Some((last, history)) = body.messages.split_last() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_messages",
            "`messages` is empty",
        ));
    };
    if last.role != "user" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "last_message_not_user",
            "the last message must have `role: user`",
        ));
    }
    let text = customer_text(&state, &last.content, "the last message's `content`")?;
    let mut messages = Vec::new();
    for (i, m) in history.iter().enumerate() {
        messages.push(match m.role.as_str() {
            "user" => Message::User {
                content: customer_text(&state, &m.content, &format!("`messages[{i}].content`"))?,
            },
            "assistant" => Message::Assistant {
                content: Some(m.content.clone()),
                tool_calls: Vec::new(),
            },
            other => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_role",
                    format!("role `{other}` is not `user` or `assistant`"),
                ));
            }
        });
    }
    let jwks = state.jwks(&agent.config.agent.name);
    let established = establish(
        &agent.config.identity,
        &proof(&headers, Some(body.identity)),
        jwks.as_deref(),
    )
    .await;
    let mut conversation = Conversation::new(
        format!("stateless-{}", uuid::Uuid::new_v4()),
        established.identity,
    );
    conversation.agent = agent.config.agent.name.clone();
    conversation.messages = messages;
    let stateless: Agent = agent.with_store(Arc::new(MemoryStore::default()));
    let started = Instant::now();
    let output = stateless.turn(&mut conversation, &text, &Quiet).await;
    state.metrics.turn(
        &conversation.agent,
        |tool| agent.config.tool(tool).is_some(),
        &conversation.id,
        &output,
        started.elapsed(),
    );
    let events = serde_json::to_value(&output.events).unwrap_or(Value::Null);
    let events = match View::of(&state, &headers, Some(&agent.config.agent.name)) {
        View::Operator => events,
        View::Customer => views::customer_events(&events),
    };
    Ok(
        Json(json!({"reply": output.reply, "events": events, "identity_note": established.note}))
            .into_response(),
    )
}

pub async fn list_agents(State(state): Shared) -> Response {
    let agents = state.agents.load();
    let list: Vec<Value> = agents
        .by_name
        .values()
        .map(|a| json!({
            "name": a.config.agent.name,
            "model": a.model.name(),
            "tools": a.config.tools.iter().map(|t| json!({"name": t.name, "description": t.description, "access": t.access, "effect": t.effect, "input": t.input_schema})).collect::<Vec<_>>(),
            "tasks": a.config.tasks.iter().map(|t| json!({"name": t.name, "description": t.description, "access": t.access})).collect::<Vec<_>>(),
        }))
        .collect();
    Json(json!({"default": agents.default, "agents": list})).into_response()
}

pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

pub async fn readyz(State(state): Shared) -> Response {
    match state.store.load("readyz-probe").await {
        Ok(_) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the store is not reachable: {e}"),
        )
        .into_response(),
    }
}

pub async fn metrics(State(state): Shared) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// Admin endpoints need the admin key (`X-Admin-Key` or `Authorization: Bearer`).
pub async fn require_admin(State(state): Shared, request: Request, next: Next) -> Response {
    if state.admin_key.is_none() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "admin endpoints are off; start the server with --admin-key",
        )
        .into_response();
    }
    if !views::admin_key_matches(&state, request.headers()) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin_key_required",
            "send the admin key in `X-Admin-Key`",
        )
        .into_response();
    }
    next.run(request).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminToolCall {
    #[serde(default)]
    inputs: serde_json::Map<String, Value>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    allow_write: bool,
}

/// Calls one tool as the admin would: the same policy checks; shows the redacted request.
pub async fn admin_tool_call(
    State(state): Shared,
    Path((agent, tool)): Path<(String, String)>,
    ApiJson(body): ApiJson<AdminToolCall>,
) -> Result<Response, ApiError> {
    let agent = state
        .agent(Some(&agent))
        .ok_or_else(|| ApiError::agent_not_found(&agent))?;
    let tool_def = agent.config.tool(&tool).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "tool_not_found",
            format!("agent has no tool `{tool}`"),
        )
    })?;
    let identity = match &body.email {
        Some(e) => Identity::Verified {
            email: VerifiedEmail::new(e).map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_email",
                    "`email` is not an email address",
                )
            })?,
            customer_id: None,
        },
        None => Identity::Anonymous,
    };
    let user_data = match identity.verified_email() {
        Some(e) => agent.user_data.fetch(e).await.data().cloned(),
        None => None,
    };
    let conversation_id = format!("admin-{}", uuid::Uuid::new_v4());
    let context = TrustedContext {
        identity: &identity,
        conversation_id: &conversation_id,
        user_data: user_data.as_ref(),
    };
    let prepared = match prepare_operator_call(tool_def, &Value::Object(body.inputs), context, body.allow_write) {
        Ok(p) => p,
        Err(refused) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"code": "tool_call_refused", "message": refused.to_string(), "refused": refused}))).into_response()),
    };
    let outcome = agent.tools.run(&prepared).await;
    let redactor = &agent.config.redactor;
    Ok(Json(match outcome.result {
        Ok(selected) => json!({"result": redactor.redact_json(&selected.value), "truncated": selected.truncated, "request": outcome.record}),
        Err(failure) => json!({"error": failure, "request": outcome.record}),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUserData {
    email: String,
}

/// What the agent would see from the User Data API for this email.
pub async fn admin_user_data(
    State(state): Shared,
    Path(agent): Path<String>,
    ApiJson(body): ApiJson<AdminUserData>,
) -> Result<Response, ApiError> {
    let agent = state
        .agent(Some(&agent))
        .ok_or_else(|| ApiError::agent_not_found(&agent))?;
    let email = VerifiedEmail::new(&body.email).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
            "`email` is not an email address",
        )
    })?;
    Ok(Json(json!(agent.user_data.fetch(&email).await)).into_response())
}

/// The resolved config, secrets redacted.
pub async fn admin_config(
    State(state): Shared,
    Path(agent): Path<String>,
) -> Result<Response, ApiError> {
    let agent = state
        .agent(Some(&agent))
        .ok_or_else(|| ApiError::agent_not_found(&agent))?;
    let config = &agent.config;
    let tools: Vec<Value> = config
        .tools
        .iter()
        .map(|t| {
            let headers: serde_json::Map<String, Value> = t
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.render(&Default::default(), str::to_string).map(|r| r.shown).unwrap_or_else(|| "(uses inputs)".into()))))
                .collect();
            json!({"name": t.name, "method": t.method, "url": t.url.origin().as_str(), "headers": headers, "access": t.access, "effect": t.effect, "bound": t.bound.keys().collect::<Vec<_>>(), "input": t.input_schema, "timeout_ms": t.timeout.as_millis() as u64, "retries": t.retries})
        })
        .collect();
    let model = &config.agent.model;
    let value = json!({
        "agent": {"name": config.agent.name, "instructions": config.agent.instructions, "max_steps": config.agent.max_steps,
                  "model": {"provider": model.provider, "base_url": model.base_url.as_ref().map(|u| u.as_str()), "model": model.model, "api_key": model.api_key.as_ref().map(|_| "[REDACTED]")}},
        "outbound": {"allow_loopback": config.outbound.allow_loopback, "allow_private": config.outbound.allow_private, "max_response_bytes": config.outbound.max_response_bytes},
        "user_data": config.user_data.as_ref().map(|u| json!({"url": u.url.as_str(), "timeout_ms": u.timeout.as_millis() as u64, "max_chars": u.max_chars, "fields": u.fields})),
        "tools": tools,
        "tasks": config.tasks.iter().map(|t| json!({"name": t.name, "description": t.description, "access": t.access})).collect::<Vec<_>>(),
    });
    Ok(Json(config.redactor.redact_json(&value)).into_response())
}

/// Reloads every config; a config with errors keeps the running agents.
pub async fn admin_reload(State(state): Shared) -> Result<Response, ApiError> {
    match state.reload() {
        Ok(agents) => Ok(Json(json!({"reloaded": agents})).into_response()),
        Err(e) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_config",
            format!("kept the running config: {e}"),
        )),
    }
}

#[derive(Deserialize)]
pub struct DemoIdentity {
    email: String,
}

/// Demo only: signs a widget identity so the playground can act as a verified customer.
pub async fn demo_identity(
    State(state): Shared,
    ApiJson(body): ApiJson<DemoIdentity>,
) -> Result<Response, ApiError> {
    let agent = state
        .agent(None)
        .ok_or_else(|| ApiError::agent_not_found(""))?;
    let secret = agent.config.identity.hmac_secret.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no HMAC secret configured",
        )
    })?;
    Ok(Json(json!({"email": body.email, "user_hash": crate::identity::user_hash(secret.expose(), &body.email)})).into_response())
}

#[cfg(test)]
mod properties {
    //! Any body, on any route that takes one, is parsed into a value or refused with a
    //! client error whose body is exactly `{code, message}`; never a panic.

    use super::*;
    use proptest::prelude::*;

    /// Field names the bodies use, so generated objects get past the first check often.
    const FIELDS: &[&str] = &[
        "text",
        "stream",
        "summary",
        "messages",
        "role",
        "content",
        "email",
        "user_hash",
        "token",
        "channel_key",
        "inputs",
        "allow_write",
        "order_id",
        "\u{0}",
        "",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
            "user|assistant|system|a@b\\.io".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        proptest::sample::select(FIELDS).prop_map(str::to_string),
                        any::<String>()
                    ],
                    inner,
                    0..5,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Bodies: JSON values, JSON text cut short or with bytes changed, and any bytes.
    fn bodies() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            json_value().prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
            (json_value(), any::<usize>()).prop_map(|(v, cut)| {
                let bytes = serde_json::to_vec(&v).expect("JSON");
                bytes[..cut % (bytes.len() + 1)].to_vec()
            }),
            (json_value(), any::<usize>(), any::<u8>()).prop_map(|(v, at, byte)| {
                let mut bytes = serde_json::to_vec(&v).expect("JSON");
                let at = at % bytes.len();
                bytes[at] = byte;
                bytes
            }),
            proptest::collection::vec(any::<u8>(), 0..256),
            proptest::collection::vec(
                proptest::sample::select(&b"{}[]\":,0123456789.eE+-truefalsnl \\u"[..]),
                0..64
            ),
        ]
    }

    fn check(
        route: BodyRoute,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(), TestCaseError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let mut headers = HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(
                "content-type",
                content_type.parse().expect("a header value"),
            );
        }
        let outcome = runtime.block_on(parse_body(route, &headers, Bytes::from(body.clone())));
        let Err(error) = outcome else {
            // A value: the body was JSON (or empty where a body is optional).
            prop_assert!(
                serde_json::from_slice::<Value>(&body).is_ok()
                    || body.iter().all(u8::is_ascii_whitespace),
                "{:?} accepted {:?}",
                route,
                String::from_utf8_lossy(&body)
            );
            return Ok(());
        };
        prop_assert!(error.status.is_client_error(), "{:?}: {:?}", route, error);
        let response = error.into_response();
        let bytes = runtime
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .expect("the body");
        let value: Value = serde_json::from_slice(&bytes).expect("a JSON error body");
        let object = value.as_object().expect("an object");
        prop_assert_eq!(object.len(), 2, "{}", value);
        prop_assert!(
            object["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{}",
            value
        );
        prop_assert!(
            object["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            value
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn any_json_body_is_a_value_or_a_code_and_message(
            route in proptest::sample::select(BodyRoute::ALL.to_vec()),
            body in bodies(),
        ) {
            check(route, Some("application/json"), body)?;
        }

        #[test]
        fn any_content_type_is_a_value_or_a_code_and_message(
            route in proptest::sample::select(BodyRoute::ALL.to_vec()),
            content_type in proptest::option::of(prop_oneof![
                Just("application/json; charset=utf-8".to_string()),
                Just("text/plain".to_string()),
                Just("application/x-www-form-urlencoded".to_string()),
                "[a-z/+;= -]{0,30}",
            ]),
            body in bodies(),
        ) {
            check(route, content_type.as_deref(), body)?;
        }
    }
}
