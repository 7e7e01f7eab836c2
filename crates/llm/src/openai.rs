//! OpenAI-compatible chat completions (OpenAI, Azure, Ollama, vLLM, llama.cpp server, LM
//! Studio, OpenRouter, Groq, …): tool calling, with or without SSE streaming.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use switchboard_core::config::Config;
use switchboard_core::model::{
    ChatModel, Message, ModelError, ModelReply, ModelRequest, TextSink, ToolCall,
};

use crate::BuildError;
use crate::transport::{Endpoint, parse_arguments, read_sse};

/// A client for `POST {base_url}/chat/completions`.
pub struct OpenAiModel {
    endpoint: Endpoint,
}

impl OpenAiModel {
    /// A client from the config's model settings.
    pub fn new(config: &Config) -> Result<Self, BuildError> {
        Ok(Self {
            endpoint: Endpoint::from_config(config, "openai", "/chat/completions")?,
        })
    }

    fn body(&self, request: &ModelRequest<'_>) -> Value {
        let mut messages = vec![json!({"role": "system", "content": request.system})];
        for m in request.messages {
            messages.push(match m {
                Message::User { content } => json!({"role": "user", "content": content}),
                Message::Assistant { content, tool_calls } => {
                    let mut message = json!({"role": "assistant", "content": content});
                    if !tool_calls.is_empty() {
                        message["tool_calls"] = tool_calls
                            .iter()
                            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments.to_string()}}))
                            .collect();
                    }
                    message
                }
                Message::Tool { call_id, content, .. } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
            });
        }
        let mut body = json!({"model": self.endpoint.model, "messages": messages, "max_tokens": self.endpoint.max_tokens, "stream": self.endpoint.stream});
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
                .collect();
        }
        if let Some(t) = self.endpoint.temperature {
            body["temperature"] = json!(t);
        }
        body
    }
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

fn protocol(what: &str) -> ModelError {
    ModelError::Protocol(what.into())
}

#[async_trait::async_trait]
impl ChatModel for OpenAiModel {
    fn name(&self) -> String {
        format!("openai:{}", self.endpoint.model)
    }

    async fn complete(
        &self,
        request: &ModelRequest<'_>,
        text: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        let mut headers = HeaderMap::new();
        let auth = HeaderValue::from_str(&format!("Bearer {}", self.endpoint.api_key.expose()))
            .map_err(|_| protocol("the API key holds characters a header cannot carry"))?;
        headers.insert(AUTHORIZATION, auth);
        let response = self
            .endpoint
            .transport
            .post(&self.endpoint.url, headers, &self.body(request))
            .await?;
        if !self.endpoint.stream {
            let body: Value = response
                .json()
                .await
                .map_err(|_| protocol("the answer is not JSON"))?;
            let message = &body["choices"][0]["message"];
            if message.is_null() {
                return Err(protocol("the answer has no choices[0].message"));
            }
            let reply_text = message["content"].as_str().map(str::to_string);
            if let Some(t) = &reply_text {
                text.text_delta(t);
            }
            let tool_calls = message["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| ToolCall {
                    id: c["id"].as_str().unwrap_or_default().to_string(),
                    name: c["function"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    arguments: parse_arguments(c["function"]["arguments"].as_str().unwrap_or("")),
                })
                .collect();
            return Ok(ModelReply {
                text: reply_text,
                tool_calls,
            });
        }
        let mut content = String::new();
        let mut calls: BTreeMap<u64, PartialCall> = BTreeMap::new();
        read_sse(response, |event| {
            if event.data.trim() == "[DONE]" {
                return Ok(false);
            }
            let chunk: Value = serde_json::from_str(&event.data)
                .map_err(|_| protocol("a stream chunk is not JSON"))?;
            if let Some(message) = chunk["error"]["message"].as_str() {
                return Err(ModelError::Protocol(message.chars().take(300).collect()));
            }
            let delta = &chunk["choices"][0]["delta"];
            if let Some(t) = delta["content"].as_str() {
                content.push_str(t);
                text.text_delta(t);
            }
            for fragment in delta["tool_calls"].as_array().into_iter().flatten() {
                let call = calls
                    .entry(fragment["index"].as_u64().unwrap_or(0))
                    .or_default();
                if let Some(id) = fragment["id"].as_str() {
                    call.id = id.to_string();
                }
                if let Some(name) = fragment["function"]["name"].as_str() {
                    call.name.push_str(name);
                }
                if let Some(arguments) = fragment["function"]["arguments"].as_str() {
                    call.arguments.push_str(arguments);
                }
            }
            Ok(true)
        })
        .await?;
        let tool_calls = calls
            .into_iter()
            .map(|(index, c)| ToolCall {
                id: if c.id.is_empty() {
                    format!("call_{index}")
                } else {
                    c.id
                },
                name: c.name,
                arguments: parse_arguments(&c.arguments),
            })
            .collect();
        Ok(ModelReply {
            text: (!content.is_empty()).then_some(content),
            tool_calls,
        })
    }
}
