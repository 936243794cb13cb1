//! OpenTelemetry traces: the OTLP exporter (HTTP/protobuf), configured by the standard
//! `OTEL_*` variables and off unless they ask for it.
//!
//! On when `OTEL_TRACES_EXPORTER=otlp` or an endpoint variable is set
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), unless
//! `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`. The SDK and the exporter read the
//! rest themselves: endpoint, headers and timeout, `OTEL_SERVICE_NAME` and
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_BSP_*`. Off is the default
//! because an exporter with no collector behind it only costs work and logs errors.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Value;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use super::values::{error, ConfigError};

/// The service name when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` names one.
const SERVICE_NAME: &str = "campushub";

/// The running exporter; [`Traces::shutdown`] flushes what is still queued.
#[derive(Debug)]
pub(super) struct Traces {
    provider: SdkTracerProvider,
}

/// Set once an exporter started in this process: the router then puts `traceparent` on
/// responses.
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported from this process.
pub(super) fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

impl Traces {
    /// Starts the exporter when the variables (read through `var`) ask for it.
    pub(super) fn from_env(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        if !enabled(&var)? {
            return Ok(None);
        }
        EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
        // The exporter's reqwest client is built with rustls but without a crypto provider of
        // its own (the `oidc` client brings reqwest's `rustls-no-provider`), and then asks for
        // the process's default: make it ring, the one every TLS client here uses. An
        // application that installed one already keeps it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
            .map_err(|e| {
                error(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    format!("cannot build the OTLP exporter: {e}"),
                )
            })?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource())
            .build();
        Ok(Some(Traces { provider }))
    }

    /// The tracer the `tracing` layer records into.
    pub(super) fn tracer(&self) -> SdkTracer {
        self.provider.tracer("campushub")
    }

    /// Exports what is queued and stops the exporter (at most the exporter's timeout).
    pub(super) fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("campushub: traces not all exported at shutdown: {e}");
        }
    }
}

/// Whether the variables turn export on (see the module documentation); a value the server
/// cannot honour is an error naming its variable.
fn enabled(var: &impl Fn(&str) -> Option<String>) -> Result<bool, ConfigError> {
    let set = |name: &str| {
        var(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    };
    if set("OTEL_SDK_DISABLED").as_deref() == Some("true") {
        return Ok(false);
    }
    let endpoint = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
        || set("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
    let on = match set("OTEL_TRACES_EXPORTER").as_deref() {
        None => endpoint,
        Some("otlp") => true,
        Some("none") => false,
        Some(other) => {
            return Err(error(
                "OTEL_TRACES_EXPORTER",
                format!("`{other}` is not supported: use `otlp` or `none`"),
            ))
        }
    };
    if on {
        for name in [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ] {
            match set(name).as_deref() {
                None | Some("http/protobuf") => {}
                Some(other) => {
                    return Err(error(
                        if name.contains("TRACES") {
                            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
                        } else {
                            "OTEL_EXPORTER_OTLP_PROTOCOL"
                        },
                        format!(
                            "`{other}` is not supported: the server exports over `http/protobuf`"
                        ),
                    ))
                }
            }
        }
    }
    Ok(on)
}

/// The SDK's resource from the environment, named `campushub` unless the environment names it.
fn resource() -> Resource {
    let resource = Resource::builder().build();
    let unnamed = match resource.get(&opentelemetry::Key::from_static_str("service.name")) {
        Some(Value::String(name)) => name.as_str().starts_with("unknown_service"),
        _ => true,
    };
    if unnamed {
        Resource::builder().with_service_name(SERVICE_NAME).build()
    } else {
        resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(vars: &[(&str, &str)]) -> Result<bool, ConfigError> {
        enabled(&|name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn off_unless_an_endpoint_or_the_exporter_asks() {
        assert_eq!(on(&[]).ok(), Some(false));
        assert_eq!(on(&[("OTEL_SERVICE_NAME", "x")]).ok(), Some(false));
        assert_eq!(
            on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).ok(),
            Some(true)
        );
        assert_eq!(
            on(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://c:4318/v1/traces"
            )])
            .ok(),
            Some(true)
        );
        assert_eq!(on(&[("OTEL_TRACES_EXPORTER", "otlp")]).ok(), Some(true));
        assert_eq!(
            on(&[
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")
            ])
            .ok(),
            Some(false)
        );
    }

    #[test]
    fn sdk_disabled_wins() {
        let vars = [
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
        ];
        assert_eq!(on(&vars).ok(), Some(false));
        let vars = [
            ("OTEL_SDK_DISABLED", "false"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
        ];
        assert_eq!(on(&vars).ok(), Some(true));
    }

    #[test]
    fn unsupported_values_name_their_variable() {
        let error = on(&[("OTEL_TRACES_EXPORTER", "zipkin")])
            .err()
            .map(|e| e.variable);
        assert_eq!(error, Some("OTEL_TRACES_EXPORTER"));
        let vars = [
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ];
        assert_eq!(
            on(&vars).err().map(|e| e.variable),
            Some("OTEL_EXPORTER_OTLP_PROTOCOL")
        );
    }
}
