//! Tasks end to end with the offline engine and real HTTP to the shop: all slots at once,
//! corrections, "no" at the confirmation, cancelling, switching, invalid answers, a
//! non-pending order, an anonymous customer; then a model-driven task with a scripted model
//! whose write attempts the engine refuses; then durability across processes.

use serde_json::json;
use switchboard_core::agent::{Agent, Conversation, Quiet, TurnEvent};
use switchboard_core::identity::{Identity, VerifiedEmail};

use crate::support::*;

fn alice() -> Identity {
    Identity::Verified {
        email: VerifiedEmail::new("alice@example.com").unwrap(),
        customer_id: None,
    }
}

/// Plays the customer's messages; returns the replies and every event.
async fn play(
    agent: &Agent,
    conversation: &mut Conversation,
    messages: &[&str],
) -> (Vec<String>, Vec<TurnEvent>) {
    let mut replies = Vec::new();
    let mut events = Vec::new();
    for m in messages {
        let output = agent.turn(conversation, m, &Quiet).await;
        replies.push(output.reply);
        events.extend(output.events);
    }
    (replies, events)
}

fn writes(shop: &shop_demo::ShopHandle) -> Vec<shop_demo::ReceivedRequest> {
    shop.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path != "/api/user-data")
        .collect()
}

fn finished(events: &[TurnEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::TaskFinished { task, outcome } => Some(format!("{task}:{outcome}")),
            _ => None,
        })
        .collect()
}

async fn offline_shop() -> (shop_demo::ShopHandle, Agent) {
    let shop = shop().await;
    let agent = offline(config(&shop_yaml(), &vars(&shop.url(), &[])));
    (shop, agent)
}

#[tokio::test]
async fn all_slots_in_the_first_message_then_yes_cancels_exactly_once() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t1", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &["Please cancel order W1000002, I ordered by mistake", "yes"],
    )
    .await;
    assert_eq!(
        replies[0],
        "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
    );
    assert_eq!(
        replies[1],
        "Done — order W1000002 is cancelled. You'll get a confirmation email shortly.\nIs there anything else I can help with?"
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));
    let posts = writes(&shop);
    assert_eq!(posts.len(), 1);
    assert!(posts[0].headers["idempotency-key"].starts_with("sb-"));
    assert_eq!(shop.effective_writes(), 1);
    assert_eq!(finished(&events), ["cancel_order:done"]);
    assert!(conversation.task.is_none());
    // The data changed: user data is fetched again on the next turn.
    let (_, events) = play(&agent, &mut conversation, &["thanks"]).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::UserData { .. }))
    );
}

#[tokio::test]
async fn a_correction_mid_task_changes_the_order_and_needs_a_new_confirmation() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t2", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "cancel order W1000003",
            "ordered by mistake",
            "actually it's W1000002",
            "yes",
        ],
    )
    .await;
    assert_eq!(
        replies[1],
        "Cancel order W1000003 (Phone case) because \"ordered by mistake\"?"
    );
    assert_eq!(
        replies[2],
        "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::TaskCorrected { slots, .. } if slots == &["order_id"]))
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));
    assert_eq!(shop.order_status("W1000003").as_deref(), Some("pending"));
    assert_eq!(writes(&shop).len(), 1);
}

#[tokio::test]
async fn no_at_the_confirmation_writes_nothing() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t3", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "cancel my order W1000002",
            "no longer needed",
            "maybe",
            "no",
        ],
    )
    .await;
    assert_eq!(
        replies[2],
        "Please answer yes or no. Cancel order W1000002 (Desk lamp) because \"no longer needed\"?"
    );
    assert_eq!(
        replies[3],
        "OK, I haven't changed anything. Is there anything else I can help with?"
    );
    assert_eq!(finished(&events), ["cancel_order:declined"]);
    assert!(writes(&shop).is_empty());
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("pending"));
}

/// The replies that once sent the cancellation in the demo: none of them may write, in any
/// of the five languages; each is answered by restating the action or by "nothing changed".
#[tokio::test]
async fn refusals_questions_and_hedges_at_the_confirmation_never_write() {
    let (shop, agent) = offline_shop().await;
    for (i, reply) in [
        "absolutely not",
        "not correct",
        "that's not right",
        "I'm not sure",
        "is that right?",
        "are you sure?",
        "I never said yes",
        "I won't confirm anything.",
        "I can't confirm that.",
        "yes but first tell me when the refund arrives",
        "quite",
        "nein, lieber nicht",
        "oui, si c'est possible",
        "si puedes hacerlo mañana",
        "ja maar eerst wil ik de prijs weten",
    ]
    .into_iter()
    .enumerate()
    {
        let mut conversation = Conversation::new(format!("refuse{i}"), alice());
        let (replies, _) = play(
            &agent,
            &mut conversation,
            &["Please cancel order W1000002, I ordered by mistake", reply],
        )
        .await;
        assert_eq!(
            replies[0],
            "Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
        );
        assert!(
            !replies[1].contains("is cancelled"),
            "{reply:?} got {:?}",
            replies[1]
        );
    }
    assert!(writes(&shop).is_empty());
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("pending"));
}

