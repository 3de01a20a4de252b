//! Signed bundles in the store: a reload whose signature is missing, made by an untrusted key,
//! altered, or over other content is refused with a message naming the signature file, and the
//! last good bundle keeps serving; re-signing unchanged content (a key rotation) is a reload.
//! Keys are made from fixed seeds, signatures by the engine's own signing, nothing hard-coded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::Path;

use arbiter_engine::bundle::Files;
use arbiter_engine::signature::{SIGNATURE_FILE, SecretKey, TrustedKeys};
use arbiter_engine::store::{BundleStore, ReloadOutcome};
use arbiter_engine::{Bundle, decide, load};
use arbiter_test_support::{BundleCopy, repo};

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32])
}

/// A trusted-keys file listing `keys`, in a folder of its own (outside every bundle).
struct Keys {
    _dir: tempfile::TempDir,
    keys: TrustedKeys,
}

fn trusted(keys: &[&SecretKey]) -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trusted-keys");
    let text: String = keys
        .iter()
        .map(|k| format!("# key {}\n{}\n", k.id(), k.public().to_line()))
        .collect();
    std::fs::write(&path, text).unwrap();
    let keys = TrustedKeys::read(&path).unwrap();
    Keys { _dir: dir, keys }
}

/// Signs the folder's current content with `key`, as `arbiter bundle sign` does.
fn sign(dir: &Path, key: &SecretKey) {
    let hash = Files::read_dir(dir).unwrap().hash();
    std::fs::write(dir.join(SIGNATURE_FILE), key.sign(&hash)).unwrap();
}

fn tiny() -> BundleCopy {
    BundleCopy::of("tests/bundles/tiny")
}

fn store(bundle: &BundleCopy, keys: &Keys) -> BundleStore {
    BundleStore::new(bundle.path(), None).trusting(keys.keys.clone())
}

