//! The Anthropic Messages API: tool use, with or without SSE streaming.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use switchboard_core::config::Config;
use switchboard_core::model::{
    ChatModel, Message, ModelError, ModelReply, ModelRequest, TextSink, ToolCall,
};

use crate::BuildError;
use crate::transport::{Endpoint, RedactedText, parse_arguments, read_answer, read_sse};

const API_VERSION: &str = "2023-06-01";

/// A client for `POST {base_url}/messages`.
pub struct AnthropicModel {
    endpoint: Endpoint,
}

impl AnthropicModel {
    /// A client from the config's model settings.
    pub fn new(config: &Config) -> Result<Self, BuildError> {
        Ok(Self {
            endpoint: Endpoint::from_config(config, "anthropic", "/messages")?,
        })
    }

    fn body(&self, request: &ModelRequest<'_>) -> Value {
        // Anthropic wants alternating roles: tool results travel as user content blocks, and
        // adjacent messages of one role are merged.
        let mut messages: Vec<(String, Vec<Value>)> = Vec::new();
        for m in request.messages {
            let (role, blocks) = match m {
                Message::User { content } => {
                    ("user", vec![json!({"type": "text", "text": content})])
                }
                Message::Assistant {
                    content,
                    tool_calls,
                } => {
                    let mut blocks = Vec::new();
                    if let Some(t) = content.as_ref().filter(|t| !t.is_empty()) {
                        blocks.push(json!({"type": "text", "text": t}));
                    }
                    for c in tool_calls {
                        let input = if c.arguments.is_object() {
                            c.arguments.clone()
                        } else {
                            json!({})
                        };
                        blocks.push(
                            json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                        );
                    }
                    ("assistant", blocks)
                }
                Message::Tool {
                    call_id, content, ..
                } => (
                    "user",
                    vec![
                        json!({"type": "tool_result", "tool_use_id": call_id, "content": content}),
                    ],
                ),
            };
            match messages.last_mut() {
                Some((last_role, last_blocks)) if last_role == role => last_blocks.extend(blocks),
                _ => messages.push((role.to_string(), blocks)),
            }
        }
        let messages: Vec<Value> = messages
            .into_iter()
            .map(|(role, content)| json!({"role": role, "content": content}))
            .collect();
        let mut body = json!({"model": self.endpoint.model, "max_tokens": self.endpoint.max_tokens, "system": request.system, "messages": messages, "stream": self.endpoint.stream});
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                .collect();
        }
        if let Some(t) = self.endpoint.temperature {
            body["temperature"] = json!(t);
        }
        body
    }
}

fn protocol(what: &str) -> ModelError {
    ModelError::Protocol(what.into())
}

enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
}

#[async_trait::async_trait]
impl ChatModel for AnthropicModel {
    fn name(&self) -> String {
        format!("anthropic:{}", self.endpoint.model)
    }

    async fn complete(
        &self,
        request: &ModelRequest<'_>,
        sink: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        // Streamed text is redacted on its way to the customer, like the finished answer.
        let text = &RedactedText::new(sink, &self.endpoint.transport.redactor);
        let reply: Result<ModelReply, ModelError> = async {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-api-key",
                HeaderValue::from_str(self.endpoint.api_key.expose())
                    .map_err(|_| protocol("the API key holds characters a header cannot carry"))?,
            );
            headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
            let response = self
                .endpoint
                .transport
                .post(
                    &self.endpoint.url,
                    &headers,
                    self.body(request).to_string().into_bytes(),
                )
                .await?;
            let mut blocks: BTreeMap<u64, Block> = BTreeMap::new();
            if !self.endpoint.stream {
                let bytes = read_answer(response, self.endpoint.max_answer_bytes).await?;
                let body: Value = serde_json::from_slice(&bytes)
                    .map_err(|_| protocol("the answer is not JSON"))?;
                let content = body["content"]
                    .as_array()
                    .ok_or_else(|| protocol("the answer has no content"))?;
                for (i, block) in content.iter().enumerate() {
                    match block["type"].as_str() {
                        Some("text") => {
                            let t = block["text"].as_str().unwrap_or_default().to_string();
                            text.text_delta(&t);
                            blocks.insert(i as u64, Block::Text(t));
                        }
                        Some("tool_use") => {
                            blocks.insert(
                                i as u64,
                                Block::ToolUse {
                                    id: block["id"].as_str().unwrap_or_default().to_string(),
                                    name: block["name"].as_str().unwrap_or_default().to_string(),
                                    json: block["input"].to_string(),
                                },
                            );
                        }
                        _ => {}
                    }
                }
            } else {
                read_sse(response, self.endpoint.max_answer_bytes, |event| {
                    let data: Value = serde_json::from_str(&event.data)
                        .map_err(|_| protocol("a stream event is not JSON"))?;
                    let index = data["index"].as_u64().unwrap_or(0);
                    match data["type"].as_str() {
                        Some("content_block_start") => {
                            let block = &data["content_block"];
                            let started = match block["type"].as_str() {
                                Some("tool_use") => Block::ToolUse {
                                    id: block["id"].as_str().unwrap_or_default().to_string(),
                                    name: block["name"].as_str().unwrap_or_default().to_string(),
                                    json: String::new(),
                                },
                                _ => Block::Text(
                                    block["text"].as_str().unwrap_or_default().to_string(),
                                ),
                            };
                            blocks.insert(index, started);
                        }
                        Some("content_block_delta") => {
                            let delta = &data["delta"];
                            match (blocks.get_mut(&index), delta["type"].as_str()) {
                                (Some(Block::Text(t)), Some("text_delta")) => {
                                    let piece = delta["text"].as_str().unwrap_or_default();
                                    t.push_str(piece);
                                    text.text_delta(piece);
                                }
                                (Some(Block::ToolUse { json, .. }), Some("input_json_delta")) => {
                                    json.push_str(
                                        delta["partial_json"].as_str().unwrap_or_default(),
                                    );
                                }
                                _ => {}
                            }
                        }
                        Some("message_stop") => return Ok(false),
                        Some("error") => {
                            return Err(ModelError::Protocol(
                                self.endpoint.transport.error_message(
                                    data["error"]["message"].as_str().unwrap_or("stream error"),
                                ),
                            ));
                        }
                        _ => {}
                    }
                    Ok(true)
                })
                .await?;
            }
            let mut reply = ModelReply::default();
            let mut content = String::new();
            for block in blocks.into_values() {
                match block {
                    Block::Text(t) => content.push_str(&t),
                    Block::ToolUse { id, name, json } => reply.tool_calls.push(ToolCall {
                        id,
                        name,
                        arguments: parse_arguments(&json),
                    }),
                }
            }
            reply.text = (!content.is_empty()).then_some(content);
            Ok(reply)
        }
        .await;
        text.finish();
        reply
    }
}