#[tokio::test]
async fn no_then_actually_yes_writes_once_and_two_unclear_answers_offer_a_person() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("noyes", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "Please cancel order W1000002, I ordered by mistake",
            "No, hold on.",
            "Actually, yes, go ahead.",
            "yes",
        ],
    )
    .await;
    assert_eq!(
        replies[1],
        "OK, I haven't changed anything. Is there anything else I can help with?"
    );
    // A yes after "anything else?" could answer that: the exact question comes again, and
    // nothing is written before a yes to it.
    assert_eq!(
        replies[2],
        "Just to be sure: Cancel order W1000002 (Desk lamp) because \"ordered by mistake\"?"
    );
    assert!(
        replies[3].starts_with("Done — order W1000002 is cancelled"),
        "{}",
        replies[3]
    );
    assert_eq!(
        finished(&events),
        ["cancel_order:declined", "cancel_order:done"]
    );
    assert_eq!(writes(&shop).len(), 1);

    // A no followed by anything but a yes forgets the proposal.
    let mut conversation = Conversation::new("noother", alice());
    let (replies, _) = play(
        &agent,
        &mut conversation,
        &[
            "Please cancel order W1000003, I ordered by mistake",
            "no",
            "what's my plan?",
            "yes",
        ],
    )
    .await;
    assert!(!replies[3].contains("is cancelled"), "{}", replies[3]);
    assert_eq!(shop.order_status("W1000003").as_deref(), Some("pending"));

    let mut conversation = Conversation::new("unclear", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "Please cancel order W1000003, I ordered by mistake",
            "hmm",
            "I guess",
            "can I talk to a person?",
        ],
    )
    .await;
    assert!(replies[1].starts_with("Please answer yes or no. Cancel order W1000003"));
    assert!(replies[2].contains("ask for a person"), "{}", replies[2]);
    assert!(
        replies[2].ends_with("Cancel order W1000003 (Phone case) because \"ordered by mistake\"?")
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::HandedOff { .. }))
    );
    assert_eq!(writes(&shop).len(), 1);
}

#[tokio::test]
async fn the_engine_answers_in_the_customers_language() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("de", alice());
    let (replies, _) = play(
        &agent,
        &mut conversation,
        &[
            "Bitte stornieren Sie meine Bestellung W1000002, ordered by mistake",
            "nein danke",
        ],
    )
    .await;
    assert_eq!(
        replies[1],
        "In Ordnung, ich habe nichts geändert. Kann ich sonst noch helfen?"
    );
    assert!(writes(&shop).is_empty());
}

#[tokio::test]
async fn never_mind_cancels_the_task() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t4", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &["I want to cancel an order", "W1000002", "never mind"],
    )
    .await;
    assert_eq!(
        replies[0],
        "Which order would you like to cancel? (It looks like W1234567.)"
    );
    assert_eq!(
        replies[2],
        "OK, I've stopped that. Is there anything else I can help with?"
    );
    assert_eq!(finished(&events), ["cancel_order:cancelled"]);
    assert!(writes(&shop).is_empty());
}

#[tokio::test]
async fn switching_to_another_task_leaves_the_first_without_any_write() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t5", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "cancel my order W1000002",
            "actually, I'd like to book a demo instead",
            "alice@work.example",
            "2026-12-03",
            "yes",
        ],
    )
    .await;
    // Alice's name comes from her user data; the engine asks only for what it lacks.
    assert_eq!(replies[1], "What's your work email?");
    assert_eq!(
        replies[3],
        "Book a demo for Alice Martin (alice@work.example) on 2026-12-03?"
    );
    assert!(
        replies[4].starts_with("You're booked — meeting M100 on 2026-12-03"),
        "{}",
        replies[4]
    );
    assert_eq!(
        finished(&events),
        ["cancel_order:switched", "book_demo:done"]
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("pending"));
    assert_eq!(
        shop.meetings(),
        [
            json!({"meeting_id": "M100", "name": "Alice Martin", "email": "alice@work.example", "date": "2026-12-03"})
        ]
    );
}

