//! Liveness (`/healthz`) and readiness (`/readyz`): readiness asks every registered probe
//! (the primary database, each replica, Redis) and is 200 only when the critical ones answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use campushub_core::{Department, EntityService, ReadOptions, ReadRoute};
use serde::Serialize;
use uuid::Uuid;

use crate::list::json_response;

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
/// take.
pub(crate) struct ReadinessChecks {
    probes: Vec<Arc<dyn ReadinessProbe>>,
    timeout: Duration,
}

impl ReadinessChecks {
    /// Asks `probes`, or when there are none the default `primary` probe through
    /// `departments`, each for at most `timeout`.
    pub(crate) fn new(
        probes: &[Arc<dyn ReadinessProbe>],
        departments: &EntityService<Department>,
        timeout: Duration,
    ) -> Self {
        let probes = if probes.is_empty() {
            vec![Arc::new(StoreProbe::new(departments.clone())) as Arc<dyn ReadinessProbe>]
        } else {
            probes.to_vec()
        };
        ReadinessChecks { probes, timeout }
    }
}

pub(crate) async fn readyz(State(readiness): State<Arc<ReadinessChecks>>) -> Response {
    let timeout = readiness.timeout;
    let checks = readiness.probes.iter().map(|probe| async move {
        let status = tokio::time::timeout(timeout, probe.check())
            .await
            .unwrap_or_else(|_| ProbeStatus::down(format!("no answer within {timeout:?}")));
        (probe, status)
    });
    let results = futures::future::join_all(checks).await;
    let ready = results
        .iter()
        .all(|(probe, status)| status.ok || !probe.critical());
    let report = Readiness {
        status: if ready { "ready" } else { "unready" },
        components: results
            .into_iter()
            .map(|(probe, status)| (probe.name().to_owned(), status))
            .collect(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_vec(&report).unwrap_or_default();
    json_response(status, body)
}
