//! Config errors: each names the file, line and column, what is wrong, and how to fix it.

use std::fmt;

use super::located::Position;

/// One problem in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (as given by the caller).
    pub file: String,
    /// Where in the file (0 when the problem has no single place).
    pub at: Position,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n  fix: {}",
            self.file, self.at.line, self.at.column, self.message, self.hint
        )
    }
}

/// Every problem found in a config file (validation does not stop at the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while resolving one file.
pub(crate) struct Problems {
    file: String,
    errors: Vec<ConfigError>,
}

impl Problems {
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_string(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        at: Position,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            at,
            message: message.into(),
            hint: hint.into(),
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
}

/// Turns a YAML/serde error into a config error with a fix hint.
pub(crate) fn from_yaml_error(file: &str, error: &serde_saphyr::Error) -> ConfigError {
    let at = error
        .location()
        .map(|l| Position {
            line: l.line(),
            column: l.column(),
        })
        .unwrap_or_default();
    let full = error.without_snippet().to_string();
    // The library prefixes its own position; ours comes first, so keep only the message.
    let message = full
        .split_once(" at line ")
        .map(|(m, _)| m.to_string())
        .unwrap_or(full)
        .trim()
        .to_string();
    let hint = if message.contains("unknown field") {
        "remove the field or correct its spelling to one of the expected fields; `switchboard schema` prints every field"
    } else if message.contains("missing field") {
        "add the missing field at this level"
    } else if message.contains("unknown variant") {
        "use one of the expected values listed above"
    } else if message.contains("invalid type") {
        "change the value to the expected type"
    } else if message.contains("duplicate") {
        "remove one of the duplicated keys"
    } else {
        "fix the YAML syntax at this position (indentation, quotes, `:` after keys)"
    };
    ConfigError {
        file: file.to_string(),
        at,
        message,
        hint: hint.to_string(),
    }
}
