//! Logs go to stderr through the config's redactor, so no secret reaches a log line even if a
//! future log statement includes one by mistake.

use std::io::Write;
use std::sync::Arc;

use switchboard_core::secret::Redactor;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

struct RedactingStderr {
    redactor: Arc<Redactor>,
}

struct LineWriter {
    redactor: Arc<Redactor>,
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
        let _ = std::io::stderr().write_all(self.redactor.redact(&text).as_bytes());
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            redactor: self.redactor.clone(),
            buffer: Vec::new(),
        }
    }
}

/// Starts logging at `warn` (or `RUST_LOG`), every line redacted.
pub fn init(redactor: Arc<Redactor>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr { redactor })
        .with_ansi(false)
        .try_init();
}
