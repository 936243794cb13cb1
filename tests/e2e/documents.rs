//! Documents (`campushub::documents`, served through the public `Server` API) over real
//! sockets, on the filesystem store and on an S3-compatible store (moto): a 50 MB document
//! streamed up and down intact (hash checked), a `Range`, `If-None-Match`, an oversize, a
//! disallowed, a cut-off and a stale (`If-Match`) upload storing nothing, a replaced upload's old bytes and a
//! deleted document's bytes gone, downloads held to the policy, and the orphan sweep.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use campushub::core::Role;
use campushub::documents::{self, DocumentSettings, DocumentStore, S3Options, StoreLocation};
use campushub::http::TokenMinter;
use campushub::server::Server;
use futures::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, BodyStream, StreamBody};
use hyper::body::Frame;
use hyper::Method;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::client::Http;
use crate::support::commands::TempDir;
use crate::support::db::TestDb;
use crate::support::env::Services;
use crate::support::instance::{namespace, replicated, Instance, JWT_SECRET};
use crate::support::records::{department, id, student};

/// The big document's length: 50 MiB.
const BIG: u64 = 50 * 1024 * 1024;

/// The chunks a streamed body is sent in.
const CHUNK: usize = 256 * 1024;

/// `len` bytes of a seeded pseudo-random sequence from `offset` on, in chunks: the same
/// bytes every time, made as they are sent or checked (never one 50 MB buffer).
fn pattern(seed: u64, offset: u64, len: u64) -> impl Iterator<Item = Bytes> {
    let byte_at = move |i: u64| {
        // splitmix64 of the 8-byte word the byte falls in.
        let mut z = seed.wrapping_add((i / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        z.to_le_bytes()[(i % 8) as usize]
    };
    let end = offset + len;
    (offset..end).step_by(CHUNK).map(move |start| {
        let stop = (start + CHUNK as u64).min(end);
        (start..stop).map(byte_at).collect::<Vec<u8>>().into()
    })
}

/// The SHA-256 (hex) of `pattern(seed, 0, len)`.
fn pattern_sha256(seed: u64, len: u64) -> String {
    let mut hasher = Sha256::new();
    for chunk in pattern(seed, 0, len) {
        hasher.update(&chunk);
    }
    format!("{:x}", hasher.finalize())
}

/// A response whose body was hashed as it streamed in, not kept.
struct Streamed {
    status: u16,
    headers: axum::http::HeaderMap,
    len: u64,
    sha256: String,
    /// The first bytes of the body (up to 4 KiB), for small answers.
    head: Vec<u8>,
}

impl Streamed {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.head).unwrap_or(Value::Null)
    }
}

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

/// Sends `method path` with `chunks` streamed as the body (chunked: no `Content-Length`,
/// unless `headers` declare one), and hashes the answer as it streams in.
async fn stream(
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    chunks: impl Iterator<Item = Bytes> + Send + 'static,
) -> Streamed {
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let frames = futures::stream::iter(chunks.map(|chunk| Ok::<_, Infallible>(Frame::data(chunk))));
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(BodyExt::boxed_unsync(StreamBody::new(frames)))
        .expect("a request");
    let response = client.request(request).await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = BodyStream::new(response.into_body())
        .try_filter_map(|frame| async move { Ok(frame.into_data().ok()) })
        .boxed();
    let (mut len, mut hasher, mut head) = (0u64, Sha256::new(), Vec::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("the body streams");
        len += chunk.len() as u64;
        hasher.update(&chunk);
        if head.len() < 4096 {
            head.extend_from_slice(&chunk[..chunk.len().min(4096 - head.len())]);
        }
    }
    Streamed {
        status,
        headers,
        len,
        sha256: format!("{:x}", hasher.finalize()),
        head,
    }
}

