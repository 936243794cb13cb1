//! The application: storage, cache, services, router and warmer wired from a [`Config`], and
//! serving it until a shutdown signal (in-flight requests finish, see `graceful.rs`, then the
//! warmer stops and the pools and the health task are dropped).

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use super::accounts::Accounts;
use super::auth::Auth;
use super::cache;
use super::config::Config;
use super::connection::{InFlightMetrics, Shared};
use super::graceful::{self, Shutdown};
use super::limits::ConnectionLimits;
use super::metrics::{CacheMetrics, OutboxMetrics, PoolMetrics};
use super::outbox::OutboxPlan;
use super::probes;
use super::propagation::W3cTraceContext;
use super::services;
use super::statements::RouteStatements;
use super::storage::Storage;
use super::traces;
use super::BoxError;
use crate::cache::{TieredCache, WarmerHandle};
use crate::core::rate_limit::{LocalRateBudget, RateBudget};
use crate::core::service::EntityServiceBuilder;
use crate::core::{
    Analytics, AuditService, Cache, CachedAnalytics, ChangeHook, Entity, EntityKind, EntityService,
    Repository,
};
use crate::http::exchange::ImportJobs;
use crate::http::{router, ApiState, AppServices, HttpConfig, Identity, TokenMinter};
use crate::sqlx::kinds::KindSchema;

/// How long a stopping instance waits for its queued cache invalidations to reach Redis.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// Storage, cache and services, without the HTTP part (what `seed` needs too).
#[derive(Debug)]
pub struct Core {
    /// The database.
    pub storage: Storage,
    /// The cache, unless `CAMPUSHUB_CACHE=off`.
    pub cache: Option<TieredCache>,
    /// The entity services.
    pub services: AppServices,
    /// Keys and minter.
    pub auth: Auth,
    /// User accounts, sign-in and revoked tokens.
    pub accounts: Accounts,
    /// `CAMPUSHUB_COUNT_CAP`, for the services of an application's kinds too.
    count_cap: Option<u64>,
    /// `CAMPUSHUB_AUDIT`, for the services of an application's kinds too.
    audit: bool,
    /// The kinds and hooks of this instance's outbox relay.
    outbox: OutboxPlan,
}

impl Core {
    /// Resolves the keys, opens and migrates the database, opens the cache, builds the
    /// services.
    pub async fn open(config: &Config) -> Result<Core, BoxError> {
        Core::open_with_kinds(config, &[]).await
    }

    /// [`Core::open`], with the tables of an application's `kinds` created or evolved after
    /// the built-in migrations (see [`Storage::migrate_kinds`]).
    pub async fn open_with_kinds(config: &Config, kinds: &[KindSchema]) -> Result<Core, BoxError> {
        let mut auth = Auth::resolve(config)?;
        let storage = Storage::open(&config.database, &config.backend_tls).await?;
        storage.set_slow_statement_threshold(config.slow_statement);
        storage.migrate().await?;
        storage.migrate_kinds(kinds).await?;
        let cache = cache::open(config).await?;
        let shared = cache.clone().map(|c| Arc::new(c) as Arc<dyn Cache>);
        let stores = storage.stores();
        let services = services::build(
            &stores,
            shared,
            &auth.cursor_key,
            config.count_cap,
            config.audit,
            kinds.iter().filter_map(KindSchema::custom_field_kind),
        );
        let accounts = Accounts::build(
            &stores,
            cache.as_ref(),
            &auth.cursor_key,
            &config.sign_in,
            config.audit,
        )?;
        auth.join_accounts(config, Arc::clone(&stores.users))?;
        auth.refuse_revoked(Arc::clone(&accounts.revoker));
        auth.fetch_provider_keys().await;
        let outbox = OutboxPlan::default();
        outbox.kind(EntityKind::DEPARTMENT, services.departments.embedded_in());
        outbox.kind(EntityKind::STUDENT, services.students.embedded_in());
        outbox.kind(EntityKind::FACULTY, services.faculty.embedded_in());
        outbox.kind(
            EntityKind::CUSTOM_FIELD,
            services.custom_fields.embedded_in(),
        );
        outbox.kind(EntityKind::USER, accounts.users.embedded_in());
        outbox.hook(Arc::clone(&accounts.revoke_on_change) as Arc<dyn ChangeHook>);
        Ok(Core {
            storage,
            cache,
            services,
            auth,
            accounts,
            count_cap: config.count_cap,
            audit: config.audit,
            outbox,
        })
    }

