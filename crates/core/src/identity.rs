//! Who the customer is, as far as the engine knows. Only the engine raises the level: the
//! channel verifies (verified), an identifying lookup's response identifies (identified).
//! Nothing the model says or the customer claims changes it.

use serde::{Deserialize, Serialize};

use crate::config::Access;

/// An email address the channel has proven belongs to the customer. Built only by channels
/// (the CLI's `--email`, a verified HMAC/JWT, a trusted channel key). It deserializes only
/// from the engine's own store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VerifiedEmail(String);

impl VerifiedEmail {
    /// Accepts a syntactically valid email that a channel has verified.
    pub fn new(email: &str) -> Result<Self, InvalidEmail> {
        let email = email.trim();
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.len() <= 254;
        if valid {
            Ok(Self(email.to_string()))
        } else {
            Err(InvalidEmail)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Returned for a string that is not an email address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid email address")]
pub struct InvalidEmail;

/// The customer's identity in one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "lowercase")]
pub enum Identity {
    /// Nothing is known.
    #[default]
    Anonymous,
    /// An identifying lookup matched the customer's knowledge factors.
    Identified {
        /// The id from the lookup's response.
        customer_id: String,
        /// The email from the lookup's response, if it returned one.
        email: Option<String>,
    },
    /// The channel proved the customer's email.
    Verified {
        /// The proven email.
        email: VerifiedEmail,
        /// The customer id, once an identifying lookup for the same email returned it.
        customer_id: Option<String>,
    },
}

/// Outcome of trying to record a customer from an identifying lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentifyOutcome {
    /// The conversation is now bound to this customer.
    Identified,
    /// The lookup found the customer the conversation is already bound to.
    Unchanged,
    /// The lookup found someone else; the conversation keeps its customer.
    Refused,
}

impl Identity {
    /// The access level this identity grants.
    pub fn level(&self) -> Access {
        match self {
            Self::Anonymous => Access::Public,
            Self::Identified { .. } => Access::Identified,
            Self::Verified { .. } => Access::Verified,
        }
    }

    /// Whether this identity may use something with the given access level.
    pub fn allows(&self, access: Access) -> bool {
        self.level() >= access
    }

    /// The customer's email, if known.
    pub fn email(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Identified { email, .. } => email.as_deref(),
            Self::Verified { email, .. } => Some(email.as_str()),
        }
    }

    /// The customer's id, if known.
    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Identified { customer_id, .. } => Some(customer_id),
            Self::Verified { customer_id, .. } => customer_id.as_deref(),
        }
    }

    /// The verified email, for the User Data API.
    pub fn verified_email(&self) -> Option<&VerifiedEmail> {
        match self {
            Self::Verified { email, .. } => Some(email),
            _ => None,
        }
    }

    /// Records the customer an identifying lookup returned. One customer per conversation: a
    /// lookup that finds someone else never switches it.
    pub fn record_lookup(&mut self, customer_id: &str, email: Option<&str>) -> IdentifyOutcome {
        let same_email = |known: &str| email.is_some_and(|e| e.eq_ignore_ascii_case(known));
        match self {
            Self::Anonymous => {
                *self = Self::Identified {
                    customer_id: customer_id.to_string(),
                    email: email.map(str::to_string),
                };
                IdentifyOutcome::Identified
            }
            Self::Identified {
                customer_id: known, ..
            } if known == customer_id => IdentifyOutcome::Unchanged,
            Self::Identified { .. } => IdentifyOutcome::Refused,
            Self::Verified {
                email: verified,
                customer_id: known,
            } => match known {
                Some(known) if known == customer_id => IdentifyOutcome::Unchanged,
                None if same_email(verified.as_str()) => {
                    *known = Some(customer_id.to_string());
                    IdentifyOutcome::Identified
                }
                _ => IdentifyOutcome::Refused,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lookup_never_switches_the_customer() {
        let mut id = Identity::Anonymous;
        assert_eq!(
            id.record_lookup("c1", Some("a@x.io")),
            IdentifyOutcome::Identified
        );
        assert_eq!(
            id.record_lookup("c2", Some("b@x.io")),
            IdentifyOutcome::Refused
        );
        assert_eq!(id.customer_id(), Some("c1"));
        assert_eq!(id.record_lookup("c1", None), IdentifyOutcome::Unchanged);
    }

    #[test]
    fn verified_customers_only_take_their_own_id() {
        let mut id = Identity::Verified {
            email: VerifiedEmail::new("a@x.io").unwrap(),
            customer_id: None,
        };
        assert_eq!(
            id.record_lookup("c2", Some("b@x.io")),
            IdentifyOutcome::Refused
        );
        assert_eq!(
            id.record_lookup("c1", Some("A@x.io")),
            IdentifyOutcome::Identified
        );
        assert_eq!(id.customer_id(), Some("c1"));
        assert!(id.allows(Access::Verified));
    }

    #[test]
    fn emails_are_parsed() {
        assert!(VerifiedEmail::new("alice@example.com").is_ok());
        for bad in ["", "alice", "@x.io", "a@x", "a b@x.io", "a@.io"] {
            assert!(VerifiedEmail::new(bad).is_err(), "{bad}");
        }
    }
}
