//! The relay's log output: human-readable text (default) or one JSON object
//! per line (`RELAY_LOG_FORMAT=json`, for a log collector), filtered by
//! `RUST_LOG` (default `info`).
//!
//! No log line may carry personal data: no `sub`, handle, name, address,
//! form content, search words, token or cookie. Log ids of the relay's own
//! making and counts, never what the citizen typed or the provider said
//! about them (docs/deploy.md, "Logs").

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The environment variable choosing the format.
pub const FORMAT_VAR: &str = "RELAY_LOG_FORMAT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// `text` (or unset/empty) or `json`; anything else is an error.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).unwrap_or("") {
            "" | "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "{FORMAT_VAR} must be \"text\" or \"json\", got {other:?}"
            )),
        }
    }

    /// From the environment.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::var(FORMAT_VAR).ok().as_deref())
    }
}

/// A subscriber writing `format` to `writer`, filtered by `filter`.
pub fn subscriber<W>(
    format: Format,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        Format::Text => Box::new(b.finish()),
        Format::Json => Box::new(
            b.json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .finish(),
        ),
    }
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the process' subscriber: to stdout for the server, to stderr
/// for `check-config` (whose stdout is the report).
pub fn init(format: Format, to_stderr: bool) -> anyhow::Result<()> {
    let s = if to_stderr {
        subscriber(format, filter(), std::io::stderr)
    } else {
        subscriber(format, filter(), std::io::stdout)
    };
    tracing::subscriber::set_global_default(s)
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn emit(format: Format) -> String {
        let buf = Buffer::default();
        let out = buf.clone();
        let s = subscriber(format, EnvFilter::new("info"), move || out.clone());
        tracing::subscriber::with_default(s, || {
            tracing::info!(services = 3, "catalogue read from PVOG");
            tracing::debug!("filtered out");
        });
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn json_is_one_object_per_line() {
        let text = emit(Format::Json);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["message"], "catalogue read from PVOG");
        assert_eq!(v["services"], 3);
        assert!(v["timestamp"].is_string(), "{v}");
        let plain = emit(Format::Text);
        assert!(plain.contains("catalogue read from PVOG") && !plain.starts_with('{'));
    }

    #[test]
    fn the_format_is_text_or_json() {
        assert_eq!(Format::parse(None), Ok(Format::Text));
        assert_eq!(Format::parse(Some(" json ")), Ok(Format::Json));
        assert_eq!(Format::parse(Some("text")), Ok(Format::Text));
        assert!(Format::parse(Some("JSON-ish")).is_err());
    }
}