    /// A service builder for an application's kind stored in `repository`, set up as the
    /// built-in services are: caching in this cache (so that every instance sees its writes),
    /// signing cursors with the shared key and counting page-number pages up to
    /// `CAMPUSHUB_COUNT_CAP`, auditing unless `CAMPUSHUB_AUDIT=off`. Add its policy, rules
    /// and hooks, then `build`.
    ///
    /// The kind's changes are delivered from the outbox too (its table reports them when the
    /// application's migration ran `campushub_capture_changes`, see `docs/extending.md`).
    /// A kind whose records carry `custom_fields` has its values checked against the
    /// definitions made for it (`POST /api/v1/custom-fields` with its `entity`; the kind must
    /// be registered with [`Server::migrate_kind`](super::Server::migrate_kind) for those to
    /// be accepted).
    pub fn service<E: Entity>(
        &self,
        repository: Arc<dyn Repository<E>>,
    ) -> EntityServiceBuilder<E> {
        self.outbox.kind(E::KIND, E::schema().embedded_in);
        let mut builder = EntityService::builder(repository)
            .cursor_key(&self.auth.cursor_key)
            .count_cap(self.count_cap);
        if E::schema().has_custom_fields() {
            builder = builder.custom_fields(Arc::clone(self.services.custom_fields.repository()));
        }
        let builder = services::audited(builder, self.audit);
        match &self.cache {
            Some(cache) => builder.cache(Arc::new(cache.clone())),
            None => builder,
        }
    }
}

impl Core {
    /// Delivers every committed change to `hook` from the outbox: at least once, in commit
    /// order per record, whoever made the change (this instance, another one, `psql`), after
    /// this instance's cache is invalidated. Unlike a service's hooks, which run in the
    /// writing process before the write is acknowledged and are lost if it dies, an outbox
    /// hook may run late and may see a change twice: make it idempotent.
    pub fn outbox_hook(&self, hook: Arc<dyn ChangeHook>) {
        self.outbox.hook(hook);
    }
}

/// A built application, ready to serve.
#[derive(Debug)]
pub struct App {
    /// The whole HTTP API.
    pub router: Router,
    /// Signs tokens, when the server holds the signing key.
    pub minter: Option<TokenMinter>,
    core: Core,
    warm_interval: Option<Duration>,
    /// `CAMPUSHUB_SHUTDOWN_DRAIN`.
    drain: Duration,
    /// What bounds connections and requests in progress.
    limits: ConnectionLimits,
    /// What the connections share (the in-flight count), also read by `/metrics`.
    connections: Arc<Shared>,
    /// Set once a shutdown began; `/readyz` is `503` from then on.
    draining: Arc<AtomicBool>,
    /// The imports sent as jobs, which this instance's worker runs while it serves.
    import_jobs: ImportJobs,
    /// The application's tasks, run while the instance serves ([`Server::background`]).
    ///
    /// [`Server::background`]: super::Server::background
    background: BackgroundTasks,
}

/// The tasks of an [`App`], shown by their number.
#[derive(Clone, Default)]
struct BackgroundTasks(Vec<Background>);

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} background tasks", self.0.len())
    }
}

/// A task of [`Server::background`](super::Server::background): given the opened core, the
/// future that runs while the instance serves.
pub(super) type Background =
    Arc<dyn Fn(&Core) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

impl App {
    /// Wires the router of the built-in kinds around `core`: SQL analytics (cached until the
    /// next write), readiness probes, metric sources and statement counting per route. An
    /// application's own kinds: [`Server::app`](super::Server::app).
    pub fn new(core: Core, config: &Config) -> App {
        App::build(core, config, |_, state| state)
    }

