//! OpenAI-compatible chat completions (OpenAI, Azure, Ollama, vLLM, llama.cpp server, LM
//! Studio, OpenRouter, Groq, …): tool calling, with or without SSE streaming.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::config::Config;
use switchboard_core::model::{
    ChatModel, Message, ModelError, ModelReply, ModelRequest, TextSink, ToolCall,
};

use crate::BuildError;
use crate::transport::{Endpoint, RedactedText, parse_arguments, read_answer, read_sse};

/// A client for `POST {base_url}/chat/completions`.
pub struct OpenAiModel {
    endpoint: Endpoint,
    /// `Authorization: Bearer …`, built once (and marked sensitive).
    headers: HeaderMap,
}

/// The request body, serialized straight from the conversation (no intermediate JSON tree).
#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    max_tokens: u32,
    stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum WireMessage<'a> {
    System {
        content: &'a str,
    },
    User {
        content: &'a str,
    },
    Assistant {
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireCall<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: &'a str,
    },
}

#[derive(Serialize)]
struct WireCall<'a> {
    id: &'a str,
    r#type: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    /// The arguments as JSON text, as the API wants them.
    arguments: String,
}

/// An offered tool, as `{"type": "function", "function": {name, description, parameters}}`.
#[derive(Serialize)]
struct WireTool<'a> {
    r#type: &'static str,
    function: WireToolFunction<'a>,
}

#[derive(Serialize)]
struct WireToolFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

/// A non-streamed answer: only what the engine reads.
#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<ReplyMessage>,
}

#[derive(Deserialize)]
struct ReplyMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<ReplyCall>>,
}

#[derive(Deserialize)]
struct ReplyCall {
    #[serde(default)]
    id: Option<String>,
    function: ReplyFunction,
}

#[derive(Deserialize)]
struct ReplyFunction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: Option<String>,
}

impl OpenAiModel {
    /// A client from the config's model settings.
    pub fn new(config: &Config) -> Result<Self, BuildError> {
        let endpoint = Endpoint::from_config(config, "openai", "/chat/completions")?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", endpoint.api_key.expose()))
            .map_err(|_| BuildError::BadKey("openai"))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        Ok(Self { endpoint, headers })
    }