/// Sends a `PUT` of `content_type` to `path` whose body fails after `len` bytes, as a client
/// that dies part way does: the server sees the body cut off.
async fn cut_off(base: &str, token: &str, path: &str, content_type: &str, len: u64) {
    type Failing = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;
    let client: Client<HttpConnector, Failing> = Client::builder(TokioExecutor::new()).build_http();
    let frames = futures::stream::iter(pattern(6, 0, len).map(|chunk| Ok(Frame::data(chunk))))
        .chain(futures::stream::once(async {
            Err(std::io::Error::other("the client died"))
        }));
    let request = axum::http::Request::builder()
        .method(Method::PUT)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(BodyExt::boxed_unsync(StreamBody::new(frames)))
        .expect("a request");
    // The request fails on the client's side, or (if the server answered first) is refused.
    if let Ok(response) = client.request(request).await {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
}

/// The boundary of the forms [`form`] makes.
const BOUNDARY: &str = "campushub-e2e-boundary";

/// A `multipart/form-data` body: a `note` part, then a `file` part (or, without
/// `file_type`, another field) of `content_type` holding `pattern(seed, 0, len)`, streamed.
fn form(file_type: Option<&str>, seed: u64, len: u64) -> impl Iterator<Item = Bytes> + Send {
    let disposition = match file_type {
        Some(media) => format!(
            "Content-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: {media}"
        ),
        None => "Content-Disposition: form-data; name=\"other\"".to_owned(),
    };
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --{BOUNDARY}\r\n{disposition}\r\n\r\n"
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    std::iter::once(Bytes::from(head))
        .chain(pattern(seed, 0, len))
        .chain(std::iter::once(Bytes::from(tail)))
}

/// Waits (up to 10 s) until document `doc`'s folder holds `count` objects.
async fn settles_at(store: &DocumentStore, doc: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let objects = objects_of(store, doc).await;
        if objects.len() == count {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{objects:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A token for `roles`, as the instance's own admin token is minted.
fn token(subject: &str, roles: &[Role], student: Option<uuid::Uuid>) -> String {
    let links = campushub::core::scope::RecordLinks {
        student_id: student,
        ..Default::default()
    };
    TokenMinter::hs256(JWT_SECRET)
        .expect("a secret")
        .mint_linked(subject, roles, &links, Duration::from_secs(600))
        .expect("a token")
}

/// The objects stored under document `id`'s folder.
async fn objects_of(store: &DocumentStore, id: &str) -> Vec<String> {
    let id = id.parse().expect("a uuid");
    let objects: Vec<_> = store
        .objects_under(&DocumentStore::folder(id))
        .try_collect()
        .await
        .expect("the store lists");
    objects.into_iter().map(|object| object.key).collect()
}

/// An instance on SQLite serving documents with its store, a student and one of her
/// documents without content yet.
struct Fixture {
    instance: Instance,
    store: DocumentStore,
    admin: String,
    base: String,
    /// The student's id.
    ada: String,
    /// The document's id.
    doc: String,
    /// The document's content route.
    content: String,
    /// Its database (and a filesystem store's folder), removed when dropped.
    dir: TempDir,
}

impl Fixture {
    /// The fixture on the SQLite database in `dir`, serving documents with `settings`; the
    /// document is titled `title`.
    async fn start(dir: TempDir, settings: DocumentSettings, title: &str) -> Fixture {
        let vars = dir.sqlite();
        Fixture::start_on(&vars, dir, settings, title).await
    }

    /// [`Fixture::start`] on the database `vars` configure.
    async fn start_on(
        vars: &[(&str, String)],
        dir: TempDir,
        settings: DocumentSettings,
        title: &str,
    ) -> Fixture {
        let store = settings.open_store().expect("the store opens");
        let server = documents::serve(Server::new(), settings, store.clone());
        let instance = Instance::start_with(&server, vars).await;
        let http = &instance.http;
        let cse = department(http, "CSE").await;
        let ada = id(&student(http, &cse, "R-1").await.json());
        let created = http
            .create(
                "/api/v1/documents",
                json!({"owner_kind": "STUDENT", "owner_id": ada, "doc_type": "TRANSCRIPT", "title": title}),
            )
            .await
            .json();
        assert_eq!(created["size"], Value::Null, "{created}");
        let doc = id(&created);
        Fixture {
            admin: http.token().expect("a token").to_owned(),
            base: http.base(),
            content: format!("/api/v1/documents/{doc}/content"),
            store,
            instance,
            ada,
            doc,
            dir,
        }
    }

    /// `PUT` of the content as admin, declared as `content_type`, streamed from `chunks`.
    async fn put(
        &self,
        content_type: &str,
        chunks: impl Iterator<Item = Bytes> + Send + 'static,
    ) -> Streamed {
        self.put_with(&self.admin, &[("content-type", content_type)], chunks)
            .await
    }

    /// `PUT` of the content with `token` and `headers`, streamed from `chunks`.
    async fn put_with(
        &self,
        token: &str,
        headers: &[(&str, &str)],
        chunks: impl Iterator<Item = Bytes> + Send + 'static,
    ) -> Streamed {
        stream(
            &self.base,
            token,
            Method::PUT,
            &self.content,
            headers,
            chunks,
        )
        .await
    }

    /// `GET` of the content as admin, hashed as it streams in.
    async fn download(&self) -> Streamed {
        stream(
            &self.base,
            &self.admin,
            Method::GET,
            &self.content,
            &[],
            std::iter::empty(),
        )
        .await
    }

    /// The document's metadata as of `written` (its `Consistency-Token`, on Postgres, where a
    /// read may go to a replica).
    async fn record_after(&self, written: &Streamed) -> Value {
        let path = format!("/api/v1/documents/{}", self.doc);
        let token = written.header("consistency-token");
        let headers: Vec<(&str, &str)> = match token.as_str() {
            "" => Vec::new(),
            token => vec![("consistency-token", token)],
        };
        self.instance.http.get_with(&path, &headers).await.json()
    }
}

/// The big document up and down, a range, `If-None-Match`, a replacement, the policy, the
/// sweep and the deletion, against `settings`' store.
async fn scenario(dir: TempDir, settings: DocumentSettings) {
    let f = Fixture::start(dir, settings, "Transcript 2024 / Ada.pdf").await;
    let (http, store, doc, content) = (&f.instance.http, &f.store, &f.doc, &f.content);
    let none = http.get(content).await;
    assert_eq!(none.status, 404, "{}", none.text());

    // The content routes are in the document; the server-set fields are read, not written.
    let document = http.get("/api/v1/openapi.json").await.json();
    let route = &document["paths"]["/api/v1/documents/{id}/content"];
    assert_eq!(route["put"]["operationId"], "documents_content_update");
    assert_eq!(route["get"]["operationId"], "documents_content_retrieve");
    let schemas = &document["components"]["schemas"];
    assert!(schemas["Document"]["properties"]["sha256"].is_object());
    let input = &schemas["DocumentInput"]["properties"];
    assert!(input["title"].is_object());
    assert_eq!(input["sha256"]["readOnly"], true, "{input}");

    // 50 MiB up, streamed in chunks.
    let up = f.put("application/pdf", pattern(7, 0, BIG)).await;
    assert_eq!(up.status, 200, "{:?}", up.json());
    let expected = pattern_sha256(7, BIG);
    let record = up.json();
    assert_eq!(record["size"], json!(BIG));
    assert_eq!(record["sha256"], json!(expected));
    assert_eq!(record["content_type"], "application/pdf");
    assert_eq!(record["uploaded_by"], "e2e-admin");
    assert_eq!(record["version"], 2, "an upload is a new version");
    assert!(!up.header("etag").is_empty());
    assert_eq!(objects_of(store, doc).await.len(), 1);

    // ... and down, intact.
    let down = f.download().await;
    assert_eq!(down.status, 200);
    assert_eq!((down.len, down.sha256.as_str()), (BIG, expected.as_str()));
    assert_eq!(down.header("content-length"), BIG.to_string());
    assert_eq!(down.header("content-type"), "application/pdf");
    assert_eq!(down.header("accept-ranges"), "bytes");
    let tag = down.header("etag");
    assert_eq!(tag, format!("\"{expected}\""));
    let disposition = down.header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"Transcript 2024 _ Ada.pdf\""),
        "{disposition}"
    );

    // One range, the current copy, a range past the end.
    let start = BIG - 300_000;
    let range = format!("bytes={start}-{}", start + 99_999);
    let part = http.get_with(content, &[("range", &range)]).await;
    assert_eq!(part.status, 206, "{}", part.text());
    let wanted: Vec<u8> = pattern(7, start, 100_000)
        .flat_map(|c| c.to_vec())
        .collect();
    assert_eq!(part.body.as_ref(), wanted.as_slice());
    let content_range = format!("bytes {start}-{}/{BIG}", start + 99_999);
    assert_eq!(part.header("content-range"), Some(content_range));
    let current = http.get_with(content, &[("if-none-match", &tag)]).await;
    assert_eq!(current.status, 304);
    let past = http
        .get_with(content, &[("range", &format!("bytes={BIG}-"))])
        .await;
    assert_eq!(past.status, 416, "{}", past.text());
    assert_eq!(past.header("content-range"), Some(format!("bytes */{BIG}")));

    // A disallowed type is refused before a byte is stored.
    let refused = f.put("application/x-msdownload", pattern(8, 0, 1000)).await;
    assert_eq!(refused.status, 415, "{:?}", refused.json());
    assert_eq!(objects_of(store, doc).await.len(), 1);

    // A replacement: the new bytes served, the old ones gone.
    let small = f
        .put("text/plain; charset=utf-8", pattern(9, 0, 5000))
        .await;
    assert_eq!(small.status, 200, "{:?}", small.json());
    assert_eq!(small.json()["sha256"], json!(pattern_sha256(9, 5000)));
    assert_eq!(small.json()["content_type"], "text/plain");
    assert_eq!(
        objects_of(store, doc).await.len(),
        1,
        "the 50 MB object is gone"
    );
    assert_eq!(http.get(content).await.body.len(), 5000);

    // The policy: faculty read the metadata, not the bytes; a student only its own bytes.
    let professor = token("prof", &[Role::FACULTY], None);
    let faculty = Http::new(&f.base, Some(professor.clone()));
    assert_eq!(
        faculty
            .get(&format!("/api/v1/documents/{doc}"))
            .await
            .status,
        200
    );
    assert_eq!(faculty.get(content).await.status, 403);
    let headers = [("content-type", "text/plain")];
    let faculty_upload = f.put_with(&professor, &headers, pattern(9, 0, 10)).await;
    assert_eq!(faculty_upload.status, 403);
    let ada = Some(f.ada.parse().expect("a uuid"));
    let own = Http::new(&f.base, Some(token("ada", &[Role::STUDENT], ada)));
    assert_eq!(own.get(content).await.status, 200);
    let eve = Some(uuid::Uuid::new_v4());
    let other = Http::new(&f.base, Some(token("eve", &[Role::STUDENT], eve)));
    assert_eq!(other.get(content).await.status, 404);

    // The sweep deletes an orphan (no document) and leaves referenced bytes.
    let orphan = orphan(store).await;
    let repository = sqlite_documents(&f.dir).await;
    let hour = Duration::from_secs(3600);
    let swept = documents::sweep(store, repository.as_ref(), hour).await;
    assert_eq!(
        swept.expect("a sweep").deleted,
        0,
        "nothing is older than an hour"
    );
    let swept = documents::sweep(store, repository.as_ref(), Duration::ZERO).await;
    let swept = swept.expect("a sweep");
    assert_eq!((swept.seen, swept.deleted), (2, 1));
    assert!(objects_of(store, &orphan).await.is_empty());
    assert_eq!(objects_of(store, doc).await.len(), 1);

    // Deleting the document deletes its bytes.
    let path = format!("/api/v1/documents/{doc}");
    let deleted = http.send(Method::DELETE, &path, &[], None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(objects_of(store, doc).await.is_empty());
    f.instance.stop().await.expect("a clean stop");
}

/// Stores 10 bytes for a document that does not exist: its id.
async fn orphan(store: &DocumentStore) -> String {
    let id = uuid::Uuid::new_v4();
    let chunks = futures::stream::iter(pattern(3, 0, 10).map(Ok::<_, Infallible>));
    store
        .upload(id, chunks, 100)
        .await
        .expect("an orphan stored");
    id.to_string()
}

/// The documents' repository of the instance's SQLite database in `dir`.
async fn sqlite_documents(
    dir: &TempDir,
) -> std::sync::Arc<dyn campushub::core::Repository<campushub::documents::Document>> {
    let url = &dir.sqlite()[0].1;
    let store = campushub::sqlx::SqliteStore::connect(url)
        .await
        .expect("the database opens");
    std::sync::Arc::new(campushub::sqlx::SqlRepository::<
        campushub::documents::Document,
        campushub::sqlx::SqliteStore,
    >::new(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_on_the_filesystem() {
    let dir = TempDir::new();
    let settings = filesystem(&dir, 64 * 1024 * 1024);
    scenario(dir, settings).await;
}

/// Settings of a filesystem store in `dir`.
fn filesystem(dir: &TempDir, max_bytes: u64) -> DocumentSettings {
    DocumentSettings {
        location: StoreLocation::Filesystem(dir.path("objects")),
        max_bytes,
        ..DocumentSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_on_an_s3_compatible_store() {
    scenario(TempDir::new(), s3_settings(64 * 1024 * 1024).await).await;
}

/// Settings of a fresh bucket on the S3-compatible server of `scripts/services.sh`; fails
/// (does not skip) when it is not running.
async fn s3_settings(max_bytes: u64) -> DocumentSettings {
    let endpoint = std::env::var("CAMPUSHUB_TEST_S3").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("CAMPUSHUB_TEST_S3 is not set: run `scripts/services.sh start` (moto) and source its env file")
    });
    let bucket = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let made = Http::new(&endpoint, None)
        .send(Method::PUT, &format!("/{bucket}"), &[], None)
        .await;
    assert_eq!(made.status, 200, "the bucket is created: {}", made.text());
    DocumentSettings {
        location: StoreLocation::S3 {
            bucket,
            options: S3Options {
                endpoint: Some(endpoint),
                region: Some("us-east-1".to_owned()),
                access_key_id: Some("testing".to_owned()),
                secret_access_key: Some("testing".to_owned()),
            },
        },
        max_bytes,
        ..DocumentSettings::default()
    }
}

/// An upload over the limit is refused with `413`, whether its length is declared or only
/// found while streaming, and leaves the current bytes and metadata as they were.
async fn limits_scenario(f: Fixture, max: u64) {
    let first = f.put("image/png", pattern(1, 0, max)).await;
    assert_eq!(
        first.status,
        200,
        "exactly the limit is accepted: {:?}",
        first.json()
    );
    let before = first.json();

    let streamed = f.put("image/png", pattern(2, 0, max + 1)).await;
    assert_eq!(streamed.status, 413, "{:?}", streamed.json());
    assert_eq!(streamed.json()["status"], 413);
    let length = (max + 1).to_string();
    let headers = [
        ("content-type", "image/png"),
        ("content-length", length.as_str()),
    ];
    let declared = f.put_with(&f.admin, &headers, pattern(2, 0, max + 1)).await;
    assert_eq!(declared.status, 413);
    let empty = f.put("image/png", std::iter::empty()).await;
    assert_eq!(empty.status, 400);
    // Forms: without a `file` part, with a disallowed one, with one over the limit.
    let form_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let headers = [("content-type", form_type.as_str())];
    let no_file = f.put_with(&f.admin, &headers, form(None, 3, 10)).await;
    assert_eq!(no_file.status, 400, "{:?}", no_file.json());
    let exe = f
        .put_with(
            &f.admin,
            &headers,
            form(Some("application/x-msdownload"), 3, 10),
        )
        .await;
    assert_eq!(exe.status, 415, "{:?}", exe.json());
    let big = f
        .put_with(&f.admin, &headers, form(Some("image/png"), 3, max + 1))
        .await;
    assert_eq!(big.status, 413, "{:?}", big.json());
    // `If-Match` naming a version that is not the current one: 412 before a byte is stored.
    let stale = format!("\"{}-1\"", f.doc);
    let headers = [("content-type", "image/png"), ("if-match", stale.as_str())];
    let overtaken = f.put_with(&f.admin, &headers, pattern(5, 0, 10)).await;
    assert_eq!(overtaken.status, 412, "{:?}", overtaken.json());
    // A body cut off part way, past the first 5 MiB part.
    cut_off(&f.base, &f.admin, &f.content, "image/png", max - 1000).await;
    settles_at(&f.store, &f.doc, 1).await;

    assert_eq!(
        f.record_after(&first).await,
        before,
        "the metadata is unchanged"
    );
    assert_eq!(
        objects_of(&f.store, &f.doc).await.len(),
        1,
        "nothing else is stored"
    );
    assert_eq!(f.download().await.sha256, pattern_sha256(1, max));

    // A form's `file` part up to the limit is stored, with the part's type, `If-Match`
    // naming the current version.
    let current = first.header("etag");
    let headers = [
        ("content-type", form_type.as_str()),
        ("if-match", current.as_str()),
    ];
    let uploaded = f
        .put_with(&f.admin, &headers, form(Some("image/png"), 4, max))
        .await;
    assert_eq!(uploaded.status, 200, "{:?}", uploaded.json());
    assert_eq!(uploaded.json()["sha256"], json!(pattern_sha256(4, max)));
    assert_eq!(uploaded.json()["content_type"], "image/png");
    let down = f.download().await;
    assert_eq!((down.len, down.sha256), (max, pattern_sha256(4, max)));
    settles_at(&f.store, &f.doc, 1).await;
    f.instance.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_uploads_store_nothing_on_the_filesystem() {
    let dir = TempDir::new();
    let settings = filesystem(&dir, 6 * 1024 * 1024);
    limits_scenario(Fixture::start(dir, settings, "ID").await, 6 * 1024 * 1024).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_uploads_store_nothing_on_postgres_with_a_replica_and_redis() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = replicated(&services, &db, &namespace());
    let dir = TempDir::new();
    let settings = filesystem(&dir, 6 * 1024 * 1024);
    let f = Fixture::start_on(&vars, dir, settings, "ID").await;
    limits_scenario(f, 6 * 1024 * 1024).await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_uploads_store_nothing_on_an_s3_compatible_store() {
    let settings = s3_settings(6 * 1024 * 1024).await;
    limits_scenario(
        Fixture::start(TempDir::new(), settings, "ID").await,
        6 * 1024 * 1024,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_instance_sweeps_orphaned_bytes_periodically() {
    let dir = TempDir::new();
    // A grace longer than the upload takes, as the sweep requires: with none, a sweep that
    // lists the upload's object before the metadata names it deletes it (seen under load).
    let settings = DocumentSettings {
        sweep_every: Some(Duration::from_millis(100)),
        sweep_grace: Duration::from_secs(1),
        ..filesystem(&dir, DocumentSettings::default().max_bytes)
    };
    let f = Fixture::start(dir, settings, "Offer").await;
    assert_eq!(
        f.put("application/pdf", pattern(4, 0, 1000)).await.status,
        200
    );

    let orphan = orphan(&f.store).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !objects_of(&f.store, &orphan).await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the orphan is still stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        objects_of(&f.store, &f.doc).await.len(),
        1,
        "referenced bytes stay"
    );
    assert_eq!(f.download().await.len, 1000);
    f.instance.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_needs_if_match_where_the_server_requires_it_of_documents() {
    let dir = TempDir::new();
    let settings = filesystem(&dir, DocumentSettings::default().max_bytes);
    let mut vars = dir.sqlite();
    vars.push(("CAMPUSHUB_REQUIRE_IF_MATCH", "documents".to_owned()));
    let f = Fixture::start_on(&vars, dir, settings, "Offer").await;
    let document = f.instance.http.get("/api/v1/openapi.json").await.json();
    let put = &document["paths"]["/api/v1/documents/{id}/content"]["put"];
    let if_match = put["parameters"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "If-Match"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(if_match["required"], true, "{put}");

    let missing = f.put("application/pdf", pattern(6, 0, 1000)).await;
    assert_eq!(missing.status, 428, "{:?}", missing.json());
    assert!(
        objects_of(&f.store, &f.doc).await.is_empty(),
        "nothing stored"
    );
    let record = f
        .instance
        .http
        .get(&format!("/api/v1/documents/{}", f.doc))
        .await;
    let tag = record.header("etag").unwrap_or_default();
    let headers = [
        ("content-type", "application/pdf"),
        ("if-match", tag.as_str()),
    ];
    let matched = f.put_with(&f.admin, &headers, pattern(6, 0, 1000)).await;
    assert_eq!(matched.status, 200, "{:?}", matched.json());
    assert_eq!(matched.json()["sha256"], json!(pattern_sha256(6, 1000)));
    f.instance.stop().await.expect("a clean stop");
}