    /// [`App::new`], with `extend` adding to the router's state after the built-in wiring.
    pub(super) fn build(
        core: Core,
        config: &Config,
        extend: impl FnOnce(&Core, ApiState) -> ApiState,
    ) -> App {
        let http = HttpConfig {
            metrics_public: config.metrics_public,
            imports: config.imports,
            cors: config.cors.clone(),
            require_if_match: config.require_if_match.clone(),
            request_timeout: config.request_timeout,
            ..HttpConfig::default()
        };
        let analytics = core.storage.stores().analytics;
        let analytics: Arc<dyn Analytics> = match &core.cache {
            Some(cache) => Arc::new(CachedAnalytics::new(analytics, Arc::new(cache.clone()))),
            None => analytics,
        };
        let mut state = ApiState::new(core.services.clone(), core.auth.credentials.clone())
            .config(http)
            .analytics(analytics)
            .metrics_source(PoolMetrics(core.storage.clone()))
            .metrics_source(OutboxMetrics(Arc::clone(&core.outbox.stats)))
            .trace_context(Arc::new(W3cTraceContext::new(traces::exporting())));
        let audit = AuditService::new(core.storage.stores().audit, Arc::clone(&state.policy));
        state = state.audit(audit);
        let import_jobs = ImportJobs::new(core.storage.stores().import_jobs);
        state = state.import_jobs(import_jobs.clone());
        if let Some(cache) = &core.cache {
            state = state.metrics_source(CacheMetrics {
                cache: cache.clone(),
                redis: config.redis_url.is_some(),
            });
        }
        // Sign-in needs the signing key: a server that only verifies tokens an identity
        // provider signed (RS256 public key) serves no login.
        if let Some(minter) = &core.auth.minter {
            let accounts = &core.accounts;
            let identity = Identity::new(
                accounts.users.clone(),
                accounts.sign_in.clone(),
                minter.clone(),
                core.auth.verifier.clone(),
                Arc::clone(&accounts.revoker),
            )
            .access_ttl(config.sign_in.access_ttl)
            .trust_forwarded_for(config.sign_in.trust_forwarded_for)
            .linked_records(Arc::clone(core.services.faculty.repository()));
            state = state.identity(identity);
        }
        let budget: Arc<dyn RateBudget> = match &core.cache {
            Some(cache) => Arc::new(cache.rate_budget()),
            None => Arc::new(LocalRateBudget::default()),
        };
        state = state.rate_limit(budget, config.rate_limits.clone());
        let redis = core.cache.as_ref().filter(|_| config.redis_url.is_some());
        let draining = Arc::new(AtomicBool::new(false));
        state = probes::register(state, &core.storage, redis, &draining);
        state = extend(&core, state);
        let metrics = Arc::clone(&state.metrics);
        let connections = Arc::new(Shared::new(config.limits.max_in_flight));
        metrics.add_source(InFlightMetrics(Arc::clone(&connections)));
        let router = router(state);
        // The router registered its templates: the statement counters are pre-registered too.
        let statements = Arc::new(RouteStatements::new(metrics.templates()));
        metrics.register(|registry| statements.register(registry));
        App {
            router: statements.layer(router),
            minter: core.auth.minter.clone(),
            core,
            warm_interval: config.warm_interval,
            drain: config.shutdown_drain,
            limits: config.limits,
            connections,
            draining,
            import_jobs,
            background: BackgroundTasks::default(),
        }
    }

    /// The same app, running `tasks` while it serves.
    pub(super) fn with_background(mut self, tasks: &[Background]) -> App {
        self.background.0.extend(tasks.iter().cloned());
        self
    }

    /// The entity services.
    pub fn services(&self) -> &AppServices {
        &self.core.services
    }

    /// Serves on `listener` until `shutdown` completes, then drains (`CAMPUSHUB_SHUTDOWN_DRAIN`),
    /// stops accepting, lets requests in progress finish for at most `grace` (answering them
    /// with `Connection: close`), and stops the warmer.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) -> Result<(), BoxError> {
        let warmer: Option<WarmerHandle> = match (&self.core.cache, self.warm_interval) {
            (Some(c), Some(every)) => {
                Some(cache::start_warmer(c.clone(), &self.core.services, every))
            }
            _ => None,
        };
        let shared = self
            .core
            .cache
            .clone()
            .map(|c| Arc::new(c) as Arc<dyn Cache>);
        let relay = self.core.outbox.start(&self.core.storage, shared);
        let import_worker = self.import_jobs.spawn_worker(instance_name());
        let background: Vec<_> = self
            .background
            .0
            .iter()
            .map(|task| tokio::spawn(task(&self.core)))
            .collect();
        let policy = Shutdown {
            drain: self.drain,
            grace,
        };
        let limits = self.limits;
        graceful::serve(
            listener,
            self.router,
            shutdown,
            policy,
            limits,
            self.connections,
            &self.draining,
        )
        .await;
        if let Some(warmer) = warmer {
            warmer.stop().await;
        }
        // What is left in the outbox waits for the next relay, here or in another instance.
        drop(relay);
        // A job in progress is taken over by another instance once its lease runs out.
        drop(import_worker);
        for task in background {
            task.abort();
        }
        // Invalidations queued while Redis was unreachable exist only here: give their replay
        // a moment, or other instances keep serving what this instance's last writes replaced.
        if let Some(cache) = &self.core.cache {
            if !cache.settle(SETTLE_LIMIT).await {
                tracing::warn!(
                    limit = ?SETTLE_LIMIT,
                    "stopping with cache invalidations not yet replayed to Redis: other instances may serve older values until their entries expire"
                );
            }
        }
        Ok(())
    }
}

/// This instance's name on the import jobs it runs: the host's name (a container's or pod's),
/// the process id and a random part, so that a restarted instance is a new holder.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "campushub".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..8])
}
