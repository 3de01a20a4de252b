//! Signed bundles through the `arbiter` binary: `bundle keygen`, `bundle sign`, `bundle verify`,
//! and `--trusted-keys` on `select`, `test` and `serve`. Keys are made by `keygen` in each test,
//! so key ids are read from the `.pub` files, never written down here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use arbiter_test_support::{Binary, BundleCopy, assert_exit, assert_says, repo, text};

const ARBITER: Binary = Binary::new(env!("CARGO_BIN_EXE_arbiter"));

const LEGAL: &str = "examples/tasks/legal-classification.yaml";

fn arbiter(args: &[&str]) -> Output {
    ARBITER.run(args)
}

/// A key made by `arbiter bundle keygen` in a folder of its own (outside every bundle).
struct Key {
    _dir: tempfile::TempDir,
    prefix: PathBuf,
    id: String,
}

impl Key {
    fn new(name: &str) -> Key {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join(name);
        let out = arbiter(&["bundle", "keygen", "--out", prefix.to_str().unwrap()]);
        assert_exit(&out, 0);
        let public = std::fs::read_to_string(with(&prefix, ".pub")).unwrap();
        let id = public
            .lines()
            .find_map(|l| l.strip_prefix("ed25519 "))
            .and_then(|l| l.split(' ').next())
            .unwrap()
            .to_string();
        assert_says(&out, &format!("key {id}"));
        Key {
            _dir: dir,
            prefix,
            id,
        }
    }

    fn secret(&self) -> String {
        path_arg(&with(&self.prefix, ".key"))
    }

    fn public(&self) -> String {
        std::fs::read_to_string(with(&self.prefix, ".pub")).unwrap()
    }
}

fn with(prefix: &Path, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}{ext}", prefix.display()))
}

fn path_arg(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A trusted-keys file listing `keys` (their `.pub` files put together), outside the bundles.
struct Trusted {
    _dir: tempfile::TempDir,
    path: String,
}

fn trusted(keys: &[&Key]) -> Trusted {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trusted-keys");
    std::fs::write(&path, keys.iter().map(|k| k.public()).collect::<String>()).unwrap();
    Trusted {
        path: path_arg(&path),
        _dir: dir,
    }
}

fn sign(bundle: &BundleCopy, key: &Key) -> Output {
    arbiter(&["bundle", "sign", bundle.arg(), "--key", &key.secret()])
}

/// A copy of `policies/` signed by a new key, and a trusted-keys file listing that key.
fn signed_policies() -> (Key, BundleCopy, Trusted) {
    let (key, bundle) = (Key::new("release"), BundleCopy::policies());
    let keys = trusted(&[&key]);
    assert_exit(&sign(&bundle, &key), 0);
    (key, bundle, keys)
}

fn select(bundle: &BundleCopy, trusted: &Trusted) -> Output {
    arbiter(&[
        "select",
        LEGAL,
        "--bundle",
        bundle.arg(),
        "--trusted-keys",
        &trusted.path,
        "--format",
        "json",
    ])
}

fn verify(bundle: &BundleCopy, trusted: &Trusted) -> Output {
    arbiter(&[
        "bundle",
        "verify",
        bundle.arg(),
        "--trusted-keys",
        &trusted.path,
    ])
}

fn signed_by(out: &Output) -> String {
    let d: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", text(out)));
    d["bundle"]["signed_by"].as_str().unwrap().to_string()
}

#[test]
fn a_signed_bundle_selects_naming_its_key_and_is_refused_once_edited() {
    let (key, bundle) = (Key::new("release"), BundleCopy::policies());
    let keys = trusted(&[&key]);
    // Without --trusted-keys: the bundle's part of the record, which names no key.
    let unchecked = || {
        let out = arbiter(&[
            "select",
            LEGAL,
            "--bundle",
            bundle.arg(),
            "--format",
            "json",
        ]);
        let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        d["bundle"].clone()
    };
    let before = unchecked();
    assert!(before.get("signed_by").is_none(), "{before}");
    let out = sign(&bundle, &key);
    assert_exit(&out, 0);
    assert_says(&out, &format!("by key {}", key.id));
    assert_says(&out, before["hash"].as_str().unwrap());
    // Signing does not change the content hash it signs.
    assert_eq!(unchecked(), before);

    let out = select(&bundle, &keys);
    assert_exit(&out, 0);
    assert_eq!(signed_by(&out), key.id);
    let out = verify(&bundle, &keys);
    assert_exit(&out, 0);
    assert_says(&out, &format!("signed by key {}", key.id));

    bundle.prepend_to_evaluate("domain", &["// edited after signing"]);
    for out in [
        select(&bundle, &keys),
        arbiter(&[
            "test",
            "--bundle",
            bundle.arg(),
            "--trusted-keys",
            &keys.path,
        ]),
    ] {
        assert_exit(&out, 2);
        assert_says(&out, ".signature");
        assert_says(&out, "bundle signature does not match its content");
        assert_says(&out, "the bundle was changed after signing");
    }
    let out = verify(&bundle, &keys);
    assert_exit(&out, 1);
    assert_says(&out, "changed after signing");
}

#[test]
fn an_unsigned_bundle_is_refused_when_keys_are_configured() {
    let (key, bundle) = (Key::new("release"), BundleCopy::policies());
    let keys = trusted(&[&key]);
    let out = select(&bundle, &keys);
    assert_exit(&out, 2);
    assert_says(&out, "unsigned bundle, and trusted keys are configured");
    assert_says(&out, &keys.path);
    let out = verify(&bundle, &keys);
    assert_exit(&out, 1);
    assert_says(&out, "unsigned bundle");
    // The built-in bundle cannot be signed: --trusted-keys needs a bundle folder.
    let dir = tempfile::tempdir().unwrap();
    let task = path_arg(&repo().join(LEGAL));
    let out = ARBITER.run_in(dir.path(), &["select", &task, "--trusted-keys", &keys.path]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        "the bundle built into this binary carries no signature",
    );
}

#[test]
fn keys_rotate_old_and_new_trusted_then_the_old_dropped() {
    let (old, new, bundle) = (Key::new("old"), Key::new("new"), BundleCopy::policies());
    let both = trusted(&[&old, &new]);
    assert_exit(&sign(&bundle, &old), 0);
    assert_eq!(signed_by(&select(&bundle, &both)), old.id);
    assert_exit(&sign(&bundle, &new), 0);
    assert_eq!(signed_by(&select(&bundle, &both)), new.id);
    // The old key removed from the trusted keys: its signatures are refused.
    let only_new = trusted(&[&new]);
    assert_eq!(signed_by(&select(&bundle, &only_new)), new.id);
    assert_exit(&sign(&bundle, &old), 0);
    let out = select(&bundle, &only_new);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &format!(
            "bundle signed by key {}, which is not in the trusted keys ({})",
            old.id, only_new.path
        ),
    );
}

