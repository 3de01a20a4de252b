//! Running the service: bind, watch the bundle, serve until SIGTERM or SIGINT, then let
//! in-flight requests finish and flush the decision log.

use std::net::SocketAddr;
use std::sync::Arc;

use arbiter_audit::AuditTrail;
use arbiter_engine::store::{BundleStore, ReloadOutcome};

use crate::http::{ServiceConfig, router};
use crate::metrics::Metrics;
use crate::watch::{self, WatchConfig};

/// What `arbiter serve` runs.
#[derive(Debug)]
pub struct ServeOptions {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The bundle store, loaded or not yet (the service is not ready until it is).
    pub store: Arc<BundleStore>,
    /// Watch the store's folder for changes (`None` for a fixed bundle).
    pub watch: Option<WatchConfig>,
    /// The decision log, if any.
    pub trail: Option<AuditTrail>,
    /// Limits and token.
    pub config: ServiceConfig,
}

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The runtime, the socket or the watcher could not start.
    #[error("cannot start the service: {0}")]
    Start(String),
    /// The server failed while running.
    #[error("the service failed: {0}")]
    Run(#[from] std::io::Error),
}

/// Serves until SIGTERM or SIGINT. `on_listening` receives the bound address (port 0 picks
/// a free one).
pub fn run(opts: ServeOptions, on_listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("arbiter-http")
        .build()
        .map_err(|e| ServeError::Start(format!("tokio runtime: {e}")))?;
    let _watcher = match opts.watch {
        Some(config) => Some(
            watch::spawn(opts.store.clone(), config, |outcome| {
                if let ReloadOutcome::Rejected(f) = outcome {
                    tracing::warn!(
                        "bundle reload rejected, still serving the last good bundle: {}",
                        f.message
                    );
                }
            })
            .map_err(|e| ServeError::Start(e.to_string()))?,
        ),
        None => None,
    };
    let trail = opts.trail.map(Arc::new);
    let metrics = Arc::new(Metrics::default());
    let app = router(opts.store.clone(), trail.clone(), metrics, opts.config);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .map_err(|e| ServeError::Start(format!("cannot listen on {}: {e}", opts.addr)))?;
        let local = listener.local_addr()?;
        on_listening(local);
        tracing::info!(addr = %local, "serving");
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("shut down: in-flight requests finished");
        Ok::<_, ServeError>(())
    })?;
    if let Some(trail) = trail
        && let Err(e) = trail.flush()
    {
        tracing::error!("decision log: final flush failed: {e}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received");
}
