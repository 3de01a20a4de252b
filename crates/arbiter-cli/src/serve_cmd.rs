//! `arbiter serve`: the HTTP decision service.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arbiter_engine::store::{BundleStore, ReloadOutcome};
use arbiter_server::serve::{self, ServeOptions};
use arbiter_server::{ServiceConfig, WatchConfig, WatchMode};
use clap::{Args, ValueEnum};

use crate::bundles::{self, BundleArgs};
use crate::exit;
use crate::select::LogSync;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    bundle: BundleArgs,
    /// Address to listen on. Loopback by default; `0.0.0.0:8080` exposes the service.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Append every decision to this tamper-evident log (bundles go to FILE.bundles/), or to
    /// the PostgreSQL decision store at a `postgres://user:password@host/db` URL, which
    /// replicas share (one chain; the tables are created on first use). Read from
    /// ARBITER_DECISION_LOG when not given, so that a URL with a password can come from a secret.
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "ARBITER_DECISION_LOG",
        hide_env_values = true
    )]
    log: Option<PathBuf>,
    /// This replica's name, written into every record it appends and shown by /v1/bundle
    /// (default: the host name, a pod's name on Kubernetes).
    #[arg(long, value_name = "ID")]
    replica_id: Option<String>,
    /// When logged decisions reach the disk.
    #[arg(long, value_enum, default_value_t = LogSync::Always, requires = "log")]
    log_sync: LogSync,
    /// Log only the first N ranked models of each decision, the other models and the vetoes
    /// counted (the record says so, and replays). For catalogs of thousands of models, whose full
    /// records run to megabytes.
    #[arg(long, value_name = "N", requires = "log")]
    record_top: Option<usize>,
    /// Require `Authorization: Bearer <token>` on /v1/*, the token read from this file.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// How bundle changes are noticed.
    #[arg(long = "watch", value_enum, default_value_t = Mode::Native)]
    mode: Mode,
    /// Decisions evaluated at once (default: twice the CPU count); more wait for a slot.
    #[arg(long, value_name = "N")]
    max_concurrency: Option<usize>,
    /// Per-request deadline in milliseconds (waiting plus evaluating); past it, 503.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    deadline_ms: u64,
    /// Largest request body in bytes; larger bodies get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body_bytes: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// Operating-system events.
    Native,
    /// Polling (network filesystems).
    Poll,
    /// Do not watch: serve the bundle as loaded at start.
    Off,
}

pub fn run(args: &ServeArgs) -> anyhow::Result<u8> {
    let token = match &args.token_file {
        None => None,
        Some(path) => match arbiter_engine::ceilings::read_text(path, 64 << 10, "a token file") {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            Ok(_) => {
                eprintln!("error: the token file `{}` is empty", path.display());
                return Ok(exit::INVALID);
            }
            Err(e) => {
                eprintln!(
                    "error: cannot read the token file `{}`: {e}",
                    path.display()
                );
                return Ok(exit::INVALID);
            }
        },
    };
    let dir = bundles::bundle_dir(&args.bundle);
    let trusted = match bundles::trusted_keys(&args.bundle, dir.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::INVALID);
        }
    };
    let (store, watch) = match dir {
        Some(dir) => {
            let mut store = BundleStore::new(&dir, args.bundle.catalog.clone());
            if let Some(keys) = trusted {
                store = store.trusting(keys);
            }
            let store = Arc::new(store);
            if let ReloadOutcome::Rejected(f) = store.reload() {
                eprintln!(
                    "warning: bundle rejected, not ready until it is fixed: {}",
                    f.message
                );
            }
            let mode = match args.mode {
                Mode::Native => Some(WatchMode::Native),
                Mode::Poll => Some(WatchMode::Poll),
                Mode::Off => None,
            };
            (
                store,
                mode.map(|mode| WatchConfig {
                    mode,
                    ..WatchConfig::default()
                }),
            )
        }
        None => {
            let store = Arc::new(BundleStore::new("<embedded>", None));
            match bundles::load(&args.bundle) {
                Ok(b) => {
                    store.activate(b);
                }
                Err(e) => {
                    crate::diagnostics::print_bundle(&e);
                    return Ok(exit::INVALID);
                }
            }
            (store, None)
        }
    };
    let replica = args
        .replica_id
        .clone()
        .filter(|r| !r.trim().is_empty())
        .or_else(host_name);
    let trail =
        match args
            .log_sync
            .open(args.log.as_deref(), args.record_top, replica.clone(), true)
        {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::NOT_RECORDED);
            }
        };
    // The service finds logged decisions by id and lists the latest: index the log once, now,
    // rather than on the first request.
    if let Some(t) = &trail {
        let started = std::time::Instant::now();
        match t.build_index() {
            Ok(None) => {}
            Ok(Some(n)) => tracing::info!(
                records = n,
                took_ms = started.elapsed().as_secs_f64() * 1000.0,
                "decision log indexed"
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::NOT_RECORDED);
            }
        }
    }
    let mut config = ServiceConfig {
        deadline: Duration::from_millis(args.deadline_ms.max(1)),
        max_body_bytes: args.max_body_bytes,
        token,
        replica,
        ..ServiceConfig::default()
    };
    if let Some(n) = args.max_concurrency {
        config.max_concurrency = n.max(1);
    }
    let opts = ServeOptions {
        addr: args.addr,
        store,
        watch,
        trail,
        config,
    };
    serve::run(opts, |addr| {
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
    })?;
    Ok(exit::OK)
}

/// The host name (a pod's name on Kubernetes): the kernel's, else `$HOSTNAME`.
fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}