#[tokio::test]
async fn invalid_answers_are_asked_again_with_the_reason() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t6", Identity::Anonymous);
    let (replies, _) = play(
        &agent,
        &mut conversation,
        &[
            "I'd like a product demo",
            "Ana Lima",
            "ana at globex",
            "ana@globex.example",
            "next tuesday",
            "2026-02-30",
            "2026-12-03",
            "yes",
        ],
    )
    .await;
    assert_eq!(replies[0], "What's your name?");
    assert_eq!(
        replies[2],
        "That doesn't look like an email address. What's your work email?"
    );
    assert_eq!(
        replies[4],
        "Please give the date with the month's name or as YYYY-MM-DD, for example 3 December 2026. Which date would suit you? (YYYY-MM-DD)"
    );
    assert_eq!(replies[5], replies[4], "an impossible date is invalid too");
    assert_eq!(
        replies[6],
        "Book a demo for Ana Lima (ana@globex.example) on 2026-12-03?"
    );
    assert_eq!(shop.meetings().len(), 1);

    let mut conversation = Conversation::new("t6b", alice());
    let (replies, _) = play(
        &agent,
        &mut conversation,
        &["cancel my order", "the blue one"],
    )
    .await;
    assert_eq!(
        replies[1],
        "That doesn't look like an order number. Which order would you like to cancel? (It looks like W1234567.)"
    );
}

#[tokio::test]
async fn a_non_pending_order_is_refused_without_any_write() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t7", alice());
    let (replies, events) = play(&agent, &mut conversation, &["cancel my order W1000001"]).await;
    assert_eq!(
        replies[0],
        "Order W1000001 is shipped, so it can't be cancelled any more.\nIs there anything else I can help with?"
    );
    assert_eq!(finished(&events), ["cancel_order:done"]);
    assert!(writes(&shop).is_empty());
    // Someone else's order is not found at all.
    let (replies, _) = play(&agent, &mut conversation, &["cancel order W2000001"]).await;
    assert_eq!(
        replies[0],
        "I couldn't find order W2000001 on your account.\nIs there anything else I can help with?"
    );
    assert!(writes(&shop).is_empty());
}

#[tokio::test]
async fn an_anonymous_customer_is_refused_the_verified_task() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("t8", Identity::Anonymous);
    let (replies, events) = play(&agent, &mut conversation, &["cancel my order W1000002"]).await;
    assert!(
        replies[0].starts_with("I can only help with that once we know it's you"),
        "{}",
        replies[0]
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::TaskRefused { task, .. } if task == "cancel_order"))
    );
    assert!(conversation.task.is_none());
    assert!(shop.requests().is_empty(), "nothing reached the shop");
}

const GUIDED_TASK: &str = "  - name: guided_cancel
    description: Cancel an order, guided by the model.
    access: verified
    instructions:
      - Look the order up with {{my_order}}.
      - If it is pending, cancel it with {{submit_cancellation}}; otherwise {{handover}}.
";