#[test]
fn a_flipped_bit_in_the_signature_file_is_refused() {
    let (key, bundle, keys) = signed_policies();
    let path = bundle.file(".signature");
    let mut bytes = std::fs::read(&path).unwrap();
    let start = String::from_utf8_lossy(&bytes)
        .find("\nsignature ")
        .unwrap()
        + 11;
    // The first byte of the signature that stays a base64 letter or digit with its low bit flipped.
    let at = (start..bytes.len())
        .find(|&i| (bytes[i] ^ 1).is_ascii_alphanumeric())
        .unwrap();
    bytes[at] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let out = select(&bundle, &keys);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &format!("bundle signature by key {} does not verify", key.id),
    );
}

#[test]
fn trusted_keys_inside_the_bundle_folder_are_refused() {
    let (key, bundle, _) = signed_policies();
    bundle.write("keys/trusted", &key.public());
    let inside = path_arg(&bundle.path().join("criteria/../keys/trusted"));
    let task = LEGAL;
    for args in [
        vec![
            "select",
            task,
            "--bundle",
            bundle.arg(),
            "--trusted-keys",
            &inside,
        ],
        vec![
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--bundle",
            bundle.arg(),
            "--trusted-keys",
            &inside,
        ],
        vec!["bundle", "verify", bundle.arg(), "--trusted-keys", &inside],
    ] {
        let out = ARBITER.run_within(&args, Duration::from_secs(20));
        assert_exit(&out, 2);
        assert_says(&out, "lie inside the bundle folder");
    }
    // Nor may the secret key lie there: it would ship with the bundle.
    let secret = bundle.file("keys/.release.key");
    std::fs::copy(key.secret(), &secret).unwrap();
    let out = arbiter(&["bundle", "sign", bundle.arg(), "--key", &path_arg(&secret)]);
    assert_exit(&out, 2);
    assert_says(&out, "it would ship with the bundle");
}

#[test]
fn a_signed_decision_is_logged_with_its_key_and_replays() {
    let (key, bundle, keys) = signed_policies();
    let dir = tempfile::tempdir().unwrap();
    let log = path_arg(&dir.path().join("decisions.log"));
    let out = arbiter(&[
        "select",
        LEGAL,
        "--bundle",
        bundle.arg(),
        "--trusted-keys",
        &keys.path,
        "--log",
        &log,
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains(&format!("\"signed_by\":\"{}\"", key.id)),
        "{logged}"
    );
    let out = arbiter(&["audit", "verify", &log]);
    assert_exit(&out, 0);
    // The archive holds the content, not the signature: the replay compares the content.
    let out = arbiter(&["audit", "replay", &log]);
    assert_exit(&out, 0);
    assert_says(&out, "1 replayed: 1 identical");
}

#[test]
fn keygen_writes_a_private_secret_key_and_never_overwrites() {
    let key = Key::new("k");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key.secret())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(key.secret()).unwrap();
    let out = arbiter(&["bundle", "keygen", "--out", &path_arg(&key.prefix)]);
    assert_exit(&out, 2);
    assert_says(&out, "a key is never overwritten");
    assert_eq!(std::fs::read(key.secret()).unwrap(), before);
    // Two keys made in turn differ.
    assert_ne!(Key::new("k").id, key.id);
}
