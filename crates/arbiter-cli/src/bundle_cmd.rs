//! `arbiter bundle`: signing keys, and signing and verifying bundle folders.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use arbiter_engine::Bundle;
use arbiter_engine::bundle::Files;
use arbiter_engine::signature::{self, SecretKey, SignatureError, TrustedKeys};
use clap::{Args, Subcommand};

use crate::exit;

#[derive(Subcommand)]
pub enum BundleCommand {
    /// Make a signing key: PREFIX.key (secret, mode 0600) and PREFIX.pub (to trust).
    #[command(
        long_about = "Make an ed25519 signing key from the operating system's random source: \
            PREFIX.key, the secret key (mode 0600: keep it private, never in a bundle folder), \
            and PREFIX.pub, the public key, one line `ed25519 <key id> <base64>`. A key id is the \
            first 16 hexadecimal digits of the SHA-256 of the public key. Existing files are \
            never overwritten.",
        after_help = "Examples:\n  \
            arbiter bundle keygen --out keys/release-2026\n  \
            cat keys/release-2026.pub >> trusted-keys"
    )]
    Keygen(KeygenArgs),
    /// Sign a bundle folder: write DIR/.signature over its content hash.
    #[command(
        long_about = "Sign a bundle folder: the bundle must load (manifest, catalog, scripts), \
            then DIR/.signature is written, holding the key id, the bundle's content hash and \
            an ed25519 signature of `model-arbiter bundle v1\\n<hash>`. Hidden files are not \
            bundle content, so the signature does not change the hash it signs, and it travels \
            with the folder (a copy, a ConfigMap). Any later change to the bundle's files \
            invalidates it. The key must not lie inside the bundle folder.",
        after_help = "Examples:\n  \
            arbiter bundle sign policies --key keys/release-2026.key\n  \
            arbiter select task.yaml --bundle policies --trusted-keys trusted-keys\n\n\
            Exit codes: 0 signed, 2 the bundle does not load or the key cannot be used."
    )]
    Sign(SignArgs),
    /// Check a bundle folder's signature against trusted keys; exit 1 saying why it fails.
    #[command(
        long_about = "Check a bundle folder's signature (DIR/.signature) the way `select`, \
            `serve` and `test` do with --trusted-keys: it must exist, name a key listed in FILE, \
            verify with that key, and sign the folder's current content hash. Prints the key id \
            and the hash, or why the bundle would be refused.",
        after_help = "Examples:\n  \
            arbiter bundle verify policies --trusted-keys trusted-keys\n\n\
            Exit codes: 0 the signature verifies, 1 it is missing or does not verify, \
            2 the trusted-keys file or the folder cannot be read."
    )]
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Where to write the key: PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
}

#[derive(Args)]
pub struct SignArgs {
    /// The bundle folder.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The secret key file (PREFIX.key, from `arbiter bundle keygen`).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The bundle folder.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The trusted public keys, one `ed25519 <key id> <base64>` line each.
    #[arg(long, value_name = "FILE")]
    trusted_keys: PathBuf,
}

pub fn run(cmd: &BundleCommand) -> anyhow::Result<u8> {
    match cmd {
        BundleCommand::Keygen(args) => keygen(args),
        BundleCommand::Sign(args) => sign(args),
        BundleCommand::Verify(args) => verify(args),
    }
}

/// `PREFIX` with `.ext` appended (not replacing an extension: `keys/release.2026` stays whole).
fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<u8> {
    // Errors are `error: …` and exit 2 (main).
    let (secret_path, public_path) = (
        with_suffix(&args.out, ".key"),
        with_suffix(&args.out, ".pub"),
    );
    for path in [&secret_path, &public_path] {
        if path.exists() {
            bail!(
                "`{}` exists: a key is never overwritten (choose another --out)",
                path.display()
            );
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| anyhow!("the operating system's random source failed: {e}"))?;
    let key = SecretKey::from_seed(&seed);
    seed.fill(0);
    let public = format!(
        "# model-arbiter public key: list this line in a --trusted-keys file\n{}\n",
        key.public().to_line()
    );
    for (path, text, secret) in [
        (&secret_path, key.to_file_text(), true),
        (&public_path, public, false),
    ] {
        write_new(path, text.as_bytes(), secret)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    println!("key {}", key.id());
    println!("  secret: {} (keep it private)", secret_path.display());
    println!("  public: {}", public_path.display());
    Ok(exit::OK)
}

/// Writes a file that must not exist yet; a secret one is readable by its owner only.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sign(args: &SignArgs) -> anyhow::Result<u8> {
    // A secret key inside the folder would ship with the bundle (hidden files travel too).
    // Errors are `error: …` and exit 2 (main).
    if let Err(SignatureError::KeysInsideBundle { .. }) =
        signature::keys_outside(&args.key, &args.dir)
    {
        bail!(
            "the key `{}` lies inside the bundle folder `{}`: it would ship with the bundle; keep secret keys elsewhere",
            args.key.display(),
            args.dir.display()
        );
    }
    let key = SecretKey::read(&args.key)?;
    let files = Files::read_dir(&args.dir)?;
    let hash = files.hash();
    // The signer vouches for a bundle that loads.
    if let Err(e) = Bundle::from_files(files, args.dir.display().to_string()) {
        crate::diagnostics::print_bundle(&e);
        eprintln!("error: not signed: the bundle does not load");
        return Ok(exit::INVALID);
    }
    let path = args.dir.join(signature::SIGNATURE_FILE);
    // Written beside it and renamed, so a reader sees the old signature or the new one.
    let temp = args.dir.join(format!("{}.tmp", signature::SIGNATURE_FILE));
    let written =
        std::fs::write(&temp, key.sign(&hash)).and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write `{}`", path.display()))?;
    println!("signed {} by key {}", args.dir.display(), key.id());
    println!("  hash: {hash}");
    println!("  signature: {}", path.display());
    Ok(exit::OK)
}

fn verify(args: &VerifyArgs) -> anyhow::Result<u8> {
    // Unreadable keys or folder: `error: …` and exit 2 (main); a refused signature: exit 1.
    signature::keys_outside(&args.trusted_keys, &args.dir)?;
    let keys = TrustedKeys::read(&args.trusted_keys)?;
    let hash = Files::read_dir(&args.dir)?.hash();
    let checked = signature::read_signature(&args.dir)
        .and_then(|sig| keys.verify(&args.dir, &hash, sig.as_deref()));
    match checked {
        Ok(id) => {
            println!("ok: {} is signed by key {id}", args.dir.display());
            println!("  hash: {hash}");
            Ok(exit::OK)
        }
        Err(e) => {
            eprintln!("refused: {e}");
            Ok(exit::NO_CHOICE)
        }
    }
}