#[tokio::test]
async fn the_engine_refuses_unconfirmed_changed_and_out_of_task_writes_from_the_model() {
    let shop = shop().await;
    let yaml = format!("{}{GUIDED_TASK}", shop_yaml());
    let config = config(&yaml, &vars(&shop.url(), &[]));
    let cancel = |order: &str| json!({"order_id": order, "reason": "other"});
    let model = ScriptedModel::new(vec![
        // Turn 1: starts the task and cancels at once, before any confirmation.
        call("start_task", json!({"task": "guided_cancel"})),
        call("submit_cancellation", cancel("W1000002")),
        // Turn 2 ("yes" to W1000002): cancels a different order instead.
        call("submit_cancellation", cancel("W1000003")),
        // Turn 3 ("no"): gives up on that.
        say("OK, I won't."),
        // Turn 4: asks again for W1000002, trying to act for Bob.
        call(
            "submit_cancellation",
            json!({"order_id": "W1000002", "reason": "other", "email": "bob@example.com"}),
        ),
        // Turn 5 ("yes"): the confirmed inputs; Bob's email is still ignored.
        call(
            "submit_cancellation",
            json!({"order_id": "W1000002", "reason": "other", "email": "bob@example.com"}),
        ),
        call("finish_task", json!({"outcome": "done"})),
        say("Order W1000002 is cancelled."),
        // Turn 6: outside any task.
        call("submit_cancellation", cancel("W1000003")),
        say("I can't do that."),
    ]);
    let agent = agent(config, model.clone());
    let mut conversation = Conversation::new("g1", alice());
    let (replies, events) = play(&agent, &mut conversation, &["cancel W1000002 for me"]).await;
    assert_eq!(
        replies[0],
        "Just to confirm: Cancel a pending order of the verified customer with order id W1000002, reason other. Shall I go ahead?"
    );
    assert!(
        writes(&shop).is_empty(),
        "nothing before the customer confirms"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::TaskStarted { task, .. } if task == "guided_cancel"))
    );
    // The model now sees the task's tools, writes included; never outside a task.
    assert!(model.offered.lock().unwrap()[1].contains(&"submit_cancellation".to_string()));
    assert!(!model.offered.lock().unwrap()[0].contains(&"submit_cancellation".to_string()));

    let (replies, _) = play(&agent, &mut conversation, &["yes"]).await;
    assert!(
        replies[0].contains("order id W1000003"),
        "a changed input needs a new confirmation: {}",
        replies[0]
    );
    assert!(writes(&shop).is_empty());

    let (replies, _) = play(&agent, &mut conversation, &["no"]).await;
    assert_eq!(replies[0], "OK, I won't.");

    let (replies, events) = play(&agent, &mut conversation, &["go ahead with W1000002 then"]).await;
    assert!(
        replies[0].starts_with("Just to confirm"),
        "an earlier yes does not carry over: {}",
        replies[0]
    );
    assert!(writes(&shop).is_empty());
    let ignored = events.iter().find_map(|e| match e {
        TurnEvent::ToolCallFinished { ignored_inputs, .. } => Some(ignored_inputs.clone()),
        _ => None,
    });
    assert_eq!(
        ignored,
        Some(vec!["email".to_string()]),
        "the model cannot set the bound email"
    );

    let (replies, events) = play(&agent, &mut conversation, &["yes"]).await;
    assert_eq!(replies[0], "Order W1000002 is cancelled.");
    let posts = writes(&shop);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/api/orders/W1000002/cancel");
    let sent = events
        .iter()
        .find_map(|e| match e {
            TurnEvent::ToolCallFinished {
                status,
                request: Some(r),
                ..
            } if status == "ok" => Some(r.body.clone()),
            _ => None,
        })
        .flatten()
        .unwrap();
    assert_eq!(
        sent,
        json!({"email": "alice@example.com", "reason": "other"})
    );
    assert_eq!(shop.order_status("W1000002").as_deref(), Some("cancelled"));

    let (replies, events) = play(&agent, &mut conversation, &["and cancel W1000003 too"]).await;
    assert_eq!(replies[0], "I can't do that.");
    let refused = events.iter().find_map(|e| match e {
        TurnEvent::ToolCallFinished { status, error, .. } if status == "refused" => error.clone(),
        _ => None,
    });
    assert!(refused.unwrap().contains("runs only inside a task"));
    assert_eq!(writes(&shop).len(), 1, "no write outside a task");
    assert_eq!(shop.order_status("W1000003").as_deref(), Some("pending"));
}

#[tokio::test]
async fn a_write_the_model_proposes_again_after_a_500_goes_out_with_the_same_key() {
    let shop = shop().await;
    let yaml = format!("{}{GUIDED_TASK}", shop_yaml());
    let config = config(&yaml, &vars(&shop.url(), &[]));
    let cancel = json!({"order_id": "W1000002", "reason": "other"});
    let model = ScriptedModel::new(vec![
        call("start_task", json!({"task": "guided_cancel"})),
        call("submit_cancellation", cancel.clone()),
        // "yes": the write goes out; the shop applies it and answers 500.
        call("submit_cancellation", cancel.clone()),
        say("That failed; shall I try again?"),
        // "yes, try again": the model proposes the same write again.
        call("submit_cancellation", cancel.clone()),
        // "yes": confirmed again, sent again.
        call("submit_cancellation", cancel.clone()),
        say("Done."),
    ]);
    let agent = agent(config, model);
    let mut conversation = Conversation::new("g-retry", alice());
    play(&agent, &mut conversation, &["cancel W1000002 for me"]).await;
    shop.fail_next_write_after_applying();
    play(&agent, &mut conversation, &["yes"]).await;
    let (replies, _) = play(&agent, &mut conversation, &["yes, try again"]).await;
    assert!(replies[0].starts_with("Just to confirm"), "{}", replies[0]);
    play(&agent, &mut conversation, &["yes"]).await;
    let posts = writes(&shop);
    assert_eq!(posts.len(), 2, "sent, then re-sent");
    assert_eq!(
        posts[0].headers["idempotency-key"], posts[1].headers["idempotency-key"],
        "one logical write, one key"
    );
    assert_eq!(shop.effective_writes(), 1, "applied once");
}