    fn body(&self, request: &ModelRequest<'_>) -> Vec<u8> {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        messages.push(WireMessage::System {
            content: &request.system,
        });
        messages.extend(request.messages.iter().map(|m| {
            match m {
                Message::User { content } => WireMessage::User { content },
                Message::Assistant {
                    content,
                    tool_calls,
                } => WireMessage::Assistant {
                    content: content.as_deref(),
                    tool_calls: tool_calls
                        .iter()
                        .map(|c| WireCall {
                            id: &c.id,
                            r#type: "function",
                            function: WireFunction {
                                name: &c.name,
                                arguments: c.arguments.to_string(),
                            },
                        })
                        .collect(),
                },
                Message::Tool {
                    call_id, content, ..
                } => WireMessage::Tool {
                    tool_call_id: call_id,
                    content,
                },
            }
        }));
        let body = Body {
            model: &self.endpoint.model,
            messages,
            max_tokens: self.endpoint.max_tokens,
            stream: self.endpoint.stream,
            tools: request
                .tools
                .iter()
                .map(|t| WireTool {
                    r#type: "function",
                    function: WireToolFunction {
                        name: &t.name,
                        description: &t.description,
                        parameters: &t.parameters,
                    },
                })
                .collect(),
            temperature: self.endpoint.temperature,
        };
        serde_json::to_vec(&body).expect("a request body always serializes")
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
        sink: &dyn TextSink,
    ) -> Result<ModelReply, ModelError> {
        // Streamed text is redacted on its way to the customer, like the finished answer.
        let text = &RedactedText::new(sink, &self.endpoint.transport.redactor);
        let reply: Result<ModelReply, ModelError> = async {
            let response = self
                .endpoint
                .transport
                .post(&self.endpoint.url, &self.headers, self.body(request))
                .await?;
            if !self.endpoint.stream {
                let bytes = read_answer(response, self.endpoint.max_answer_bytes).await?;
                let completion: Completion = serde_json::from_slice(&bytes)
                    .map_err(|_| protocol("the answer is not JSON"))?;
                let Some(message) = completion
                    .choices
                    .into_iter()
                    .next()
                    .and_then(|c| c.message)
                else {
                    return Err(protocol("the answer has no choices[0].message"));
                };
                let reply_text = match message.content {
                    Some(Value::String(text)) => Some(text),
                    _ => None,
                };
                if let Some(t) = &reply_text {
                    text.text_delta(t);
                }
                let tool_calls = message
                    .tool_calls
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| ToolCall {
                        id: c.id.unwrap_or_default(),
                        name: c.function.name,
                        arguments: parse_arguments(c.function.arguments.as_deref().unwrap_or("")),
                    })
                    .collect();
                return Ok(ModelReply {
                    text: reply_text,
                    tool_calls,
                });
            }
            let mut content = String::new();
            let mut calls: BTreeMap<u64, PartialCall> = BTreeMap::new();
            read_sse(response, self.endpoint.max_answer_bytes, |event| {
                if event.data.trim() == "[DONE]" {
                    return Ok(false);
                }
                let chunk: Value = serde_json::from_str(&event.data)
                    .map_err(|_| protocol("a stream chunk is not JSON"))?;
                if let Some(message) = chunk["error"]["message"].as_str() {
                    return Err(ModelError::Protocol(
                        self.endpoint.transport.error_message(message),
                    ));
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
        .await;
        text.finish();
        reply
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use switchboard_core::model::ToolSpec;

    use super::*;

    const YAML: &str = "agent:\n  name: t\n  instructions: Help.\n  model:\n    provider: openai\n    base_url: http://127.0.0.1:9/v1\n    model: m1\n    api_key: ${MODEL_KEY}\n    temperature: 0.5\n";

    #[test]
    fn the_body_is_the_chat_completions_wire_format() {
        let env = BTreeMap::from([("MODEL_KEY".to_string(), "test-model-key".to_string())]);
        let config = Config::from_yaml("t.yaml", YAML, &env).unwrap();
        let model = OpenAiModel::new(&config).unwrap();
        assert!(model.headers[AUTHORIZATION].is_sensitive());
        assert_eq!(
            model.endpoint.url.as_str(),
            "http://127.0.0.1:9/v1/chat/completions"
        );
        let messages = [
            Message::User {
                content: "where is W1?".into(),
            },
            Message::Assistant {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    name: "order_status".into(),
                    arguments: json!({"order_id": "W1"}),
                }],
            },
            Message::Tool {
                call_id: "call_1".into(),
                name: "order_status".into(),
                content: "{\"status\":\"shipped\"}".into(),
            },
            Message::Assistant {
                content: Some("Shipped.".into()),
                tool_calls: Vec::new(),
            },
        ];
        let tools = vec![ToolSpec {
            name: "order_status".into(),
            description: "Where an order is.".into(),
            parameters: json!({"type": "object"}),
        }];
        let request = ModelRequest {
            system: "Be brief.".into(),
            messages: &messages,
            tools,
            user_data: None,
        };
        let body: Value = serde_json::from_slice(&model.body(&request)).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "m1",
                "max_tokens": body["max_tokens"],
                "stream": true,
                "temperature": 0.5,
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "where is W1?"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "order_status", "arguments": "{\"order_id\":\"W1\"}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\":\"shipped\"}"},
                    {"role": "assistant", "content": "Shipped."},
                ],
                "tools": [{"type": "function", "function": {"name": "order_status", "description": "Where an order is.", "parameters": {"type": "object"}}}],
            })
        );
        assert!(body["max_tokens"].as_u64().is_some_and(|n| n > 0));
        // No tools offered: no `tools` key at all (some servers reject an empty list).
        let bare = ModelRequest {
            system: String::new(),
            messages: &messages[..1],
            tools: Vec::new(),
            user_data: None,
        };
        let body: Value = serde_json::from_slice(&model.body(&bare)).unwrap();
        assert!(body.get("tools").is_none(), "{body}");
    }
}
