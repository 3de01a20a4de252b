//! Which bundle a command uses: `--bundle DIR`, else `./policies`, else the embedded default.

use std::path::{Path, PathBuf};

use arbiter_engine::bundle::{CatalogOverride, Files, SignatureError, TrustedKeys};
use arbiter_engine::{Bundle, BundleError};
use clap::Args;

/// Bundle options shared by the commands that decide.
#[derive(Args, Debug, Clone)]
pub struct BundleArgs {
    /// The bundle folder (bundle.toml, catalog, criteria/). Default: ./policies if it holds a
    /// bundle.toml, else the default bundle built into this binary.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Use this catalog instead of the bundle's own (the bundle hash then covers it).
    #[arg(long, value_name = "FILE", conflicts_with = "trusted_keys")]
    pub catalog: Option<PathBuf>,
    /// Refuse a bundle unless its signature (DIR/.signature, by `arbiter bundle sign`) verifies
    /// with one of the keys listed in FILE (`ed25519 <key id> <base64>` lines, e.g. PREFIX.pub
    /// files put together); the decision records the key id. FILE must lie outside the bundle
    /// folder, and a bundle folder must be given (the built-in bundle carries no signature).
    /// `serve` and `watch` read FILE once, at start.
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: Option<PathBuf>,
    /// Compute every verdict by a script call. By default a verdict is reused when an earlier
    /// task agreed on every field its script read (the same decisions, fewer calls).
    #[arg(long)]
    pub no_cache: bool,
}

/// The folder `--bundle` or `./policies` names, if any; applies `--no-cache` to every bundle
/// loaded from now on (a service reloads bundles itself).
pub fn bundle_dir(args: &BundleArgs) -> Option<PathBuf> {
    arbiter_engine::cache::set_enabled_by_default(!args.no_cache);
    args.bundle.clone().or_else(|| {
        let local = Path::new("policies");
        local
            .join("bundle.toml")
            .is_file()
            .then(|| local.to_path_buf())
    })
}

/// The trusted keys `--trusted-keys` names, read and checked to lie outside the bundle folder
/// `dir` (none given: the built-in bundle, which cannot be signed).
pub fn trusted_keys(
    args: &BundleArgs,
    dir: Option<&Path>,
) -> Result<Option<TrustedKeys>, SignatureError> {
    let Some(path) = &args.trusted_keys else {
        return Ok(None);
    };
    let Some(dir) = dir else {
        return Err(SignatureError::Embedded);
    };
    arbiter_engine::signature::keys_outside(path, dir)?;
    TrustedKeys::read(path).map(Some)
}

/// Loads the bundle the options name (its signature verified, with `--trusted-keys`).
pub fn load(args: &BundleArgs) -> Result<Bundle, BundleError> {
    let dir = bundle_dir(args);
    let trusted = trusted_keys(args, dir.as_deref())?;
    match dir {
        Some(dir) => Bundle::load_trusting(&dir, args.catalog.as_deref(), trusted.as_ref()),
        None => {
            let mut files = Files::from_pairs(arbiter_default_bundle::FILES.iter().copied());
            let origin = arbiter_default_bundle::ORIGIN;
            let replaced = args
                .catalog
                .as_deref()
                .map(|path| files.replace_catalog(path, origin))
                .transpose()?;
            Bundle::from_files(files, origin.into())
                .map_err(|e| CatalogOverride::rename(replaced.as_ref(), e))
        }
    }
}