#[tokio::test]
async fn with_a_model_the_engine_asks_it_to_read_unclear_answers_and_validates_its_proposals() {
    let shop = shop().await;
    let model = ScriptedModel::new(vec![
        call("start_task", json!({"task": "cancel_order"})),
        call("fill_slots", json!({"order_id": "lamp"})),
        call("fill_slots", json!({"order_id": "W1000002"})),
        call("fill_slots", json!({"reason": "no longer needed"})),
        call("start_task", json!({"task": "cancel_order"})),
        call("switch_task", json!({"task": "book_demo"})),
    ]);
    let agent = agent(config(&shop_yaml(), &vars(&shop.url(), &[])), model.clone());
    let mut conversation = Conversation::new("m1", alice());
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "I need to cancel the lamp order",
            "it's the lamp one",
            "the desk lamp from the 25th",
            "I just don't want it anymore",
        ],
    )
    .await;
    assert_eq!(
        replies[0],
        "Which order would you like to cancel? (It looks like W1234567.)"
    );
    assert_eq!(
        replies[1],
        "That doesn't look like an order number. Which order would you like to cancel? (It looks like W1234567.)",
        "the model's invalid value is refused"
    );
    assert_eq!(
        replies[2],
        "Why are you cancelling: no longer needed, ordered by mistake, found a better price, or other?"
    );
    assert_eq!(
        replies[3],
        "Cancel order W1000002 (Desk lamp) because \"no longer needed\"?"
    );
    // The confirmation itself is never left to the model.
    let calls_before = model.offered.lock().unwrap().len();
    let (replies, _) = play(&agent, &mut conversation, &["yes"]).await;
    assert_eq!(model.offered.lock().unwrap().len(), calls_before);
    assert!(replies[0].starts_with("Done — order W1000002 is cancelled"));
    assert_eq!(finished(&events), Vec::<String>::new());
    // The focused choices: slots of this task, cancel, hand off, switch.
    assert_eq!(
        model.offered.lock().unwrap()[1],
        ["fill_slots", "cancel_task", "handoff", "switch_task"]
    );

    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "cancel my order",
            "honestly, I'd rather have someone show me the software",
        ],
    )
    .await;
    assert_eq!(replies[1], "What's your work email?");
    assert_eq!(finished(&events), ["cancel_order:switched"]);
}

#[tokio::test]
async fn a_failing_write_follows_on_error_handoff_and_the_agent_stops_answering() {
    let shop = shop().await;
    // The meetings API is down (nothing listens on port 9).
    let yaml = shop_yaml().replace(
        "url: ${SHOP_URL}/api/meetings",
        "url: http://127.0.0.1:9/api/meetings",
    );
    let agent = offline(config(&yaml, &vars(&shop.url(), &[])));
    let mut conversation = Conversation::new("h1", Identity::Anonymous);
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &[
            "book a demo",
            "Ana Lima",
            "ana@globex.example",
            "2026-12-03",
            "yes",
            "hello?",
        ],
    )
    .await;
    assert_eq!(
        replies[4],
        "I'm handing this over to a person from our team, who will reply here."
    );
    assert_eq!(
        replies[5],
        "A person from our team has this conversation now and will reply here."
    );
    let summary = events.iter().find_map(|e| match e {
        TurnEvent::HandedOff { summary } => Some(summary.clone()),
        _ => None,
    });
    assert!(summary.unwrap().contains("calling `create_meeting` failed"));
    assert_eq!(finished(&events), ["book_demo:handed_off"]);
    assert!(conversation.handoff.is_some());
}

