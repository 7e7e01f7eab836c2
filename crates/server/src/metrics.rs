//! Prometheus metrics: turns, tool calls by tool and status, user-data fetches by outcome,
//! latency histograms, active conversations, API errors by code.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use switchboard_core::agent::{TurnEvent, TurnOutput};
use switchboard_core::user_data::UserDataOutcome;

/// A conversation counts as active this long after its last turn.
const ACTIVE_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgentLabels {
    agent: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    agent: String,
    tool: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLatencyLabels {
    agent: String,
    tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    agent: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

fn overhead_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.00002, 2.0, 16))
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    turns: Family<AgentLabels, Counter>,
    turn_seconds: Family<AgentLabels, Histogram, fn() -> Histogram>,
    overhead_seconds: Family<AgentLabels, Histogram, fn() -> Histogram>,
    tool_calls: Family<ToolLabels, Counter>,
    tool_seconds: Family<ToolLatencyLabels, Histogram, fn() -> Histogram>,
    user_data: Family<OutcomeLabels, Counter>,
    errors: Family<CodeLabels, Counter>,
    active: Gauge,
    last_turn: Mutex<HashMap<String, Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("switchboard");
        let turns = Family::<AgentLabels, Counter>::default();
        let turn_seconds =
            Family::<AgentLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        let overhead_seconds =
            Family::<AgentLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                overhead_histogram as fn() -> Histogram,
            );
        let tool_calls = Family::<ToolLabels, Counter>::default();
        let tool_seconds =
            Family::<ToolLatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram as fn() -> Histogram,
            );
        let user_data = Family::<OutcomeLabels, Counter>::default();
        let errors = Family::<CodeLabels, Counter>::default();
        let active = Gauge::default();
        registry.register("turns", "Customer turns answered", turns.clone());
        registry.register(
            "turn_duration_seconds",
            "Wall time of a turn, model and APIs included",
            turn_seconds.clone(),
        );
        registry.register(
            "turn_overhead_seconds",
            "Switchboard's own time per turn: the turn minus waiting on the model and the APIs",
            overhead_seconds.clone(),
        );
        registry.register(
            "tool_calls",
            "Tool calls by tool and status (ok, error, refused)",
            tool_calls.clone(),
        );
        registry.register(
            "tool_call_duration_seconds",
            "Wall time of tool calls that reached the API",
            tool_seconds.clone(),
        );
        registry.register(
            "user_data_fetches",
            "User Data API fetches by outcome",
            user_data.clone(),
        );
        registry.register("api_errors", "API error responses by code", errors.clone());
        registry.register(
            "active_conversations",
            "Conversations with a turn in the last 15 minutes",
            active.clone(),
        );
        Self {
            registry,
            turns,
            turn_seconds,
            overhead_seconds,
            tool_calls,
            tool_seconds,
            user_data,
            errors,
            active,
            last_turn: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Records one answered turn. Tool calls are labelled with the tool's name only when the
    /// agent has that tool (`known`); a name a model made up counts as `other`, so no client or
    /// model can grow the label set.
    pub fn turn(
        &self,
        agent: &str,
        known: impl Fn(&str) -> bool,
        conversation: &str,
        output: &TurnOutput,
        elapsed: Duration,
    ) {
        let labels = AgentLabels {
            agent: agent.to_string(),
        };
        self.turns.get_or_create(&labels).inc();
        self.turn_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.overhead_seconds
            .get_or_create(&labels)
            .observe(output.timing.overhead_us() as f64 / 1e6);
        for event in &output.events {
            match event {
                TurnEvent::ToolCallFinished {
                    tool,
                    status,
                    request,
                    ..
                } => {
                    let tool = if known(tool) { tool.as_str() } else { "other" };
                    self.tool_calls
                        .get_or_create(&ToolLabels {
                            agent: agent.to_string(),
                            tool: tool.to_string(),
                            status: status.clone(),
                        })
                        .inc();
                    if let Some(record) = request {
                        self.tool_seconds
                            .get_or_create(&ToolLatencyLabels {
                                agent: agent.to_string(),
                                tool: tool.to_string(),
                            })
                            .observe(record.latency_ms as f64 / 1000.0);
                    }
                }
                TurnEvent::UserData { outcome } => {
                    let outcome = match outcome {
                        UserDataOutcome::Fetched { .. } => "fetched",
                        UserDataOutcome::Failed { .. } => "failed",
                        UserDataOutcome::Skipped { .. } => "skipped",
                    };
                    self.user_data
                        .get_or_create(&OutcomeLabels {
                            agent: agent.to_string(),
                            outcome: outcome.into(),
                        })
                        .inc();
                }
                _ => {}
            }
        }
        let mut last = self.last_turn.lock().expect("metrics lock");
        match last.get_mut(conversation) {
            Some(at) => *at = Instant::now(),
            None => {
                last.insert(conversation.to_string(), Instant::now());
            }
        }
        // Forget idle conversations now and then, even when nobody scrapes /metrics.
        if last.len() >= 1024 && last.len().is_power_of_two() {
            last.retain(|_, at| at.elapsed() < ACTIVE_WINDOW);
        }
    }

    /// Records an error response.
    pub fn error(&self, code: &str) {
        self.errors
            .get_or_create(&CodeLabels {
                code: code.to_string(),
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        {
            let mut last = self.last_turn.lock().expect("metrics lock");
            last.retain(|_, at| at.elapsed() < ACTIVE_WINDOW);
            self.active.set(last.len() as i64);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::agent::TurnTiming;

    use super::*;

    fn finished(tool: &str) -> TurnEvent {
        TurnEvent::ToolCallFinished {
            call_id: "c".into(),
            tool: tool.into(),
            status: "error".into(),
            error: None,
            ignored_inputs: Vec::new(),
            request: None,
        }
    }

    #[test]
    fn made_up_tool_names_do_not_become_labels() {
        let metrics = Metrics::default();
        let mut events: Vec<TurnEvent> = (0..200)
            .map(|i| finished(&format!("invented_{i}")))
            .collect();
        events.push(finished("order_lookup"));
        let output = TurnOutput {
            reply: "ok".into(),
            events,
            timing: TurnTiming::default(),
            saved: true,
        };
        metrics.turn(
            "shop",
            |name| name == "order_lookup",
            "c1",
            &output,
            Duration::from_millis(3),
        );
        let text = metrics.render();
        assert!(!text.contains("invented_"), "{text}");
        assert!(text.contains(r#"tool="order_lookup""#), "{text}");
        assert!(
            text.contains(r#"tool="other",status="error"} 200"#),
            "{text}"
        );
    }
}
