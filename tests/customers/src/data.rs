//! The τ²-retail data (db.json, tasks.json, expected.json) and what a customer of a task knows:
//! who they are, and the requests the task's successful gold writes make, described the way the
//! customer's own records describe them (item names and options, payment method descriptions,
//! addresses).

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value};
use std::path::Path;

pub const WRITE_TOOLS: [&str; 7] = [
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_user_address",
    "modify_pending_order_payment",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
    "modify_pending_order_items",
];

pub struct Data {
    pub db: Value,
    pub tasks: Vec<Value>,
    pub expected: Map<String, Value>,
}

impl Data {
    pub fn load(dir: &Path) -> Result<Data> {
        let read = |name: &str| -> Result<Value> {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
        };
        let db = read("db.json")?;
        let tasks = match read("tasks.json")? {
            Value::Array(a) => a,
            _ => bail!("tasks.json is not an array"),
        };
        let expected = match read("expected.json")? {
            Value::Object(m) => m,
            _ => bail!("expected.json is not an object"),
        };
        Ok(Data {
            db,
            tasks,
            expected,
        })
    }

    pub fn user(&self, id: &str) -> Option<&Value> {
        self.db["users"].get(id)
    }

    pub fn order(&self, id: &str) -> Option<&Value> {
        self.db["orders"].get(id)
    }