#[tokio::test]
async fn a_public_task_raises_the_identity_through_an_identifying_lookup() {
    let (shop, agent) = offline_shop().await;
    let mut conversation = Conversation::new("l1", Identity::Anonymous);
    let (replies, events) = play(
        &agent,
        &mut conversation,
        &["list my orders please", "bob@example.com", "94105"],
    )
    .await;
    assert_eq!(
        replies[0],
        "To find your account, please give me your email address and ZIP code."
    );
    assert_eq!(replies[1], "Could you also give me your ZIP code?");
    assert_eq!(
        replies[2],
        "Thanks, I've found your account.\nW2000001: delivered\nIs there anything else I can help with?"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::IdentityChanged { .. }))
    );
    assert_eq!(conversation.identity.customer_id(), Some("C1002"));
    // Everything in the first message, in a sentence.
    let mut front = Conversation::new("l3", Identity::Anonymous);
    let (replies, _) = play(
        &agent,
        &mut front,
        &["Hi, I'm bob@example.com, zip code 94105 - can you list my orders?"],
    )
    .await;
    assert!(replies[0].contains("W2000001: delivered"), "{}", replies[0]);
    // Wrong knowledge factors identify nobody (the reply does not say which detail was
    // wrong), the identified-only call never runs, and the third failure reaches a person.
    let mut stranger = Conversation::new("l2", Identity::Anonymous);
    let (replies, events) = play(
        &agent,
        &mut stranger,
        &[
            "list my orders please",
            "bob@example.com, 10001",
            "bob@example.com 10002",
            "it's bob@example.com and 10003",
        ],
    )
    .await;
    assert_eq!(
        replies[1],
        "Those details didn't match an account. Please check them and try again. To find your account, please give me your email address and ZIP code."
    );
    assert!(
        replies[3].contains("passing you to a person"),
        "{}",
        replies[3]
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TurnEvent::HandedOff { .. }))
    );
    assert_eq!(stranger.identity, Identity::Anonymous);
    let listings = shop
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/orders"))
        .count();
    assert_eq!(listings, 2, "only the identified customers' listings ran");
}

#[tokio::test]
async fn a_write_whose_outcome_is_unknown_keeps_its_key_when_the_customer_asks_again() {
    // A task whose failed call says so and ends (the default `on_error`), so the customer can
    // ask again: a new run, the same logical write.
    let yaml = shop_yaml().replace(
        "          save: meeting\n          on_error: handoff\n",
        "          save: meeting\n",
    );
    assert_ne!(yaml, shop_yaml(), "the demo booking step changed shape");
    let shop = shop().await;
    let agent = offline(config(&yaml, &vars(&shop.url(), &[])));
    let mut conversation = Conversation::new("t-unknown", alice());
    let booking = [
        "I'd like to book a demo",
        "Dana Reyes",
        "dana@example.com",
        "2027-03-04",
    ];
    play(&agent, &mut conversation, &booking).await;
    // The shop books the meeting and answers 500: the outcome is unknown to the engine.
    shop.fail_next_write_after_applying();
    let (replies, _) = play(&agent, &mut conversation, &["yes"]).await;
    assert!(!replies[0].contains("You're booked"), "{}", replies[0]);
    let (replies, _) = play(&agent, &mut conversation, &booking).await;
    let (confirmed, _) = play(&agent, &mut conversation, &["yes"]).await;
    let posts = writes(&shop);
    assert_eq!(
        posts.len(),
        2,
        "sent, then sent again: {replies:?} {confirmed:?}"
    );
    assert_eq!(
        posts[0].headers["idempotency-key"], posts[1].headers["idempotency-key"],
        "a write that may have been made is never sent under another key"
    );
    assert_eq!(shop.meetings().len(), 1, "booked once");
    assert!(confirmed[0].contains("You're booked"), "{}", confirmed[0]);
}

#[tokio::test]
async fn without_key_support_a_write_whose_outcome_is_unknown_is_handed_off_when_asked_again() {
    let yaml = shop_yaml()
        .replace(
            "          save: meeting\n          on_error: handoff\n",
            "          save: meeting\n",
        )
        .replace(
            "  - name: create_meeting\n",
            "  - name: create_meeting\n    idempotency_keys: false\n",
        );
    let shop = shop().await;
    let agent = offline(config(&yaml, &vars(&shop.url(), &[])));
    let mut conversation = Conversation::new("t-unknown-nokeys", alice());
    let booking = [
        "I'd like to book a demo",
        "Dana Reyes",
        "dana@example.com",
        "2027-03-04",
    ];
    play(&agent, &mut conversation, &booking).await;
    shop.fail_next_write_after_applying();
    play(&agent, &mut conversation, &["yes"]).await;
    play(&agent, &mut conversation, &booking).await;
    let (replies, _) = play(&agent, &mut conversation, &["yes"]).await;
    assert_eq!(writes(&shop).len(), 1, "never sent again: {replies:?}");
    assert_eq!(shop.meetings().len(), 1);
    assert!(
        conversation.handoff.is_some(),
        "a person checks: {replies:?}"
    );
}
