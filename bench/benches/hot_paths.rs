//! Micro-benchmarks of the per-turn hot paths: `cargo bench -p switchboard-bench`.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};
use switchboard_core::agent::{Agent, Clock, Conversation};
use switchboard_core::config::Config;
use switchboard_core::identity::Identity;
use switchboard_core::model::{Message, ModelRequest};
use switchboard_core::store::ConversationStore;
use switchboard_core::tool_call::{TrustedContext, prepare_read};

fn main() {
    divan::main();
}

static CONFIG: LazyLock<Arc<Config>> = LazyLock::new(|| {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/shop/switchboard.yaml"
    ))
    .expect("the shop config");
    let vars = BTreeMap::from([
        ("SHOP_URL".to_string(), "http://127.0.0.1:9".to_string()),
        ("SHOP_API_KEY".to_string(), "bench-key-123".to_string()),
        ("SHOP_WIDGET_SECRET".to_string(), "bench-secret".to_string()),
    ]);
    Arc::new(Config::from_yaml("shop.yaml", &text, &vars).expect("a valid config"))
});

fn inputs() -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("order_id".to_string(), json!("W1000001")),
        ("zip".to_string(), json!("10001")),
    ])
}

#[divan::bench]
fn url_template_render(bencher: divan::Bencher) {
    let tool = CONFIG.tool("order_status").expect("the tool").clone();
    let inputs = inputs();
    bencher.bench(|| tool.url.render(divan::black_box(&inputs)).expect("a URL"));
}

#[divan::bench]
fn input_validation_and_binding(bencher: divan::Bencher) {
    let tool = CONFIG.tool("order_status").expect("the tool").clone();
    let arguments = json!({"order_id": "W1000001", "zip": "10001"});
    let identity = Identity::Anonymous;
    bencher.bench(|| {
        let context = TrustedContext {
            identity: &identity,
            conversation_id: "c1",
            user_data: None,
        };
        prepare_read(&tool, divan::black_box(&arguments), context).expect("valid")
    });
}

struct Zero;

impl Clock for Zero {
    fn now_ms(&self) -> u64 {
        0
    }
}

fn agent() -> Agent {
    let config = CONFIG.clone();
    Agent {
        model: Arc::new(switchboard_llm::OfflineEngine::new(config.clone())),
        tools: Arc::new(switchboard_connect::HttpToolRunner::new(config.clone())),
        user_data: Arc::new(switchboard_connect::HttpUserDataSource::new(config.clone())),
        clock: Arc::new(Zero),
        store: Arc::new(switchboard_core::store::MemoryStore::default()),
        config,
    }
}

#[divan::bench]
fn prompt_assembly(bencher: divan::Bencher) {
    let agent = agent();
    let mut conversation = Conversation::new("c1", Identity::Anonymous);
    conversation.messages.push(Message::User {
        content: "Where is my order W1000001? ZIP 10001".into(),
    });
    bencher.bench(|| {
        (
            agent.system_prompt(&conversation),
            agent.offered_tools(&conversation),
        )
    });
}

#[divan::bench]
fn offline_engine_matching(bencher: divan::Bencher) {
    let agent = agent();
    let engine = switchboard_llm::OfflineEngine::new(CONFIG.clone());
    let mut conversation = Conversation::new("c1", Identity::Anonymous);
    conversation.messages.push(Message::User {
        content: "Where is my order W1000001? ZIP 10001".into(),
    });
    let tools = agent.offered_tools(&conversation);
    bencher.bench(|| {
        let request = ModelRequest {
            system: String::new(),
            messages: &conversation.messages,
            tools: tools.clone(),
            user_data: None,
        };
        engine.decide(&request)
    });
}

#[divan::bench]
fn sqlite_save_per_turn(bencher: divan::Bencher) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let path = std::env::temp_dir().join(format!(
        "switchboard-microbench-{}.db",
        uuid::Uuid::new_v4()
    ));
    let store = runtime
        .block_on(switchboard_store::SqliteStore::open(&path))
        .expect("a store");
    let mut conversation = Conversation::new("c1", Identity::Anonymous);
    for i in 0..4 {
        conversation.messages.push(Message::User {
            content: format!("message {i}: where is my order W1000001? ZIP 10001"),
        });
        conversation.messages.push(Message::Assistant {
            content: Some("Order W1000001 is shipped with UPS, expected on 2026-11-29.".into()),
            tool_calls: Vec::new(),
        });
    }
    bencher.bench(|| runtime.block_on(store.save(&conversation)).expect("saved"));
    for suffix in ["", "-wal", "-shm", "-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
