//! Logs go to stderr through a redactor that knows every secret this process holds, so no
//! secret reaches a log line even if a log statement includes one by mistake.
//!
//! The log writer is global to the process, and so is its redactor ([`secrets`]). It only
//! learns: whatever loads a config teaches it the config's secrets (a reload included), and
//! `serve` teaches it the admin key and the database password before anything can log them.

use std::io::Write;
use std::sync::OnceLock;

use switchboard_core::secret::SharedRedactor;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The redactor every log line passes through.
pub fn secrets() -> &'static SharedRedactor {
    static SECRETS: OnceLock<SharedRedactor> = OnceLock::new();
    SECRETS.get_or_init(SharedRedactor::default)
}

struct RedactingStderr;

/// Collects one log line and writes it redacted when the line is done.
struct LineWriter {
    buffer: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let _ = std::io::stderr().write_all(secrets().redact(&text).as_bytes());
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter { buffer: Vec::new() }
    }
}

/// Starts logging at `warn` (or `RUST_LOG`), every line redacted; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr)
        .with_ansi(false)
        .try_init();
}