    /// Sorted user ids.
    pub fn user_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.db["users"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    pub fn person(&self, user_id: &str, knows_email: bool) -> Result<Person> {
        let u = self
            .user(user_id)
            .ok_or_else(|| anyhow!("no user {user_id}"))?;
        Ok(Person {
            first: s(&u["name"]["first_name"]),
            last: s(&u["name"]["last_name"]),
            zip: s(&u["address"]["zip"]),
            email: s(&u["email"]),
            knows_email,
        })
    }

    pub fn pm(&self, user_id: &str, pm_id: &str, order: Option<&Value>) -> Result<Pm> {
        let p = &self.db["users"][user_id]["payment_methods"][pm_id];
        if p.is_null() {
            bail!("user {user_id} has no payment method {pm_id}");
        }
        let kind = match p["source"].as_str() {
            Some("credit_card") => PmKind::CreditCard {
                brand: s(&p["brand"]),
                last4: s(&p["last_four"]),
            },
            Some("gift_card") => PmKind::GiftCard,
            Some("paypal") => PmKind::Paypal,
            other => bail!("unknown payment source {other:?}"),
        };
        let original = order
            .and_then(|o| o["payment_history"].as_array())
            .and_then(|h| h.first())
            .map(|p| p["payment_method_id"] == pm_id)
            .unwrap_or(false);
        Ok(Pm {
            id: pm_id.to_string(),
            kind,
            original,
        })
    }

    /// Items of `order` named by `item_ids` (repeats allowed), grouped by item id in first-seen order.
    pub fn item_groups(&self, order: &Value, item_ids: &[String]) -> Result<Vec<ItemGroup>> {
        let items = order["items"].as_array().cloned().unwrap_or_default();
        let mut groups: Vec<ItemGroup> = Vec::new();
        for id in item_ids {
            if let Some(g) = groups.iter_mut().find(|g| &g.item_id == id) {
                g.count += 1;
                continue;
            }
            let item = items
                .iter()
                .find(|i| i["item_id"] == id.as_str())
                .ok_or_else(|| anyhow!("item {id} not in order {}", order["order_id"]))?;
            let name = s(&item["name"]);
            groups.push(ItemGroup {
                name: name.clone(),
                item_id: id.clone(),
                count: 1,
                units_named: items.iter().filter(|i| i["name"] == name.as_str()).count(),
                qualifier: qualifier(item, &items),
            });
        }
        Ok(groups)
    }

    pub fn changes(
        &self,
        order: &Value,
        item_ids: &[String],
        new_ids: &[String],
    ) -> Result<Vec<Change>> {
        let items = order["items"].as_array().cloned().unwrap_or_default();
        let mut out = Vec::new();
        for (k, (old, new)) in item_ids.iter().zip(new_ids).enumerate() {
            let item = items
                .iter()
                .find(|i| i["item_id"] == old.as_str())
                .ok_or_else(|| anyhow!("item {old} not in order"))?;
            let product = &self.db["products"][s(&item["product_id"])];
            let variant = &product["variants"][new.as_str()];
            if variant.is_null() {
                bail!("no variant {new} of product {}", item["product_id"]);
            }
            let old_opts = item["options"].as_object().cloned().unwrap_or_default();
            let new_opts = variant["options"].as_object().cloned().unwrap_or_default();
            let changed = new_opts
                .iter()
                .filter(|(key, v)| old_opts.get(*key) != Some(*v))
                .map(|(key, v)| (key.clone(), s(v)))
                .collect();
            let full = new_opts
                .iter()
                .map(|(key, v)| (key.clone(), s(v)))
                .collect();
            let same_in_list = item_ids.iter().filter(|i| *i == old).count();
            let dup_index =
                (same_in_list > 1).then(|| item_ids[..k].iter().filter(|i| *i == old).count());
            out.push(Change {
                name: s(&item["name"]),
                item_id: old.clone(),
                qualifier: qualifier(item, &items),
                dup_index,
                new_item_id: new.clone(),
                changed,
                full,
            });
        }
        Ok(out)
    }
}

/// Option values that tell `item` apart from other units of the same product name in the order.
fn qualifier(item: &Value, items: &[Value]) -> Vec<(String, String)> {
    let others: Vec<&Value> = items
        .iter()
        .filter(|i| i["name"] == item["name"] && i["item_id"] != item["item_id"])
        .collect();
    if others.is_empty() {
        return Vec::new();
    }
    let opts = item["options"].as_object().cloned().unwrap_or_default();
    let mut q = Vec::new();
    let mut remaining = others;
    for (key, v) in &opts {
        if remaining.is_empty() {
            break;
        }
        let before = remaining.len();
        remaining.retain(|o| o["options"].get(key) == Some(v));
        if remaining.len() < before {
            q.push((key.clone(), s(v)));
        }
    }
    q
}

pub fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Clone, Debug)]
pub struct Person {
    pub first: String,
    pub last: String,
    pub zip: String,
    pub email: String,
    pub knows_email: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Address {
    pub a1: String,
    pub a2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub zip: String,
}

impl Address {
    fn from_args(a: &Value) -> Address {
        Address {
            a1: s(&a["address1"]),
            a2: s(&a["address2"]),
            city: s(&a["city"]),
            state: s(&a["state"]),
            country: s(&a["country"]),
            zip: s(&a["zip"]),
        }
    }
}

#[derive(Clone, Debug)]
pub enum PmKind {
    CreditCard { brand: String, last4: String },
    GiftCard,
    Paypal,
}

#[derive(Clone, Debug)]
pub struct Pm {
    pub id: String,
    pub kind: PmKind,
    /// The order's original payment method (a refund "back where it came from").
    pub original: bool,
}

#[derive(Clone, Debug)]
pub struct ItemGroup {
    pub name: String,
    pub item_id: String,
    /// Units of this item id the customer means.
    pub count: usize,
    /// Units in the order with this product name.
    pub units_named: usize,
    /// Options (key, value) that tell it apart from other items of the same name in the order.
    pub qualifier: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Change {
    pub name: String,
    pub item_id: String,
    pub qualifier: Vec<(String, String)>,
    /// Which of several identical units this is (0, 1, …), when the list repeats the id.
    pub dup_index: Option<usize>,
    pub new_item_id: String,
    /// The new item's option values that differ from the old item's.
    pub changed: Vec<(String, String)>,
    /// All the new item's option values.
    pub full: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    Mistake,
    Unneeded,
}

#[derive(Clone, Debug)]
pub enum Request {
    Cancel {
        order: String,
        reason: Reason,
    },
    OrderAddress {
        order: String,
        addr: Address,
    },
    UserAddress {
        addr: Address,
    },
    Payment {
        order: String,
        pm: Pm,
    },
    Return {
        order: String,
        items: Vec<ItemGroup>,
        pm: Pm,
    },
    Exchange {
        order: String,
        changes: Vec<Change>,
        pm: Pm,
    },
    Modify {
        order: String,
        changes: Vec<Change>,
        pm: Pm,
    },
}

impl Request {
    pub fn order(&self) -> Option<&str> {
        match self {
            Request::Cancel { order, .. }
            | Request::OrderAddress { order, .. }
            | Request::Payment { order, .. }
            | Request::Return { order, .. }
            | Request::Exchange { order, .. }
            | Request::Modify { order, .. } => Some(order),
            Request::UserAddress { .. } => None,
        }
    }

    pub fn tool(&self) -> &'static str {
        match self {
            Request::Cancel { .. } => "cancel_pending_order",
            Request::OrderAddress { .. } => "modify_pending_order_address",
            Request::UserAddress { .. } => "modify_user_address",
            Request::Payment { .. } => "modify_pending_order_payment",
            Request::Return { .. } => "return_delivered_order_items",
            Request::Exchange { .. } => "exchange_delivered_order_items",
            Request::Modify { .. } => "modify_pending_order_items",
        }
    }

    pub fn pm(&self) -> Option<&Pm> {
        match self {
            Request::Payment { pm, .. }
            | Request::Return { pm, .. }
            | Request::Exchange { pm, .. }
            | Request::Modify { pm, .. } => Some(pm),
            _ => None,
        }
    }