/// The refusal's message; fails the test if the outcome is not a refusal.
#[track_caller]
fn refused(outcome: ReloadOutcome) -> String {
    match outcome {
        ReloadOutcome::Rejected(f) => f.message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[track_caller]
fn activated(outcome: ReloadOutcome) {
    assert!(
        matches!(outcome, ReloadOutcome::Activated { .. }),
        "{outcome:?}"
    );
}

/// The task the tiny bundle is watched with in the CLI tests.
fn task() -> arbiter_engine::Task {
    load::load_task(&repo().join("tests/cases/watch-task.yaml")).unwrap()
}

#[test]
fn a_bundle_edited_after_signing_is_refused_on_reload_and_the_last_good_one_serves() {
    let (a, bundle) = (key(1), tiny());
    let keys = trusted(&[&a]);
    sign(bundle.path(), &a);
    let store = store(&bundle, &keys);
    activated(store.reload());
    let good = store.snapshot().unwrap();
    assert_eq!(good.signed_by.as_deref(), Some(a.id()));
    let d = decide(&good, task()).unwrap();
    assert_eq!(d.bundle.signed_by.as_deref(), Some(a.id()));

    bundle.patch_script(
        "size",
        "fn evaluate",
        "// edited after signing\nfn evaluate",
    );
    let message = refused(store.reload());
    assert!(message.contains(SIGNATURE_FILE), "{message}");
    assert!(
        message.contains("bundle signature does not match its content")
            && message.contains("the bundle was changed after signing"),
        "{message}"
    );
    // The last good bundle keeps serving, and the failure names the signature file.
    assert_eq!(store.snapshot().unwrap().hash, good.hash);
    assert_eq!(store.generation(), 1);
    let failure = store.last_failure().unwrap();
    assert!(
        failure.file.as_deref().unwrap().ends_with(SIGNATURE_FILE),
        "{failure:?}"
    );
    assert_ne!(failure.hash, good.hash);
    // The same refused content is not retried; signing it again activates it.
    assert!(matches!(store.reload(), ReloadOutcome::Unchanged { .. }));
    sign(bundle.path(), &a);
    activated(store.reload());
    assert_ne!(store.snapshot().unwrap().hash, good.hash);
}

#[test]
fn an_unsigned_bundle_is_refused_when_keys_are_configured_and_signing_it_activates_it() {
    let (a, bundle) = (key(1), tiny());
    let keys = trusted(&[&a]);
    let store = store(&bundle, &keys);
    let message = refused(store.reload());
    assert!(
        message.contains("unsigned bundle, and trusted keys are configured"),
        "{message}"
    );
    assert!(message.contains(SIGNATURE_FILE), "{message}");
    assert!(store.snapshot().is_none());
    // Without keys the same folder loads: the refusal was the signature's.
    activated(BundleStore::new(bundle.path(), None).reload());
    // The content is unchanged, but the signature is new: not skipped as already refused.
    sign(bundle.path(), &a);
    activated(store.reload());
    assert_eq!(store.snapshot().unwrap().signed_by.as_deref(), Some(a.id()));
    // And `Bundle::load_trusting`, as `select` uses it, agrees.
    let loaded = Bundle::load_trusting(bundle.path(), None, Some(&keys.keys)).unwrap();
    assert_eq!(loaded.signed_by.as_deref(), Some(a.id()));
    std::fs::remove_file(bundle.file(SIGNATURE_FILE)).unwrap();
    let e = Bundle::load_trusting(bundle.path(), None, Some(&keys.keys)).unwrap_err();
    assert!(e.to_string().contains("unsigned bundle"), "{e}");
}

#[test]
fn keys_rotate_by_trusting_both_re_signing_with_the_new_and_dropping_the_old() {
    let (old, new, bundle) = (key(1), key(2), tiny());
    sign(bundle.path(), &old);
    let both = trusted(&[&old, &new]);
    let store = store(&bundle, &both);
    activated(store.reload());
    assert_eq!(
        store.snapshot().unwrap().signed_by.as_deref(),
        Some(old.id())
    );
    // Re-signed with the new key, the content unchanged: a reload, now signed by the new key.
    sign(bundle.path(), &new);
    activated(store.reload());
    let active = store.snapshot().unwrap();
    assert_eq!(active.signed_by.as_deref(), Some(new.id()));
    assert_eq!(store.generation(), 2);
    // The old key dropped from the trusted keys: the new signature passes, the old one not.
    let only_new = trusted(&[&new]);
    activated(self::store(&bundle, &only_new).reload());
    sign(bundle.path(), &old);
    let message = refused(self::store(&bundle, &only_new).reload());
    assert!(
        message.contains(&format!(
            "bundle signed by key {}, which is not in the trusted keys",
            old.id()
        )),
        "{message}"
    );
    assert!(message.contains(SIGNATURE_FILE), "{message}");
}

#[test]
fn a_flipped_bit_in_the_signature_is_refused() {
    let (a, bundle) = (key(1), tiny());
    sign(bundle.path(), &a);
    let keys = trusted(&[&a]);
    let store = store(&bundle, &keys);
    activated(store.reload());
    let path = bundle.file(SIGNATURE_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("\nsignature ").unwrap() + "\nsignature ".len();
    // The first character of the signature whose lowest bit flipped is still base64.
    let (at, flipped) = text[start..]
        .char_indices()
        .map(|(i, c)| (start + i, char::from(c as u8 ^ 1)))
        .find(|(_, c)| c.is_ascii_alphanumeric())
        .unwrap();
    let mut bytes = text.into_bytes();
    bytes[at] = flipped as u8;
    std::fs::write(&path, bytes).unwrap();
    let message = refused(store.reload());
    assert!(
        message.contains(&format!(
            "bundle signature by key {} does not verify",
            a.id()
        )),
        "{message}"
    );
    assert_eq!(store.generation(), 1);
    assert_eq!(store.snapshot().unwrap().signed_by.as_deref(), Some(a.id()));
}

#[test]
fn trusted_keys_inside_the_bundle_folder_are_refused() {
    let (a, bundle) = (key(1), tiny());
    sign(bundle.path(), &a);
    std::fs::create_dir(bundle.file("keys")).unwrap();
    let inside = bundle.file("keys/trusted");
    std::fs::write(&inside, a.public().to_line()).unwrap();
    // Named through `..`, it is still inside once canonicalised.
    let sneaky = bundle.path().join("keys/../keys/trusted");
    let keys = TrustedKeys::read(&sneaky).unwrap();
    let e = Bundle::load_trusting(bundle.path(), None, Some(&keys)).unwrap_err();
    assert!(
        e.to_string().contains("lie inside the bundle folder")
            && e.to_string()
                .contains("keys are never read from the bundle they judge"),
        "{e}"
    );
    let message = refused(
        BundleStore::new(bundle.path(), None)
            .trusting(keys)
            .reload(),
    );
    assert!(
        message.contains("lie inside the bundle folder"),
        "{message}"
    );
}

#[test]
fn a_catalog_override_or_an_unsigned_bundle_activated_directly_is_refused_with_keys() {
    let (a, bundle) = (key(1), tiny());
    sign(bundle.path(), &a);
    let keys = trusted(&[&a]);
    let catalog = bundle.file("catalog.yaml");
    let with_catalog =
        BundleStore::new(bundle.path(), Some(catalog.clone())).trusting(keys.keys.clone());
    let message = refused(with_catalog.reload());
    assert!(
        message.contains("not covered by the bundle's signature"),
        "{message}"
    );
    let e = Bundle::load_trusting(bundle.path(), Some(&catalog), Some(&keys.keys)).unwrap_err();
    assert!(e.to_string().contains("not covered"), "{e}");
    // A bundle loaded without its signature checked cannot go live on a trusting store.
    let unchecked = Bundle::load(bundle.path(), None).unwrap();
    let message = refused(store(&bundle, &keys).activate(unchecked));
    assert!(message.contains("unsigned bundle"), "{message}");
}
