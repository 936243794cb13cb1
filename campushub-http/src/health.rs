//! Liveness (`/healthz`) and readiness (`/readyz`): readiness asks every registered probe
//! (the primary database, each replica, Redis) and is 200 only when the critical ones answer.
//!
//! Readiness is open (load balancers call it without credentials), so anonymous callers get
//! the status alone: the components, their lag and their errors describe the topology and are
//! shown only to principals the policy lets read the `metrics` resource (admins by default). One
//! round of probes serves every call for [`READINESS_TTL`], so that a flood of calls costs the
//! databases nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use campushub_core::{Action, Department, EntityService, Policy, ReadOptions, ReadRoute};
use serde::Serialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::auth::Authenticator;
use crate::list::json_response;
use crate::metrics::endpoint::METRICS_KIND;

/// How long one round of probes answers `/readyz`.
pub const READINESS_TTL: Duration = Duration::from_secs(1);

/// What one probe found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProbeStatus {
    /// Whether the component answered.
    pub ok: bool,
    /// Replication lag, for replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_seconds: Option<f64>,
    /// Why not, or anything worth knowing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ProbeStatus {
    /// The component answered.
    pub fn up() -> Self {
        ProbeStatus {
            ok: true,
            ..Self::default()
        }
    }

    /// The component did not answer, because of `detail`.
    pub fn down(detail: impl Into<String>) -> Self {
        ProbeStatus {
            ok: false,
            lag_seconds: None,
            detail: Some(detail.into()),
        }
    }
}

/// A component `/readyz` reports on.
#[async_trait]
pub trait ReadinessProbe: Send + Sync + 'static {
    /// The component's name in the report (`primary`, `replica-1`, `redis`).
    fn name(&self) -> &str;

    /// Whether the instance is unready when this component is down (true for the primary;
    /// replicas and Redis degrade instead).
    fn critical(&self) -> bool {
        false
    }

    /// Checks the component now.
    async fn check(&self) -> ProbeStatus;
}

/// The default `primary` probe: one primary read through the departments store.
#[derive(Debug)]
pub struct StoreProbe {
    departments: EntityService<Department>,
}

impl StoreProbe {
    /// Probes the store behind `departments`.
    pub fn new(departments: EntityService<Department>) -> Self {
        StoreProbe { departments }
    }
}

#[async_trait]
impl ReadinessProbe for StoreProbe {
    fn name(&self) -> &str {
        "primary"
    }

    fn critical(&self) -> bool {
        true
    }

    async fn check(&self) -> ProbeStatus {
        let read = ReadOptions::default().on(ReadRoute::Primary);
        match self.departments.repository().get(Uuid::nil(), &read).await {
            Ok(_) => ProbeStatus::up(),
            Err(error) => ProbeStatus::down(error.to_string()),
        }
    }
}

/// The readiness report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `unready`.
    pub status: &'static str,
    /// Each component by name.
    pub components: BTreeMap<String, ProbeStatus>,
}

pub(crate) async fn healthz() -> Response {
    json_response(StatusCode::OK, r#"{"status":"ok"}"#)
}

/// What `/readyz` needs, and no more of the router's state: the probes and how long each may
/// take, who may see the details, and the last round.
pub(crate) struct ReadinessChecks {
    probes: Vec<Arc<dyn ReadinessProbe>>,
    timeout: Duration,
    authenticator: Arc<dyn Authenticator>,
    policy: Arc<dyn Policy>,
    /// The last round and when it started; callers during a round wait for it.
    last: Mutex<Option<(Instant, Arc<Readiness>)>>,
}

impl ReadinessChecks {
    /// Asks `probes`, or when there are none the default `primary` probe through
    /// `departments`, each for at most `timeout`.
    /// Details go to principals of `authenticator` whom `policy` lets read `metrics`.
    pub(crate) fn new(
        probes: &[Arc<dyn ReadinessProbe>],
        departments: &EntityService<Department>,
        timeout: Duration,
        authenticator: Arc<dyn Authenticator>,
        policy: Arc<dyn Policy>,
    ) -> Self {
        let probes = if probes.is_empty() {
            vec![Arc::new(StoreProbe::new(departments.clone())) as Arc<dyn ReadinessProbe>]
        } else {
            probes.to_vec()
        };
        ReadinessChecks {
            probes,
            timeout,
            authenticator,
            policy,
            last: Mutex::new(None),
        }
    }

    /// The last round if younger than [`READINESS_TTL`], else a new one.
    async fn report(&self) -> Arc<Readiness> {
        let mut last = self.last.lock().await;
        if let Some((at, report)) = last.as_ref() {
            if at.elapsed() < READINESS_TTL {
                return Arc::clone(report);
            }
        }
        let started = Instant::now();
        let report = Arc::new(probe_all(&self.probes, self.timeout).await);
        *last = Some((started, Arc::clone(&report)));
        report
    }

    /// Whether the caller's credentials (if any, and valid) may see the components.
    async fn shows_details(&self, headers: &HeaderMap) -> bool {
        self.authenticator
            .authentication(headers)
            .decided()
            .await
            .is_ok_and(|principal| {
                let allowed = self
                    .policy
                    .authorize(&principal, METRICS_KIND, Action::Retrieve);
                allowed.is_ok()
            })
    }
}

pub(crate) async fn readyz(
    State(readiness): State<Arc<ReadinessChecks>>,
    headers: HeaderMap,
) -> Response {
    let report = readiness.report().await;
    let status = if report.status == READY {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = if readiness.shows_details(&headers).await {
        serde_json::to_vec(&*report).unwrap_or_default()
    } else {
        format!(r#"{{"status":"{}"}}"#, report.status).into_bytes()
    };
    json_response(status, body)
}

const READY: &str = "ready";

/// Asks every probe at once, each for at most `timeout`.
async fn probe_all(probes: &[Arc<dyn ReadinessProbe>], timeout: Duration) -> Readiness {
    let checks = probes.iter().map(|probe| async move {
        let status = tokio::time::timeout(timeout, probe.check())
            .await
            .unwrap_or_else(|_| ProbeStatus::down(format!("no answer within {timeout:?}")));
        (probe, status)
    });
    let results = futures::future::join_all(checks).await;
    let ready = results
        .iter()
        .all(|(probe, status)| status.ok || !probe.critical());
    Readiness {
        status: if ready { READY } else { "unready" },
        components: results
            .into_iter()
            .map(|(probe, status)| (probe.name().to_owned(), status))
            .collect(),
    }
}