    pub fn addr(&self) -> Option<&Address> {
        match self {
            Request::OrderAddress { addr, .. } | Request::UserAddress { addr } => Some(addr),
            _ => None,
        }
    }
}

/// What the customer of a positive task knows.
#[derive(Clone, Debug)]
pub struct Knowledge {
    pub task_id: String,
    pub person: Person,
    pub requests: Vec<Request>,
    /// The customer's other orders (not targets): (id, status).
    pub other_orders: Vec<(String, String)>,
}

impl Knowledge {
    /// The write tools of the task, in order of first appearance.
    pub fn tools(&self) -> Vec<&'static str> {
        let mut t: Vec<&'static str> = Vec::new();
        for r in &self.requests {
            if !t.contains(&r.tool()) {
                t.push(r.tool());
            }
        }
        t
    }
}

/// The customer of task `task`: `None` when the task changes no record (no successful write).
pub fn knowledge(data: &Data, task: &Value) -> Result<Option<Knowledge>> {
    let id = s(&task["id"]);
    let expected = data
        .expected
        .get(&id)
        .ok_or_else(|| anyhow!("no expected records for task {id}"))?;
    let changes_something = ["orders", "users"]
        .iter()
        .any(|t| expected[*t].as_object().is_some_and(|m| !m.is_empty()));
    if !changes_something {
        return Ok(None);
    }
    let failed: Vec<u64> = expected["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["index"].as_u64()).collect())
        .unwrap_or_default();
    let actions = task["actions"].as_array().cloned().unwrap_or_default();
    let writes: Vec<&Value> = actions
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            WRITE_TOOLS.contains(&a["name"].as_str().unwrap_or(""))
                && !failed.contains(&(*i as u64))
        })
        .map(|(_, a)| a)
        .collect();
    // Who: the owner of the first order written to, or the user whose address changes.
    let mut user_id = None;
    for w in &writes {
        let args = &w["arguments"];
        if let Some(o) = args["order_id"].as_str() {
            user_id = data.order(o).map(|o| s(&o["user_id"]));
        } else if let Some(u) = args["user_id"].as_str() {
            user_id = Some(u.to_string());
        }
        if user_id.is_some() {
            break;
        }
    }
    let user_id = user_id.ok_or_else(|| anyhow!("task {id}: no user"))?;
    let known = s(&task["known_info"]);
    let person = data.person(&user_id, known.contains('@'))?;
    let mut requests = Vec::new();
    for w in &writes {
        let args = &w["arguments"];
        let order_id = s(&args["order_id"]);
        let order = data.order(&order_id);
        let list = |k: &str| -> Vec<String> {
            args[k]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default()
        };
        let need_order = || order.ok_or_else(|| anyhow!("task {id}: no order {order_id}"));
        let r = match w["name"].as_str().unwrap_or("") {
            "cancel_pending_order" => Request::Cancel {
                order: order_id.clone(),
                reason: if s(&args["reason"]) == "ordered by mistake" {
                    Reason::Mistake
                } else {
                    Reason::Unneeded
                },
            },
            "modify_pending_order_address" => Request::OrderAddress {
                order: order_id.clone(),
                addr: Address::from_args(args),
            },
            "modify_user_address" => Request::UserAddress {
                addr: Address::from_args(args),
            },
            "modify_pending_order_payment" => Request::Payment {
                order: order_id.clone(),
                pm: data.pm(&user_id, &s(&args["payment_method_id"]), order)?,
            },
            "return_delivered_order_items" => Request::Return {
                order: order_id.clone(),
                items: data.item_groups(need_order()?, &list("item_ids"))?,
                pm: data.pm(&user_id, &s(&args["payment_method_id"]), order)?,
            },
            "exchange_delivered_order_items" => Request::Exchange {
                order: order_id.clone(),
                changes: data.changes(need_order()?, &list("item_ids"), &list("new_item_ids"))?,
                pm: data.pm(&user_id, &s(&args["payment_method_id"]), order)?,
            },
            "modify_pending_order_items" => Request::Modify {
                order: order_id.clone(),
                changes: data.changes(need_order()?, &list("item_ids"), &list("new_item_ids"))?,
                pm: data.pm(&user_id, &s(&args["payment_method_id"]), order)?,
            },
            other => bail!("task {id}: unknown write {other}"),
        };
        requests.push(r);
    }
    let targets: Vec<&str> = requests.iter().filter_map(|r| r.order()).collect();
    let other_orders = data.db["users"][&user_id]["orders"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(s)
                .filter(|o| !targets.contains(&o.as_str()))
                .map(|o| {
                    let st = data.order(&o).map(|x| s(&x["status"])).unwrap_or_default();
                    (o, st)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Knowledge {
        task_id: id,
        person,
        requests,
        other_orders,
    }))
}
