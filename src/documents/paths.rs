//! What the OpenAPI document says about the content routes.

use crate::http::openapi::{id_parameter, if_match_parameter, operation};
use crate::http::utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use crate::http::utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use crate::http::utoipa::openapi::{
    request_body::RequestBodyBuilder, ContentBuilder, Paths, Ref, Required, ResponseBuilder,
};

use super::content::PATH;
use super::settings::DocumentSettings;

/// The path items of `PUT` and `GET /api/v1/documents/{id}/content`; an upload's `If-Match`
/// is `required` when the server requires it of documents.
pub(super) fn paths(settings: &DocumentSettings, required: bool) -> Paths {
    let binary = || {
        ContentBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
            ))
            .build()
    };
    let mut body = RequestBodyBuilder::new()
        .description(Some(format!(
            "The document's bytes, at most {} bytes, streamed as the body or as a form's `file` part",
            settings.max_bytes
        )))
        .required(Some(Required::True));
    for media in &settings.content_types {
        body = body.content(media, binary());
    }
    // Or a form whose `file` part holds the bytes, typed by the part's own `Content-Type`.
    let form = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "file",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
        )
        .required("file");
    body = body.content(
        "multipart/form-data",
        ContentBuilder::new().schema(Some(form)).build(),
    );
    let record = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Document")))
        .build();
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let mut paths = Paths::new();
    paths.add_path_operation(
        PATH,
        vec![HttpMethod::Put],
        operation(
            "documents",
            "Upload the document's bytes",
            &[400, 404, 409, 413, 415, 422],
        )
        .operation_id(Some("documents_content_update"))
        .description(Some(
            "Stores the body under a fresh key, then points the metadata at it \
                 (`content_type`, `size`, `sha256`, `uploaded_by`, `uploaded_at`; a new \
                 version). An upload that fails or is refused leaves the current bytes as \
                 they were.",
        ))
        .parameter(id_parameter())
        .parameter(if_match_parameter(required))
        .request_body(Some(body.build()))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The document's metadata after the upload, with its `ETag`")
                .content("application/json", record)
                .build(),
        )
        .build(),
    );
    let mut bytes = ResponseBuilder::new();
    for media in &settings.content_types {
        bytes = bytes.content(media, binary());
    }
    paths.add_path_operation(
        PATH,
        vec![HttpMethod::Get],
        operation(
            "documents",
            "Download the document's bytes",
            &[400, 404, 416],
        )
        .operation_id(Some("documents_content_retrieve"))
        .description(Some(
            "The bytes, with `ETag` (their SHA-256), `Accept-Ranges`, and \
                 `Content-Disposition: attachment` naming the file after the title. Needs \
                 the document's personal fields granted (admin, registrar, the student who \
                 owns it).",
        ))
        .parameter(id_parameter())
        .parameter(header(
            "Range",
            "One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`",
        ))
        .parameter(header(
            "If-Range",
            "Serve the range only if the ETag is still this one",
        ))
        .parameter(header(
            "If-None-Match",
            "304 when the bytes still have this ETag",
        ))
        .response("200", bytes.description("The whole document").build())
        .response(
            "206",
            ResponseBuilder::new()
                .description("One range, with `Content-Range`")
                .build(),
        )
        .response(
            "304",
            ResponseBuilder::new().description("Not modified").build(),
        )
        .build(),
    );
    paths
}
