//! The `429` of the rate limits in the document (when the router has them): every operation
//! they hold (under `/api/`, and `/metrics`; never the probes) may answer it, a problem with
//! `Retry-After` and the `RateLimit` / `RateLimit-Policy` headers, described once as the
//! `TooManyRequests` response.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};

use super::parts::problem;
use crate::routing::API_PREFIX;

/// The name of the shared `429` response under `components.responses`.
pub(super) const TOO_MANY_REQUESTS: &str = "TooManyRequests";

/// Adds the `429` response to every rate-limited operation of `document`.
pub fn add_rate_limits(document: &mut OpenApi) {
    let limited = |path: &str| path.starts_with(API_PREFIX) || path == "/metrics";
    let reference = || {
        RefOr::Ref(Ref::new(format!(
            "#/components/responses/{TOO_MANY_REQUESTS}"
        )))
    };
    for (path, item) in document.paths.paths.iter_mut() {
        if !limited(path) {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .insert("429".to_owned(), reference());
        }
    }
    let components = document.components.get_or_insert_with(Default::default);
    components
        .responses
        .insert(TOO_MANY_REQUESTS.to_owned(), RefOr::T(too_many_requests()));
}

/// The response: the problem, and its three headers.
fn too_many_requests() -> utoipa::openapi::Response {
    let text = || ObjectBuilder::new().schema_type(Type::String).build();
    let mut response = problem();
    response.description = "Over the caller's rate limit (`CAMPUSHUB_RATE_LIMIT`, per role \
        `CAMPUSHUB_RATE_LIMIT_ROLES`, per client address without credentials \
        `CAMPUSHUB_RATE_LIMIT_ADDRESS`), shared by every instance: retry after `Retry-After` \
        seconds. The request was not carried out."
        .to_owned();
    let headers = [
        (
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some("Whole seconds until the request would be allowed")),
        ),
        (
            "RateLimit-Policy",
            HeaderBuilder::new().schema(text()).description(Some(
                "The quota held to (IETF draft httpapi-ratelimit-headers): \
                 `\"<policy>\";q=<requests>;w=<window seconds>`, the policy `principal`, a \
                 role's name, or `address`",
            )),
        ),
        (
            "RateLimit",
            HeaderBuilder::new().schema(text()).description(Some(
                "What is left of it: `\"<policy>\";r=0;t=<seconds until whole>`; every \
                 allowed response of a limited route carries it too",
            )),
        ),
    ];
    for (name, header) in headers {
        response.headers.insert(name.to_owned(), header.build());
    }
    response
}
