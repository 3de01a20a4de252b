//! Signed bundles: a detached ed25519 signature over a bundle's content hash, and the trusted
//! keys that judge it.
//!
//! A bundle is signed by signing `model-arbiter bundle v1\n<content hash>` (the domain
//! separates it from anything else a key might sign). The signature is a hidden file of the
//! bundle folder, [`SIGNATURE_FILE`]: hidden names are not bundle content
//! ([`crate::files::is_ignored_name`]), so signing does not change the hash it signs, and the
//! file ships with the folder (a ConfigMap, a copy, an archive). Keys are never read from the
//! bundle folder: trusted keys that lie inside it are refused.
//!
//! The formats are text, one record a line, `#` starting a comment line:
//!
//! - public key (`PREFIX.pub`, and each line of a trusted-keys file):
//!   `ed25519 <key id> <public key, base64>`;
//! - secret key (`PREFIX.key`): `ed25519-secret <key id> <32-byte seed, base64>`;
//! - signature ([`SIGNATURE_FILE`]): the lines `version 1`, `key <key id>`,
//!   `hash sha256:<hex>`, `signature <64 bytes, base64>`.
//!
//! A key id is the first 16 hexadecimal digits of the SHA-256 of the public key's 32 bytes; a
//! key line whose id does not match its key is refused, so an edited line cannot pass for
//! another key.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

/// The signature's file name inside the bundle folder (hidden: not part of the content hash).
pub const SIGNATURE_FILE: &str = ".signature";

/// What is signed: this line, then the bundle's content hash.
const DOMAIN: &str = "model-arbiter bundle v1\n";

/// The largest signature file read (a signature is about 200 bytes).
const SIGNATURE_BYTES: u64 = 4 << 10;

/// The largest key or trusted-keys file read.
const KEY_FILE_BYTES: u64 = 1 << 20;

/// Why a signature, a key or a trusted-keys file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A key or signature file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key or signature file is not in its format.
    #[error("{origin}:{line}: {message}")]
    Format {
        /// The file.
        origin: String,
        /// The line (1-based; 0 for the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The trusted keys lie inside the bundle folder they would judge.
    #[error(
        "the trusted keys `{}` lie inside the bundle folder `{}`: keys are never read from the bundle they judge (whoever can change the bundle could change them); keep them elsewhere",
        keys.display(), bundle.display()
    )]
    KeysInsideBundle {
        /// The trusted-keys file.
        keys: PathBuf,
        /// The bundle folder.
        bundle: PathBuf,
    },
    /// The bundle has no signature file.
    #[error(
        "`{}`: unsigned bundle, and trusted keys are configured ({keys}): sign it with `arbiter bundle sign DIR --key KEY`",
        path.display()
    )]
    Unsigned {
        /// Where the signature should be.
        path: PathBuf,
        /// The trusted-keys file.
        keys: String,
    },
    /// The signature names a key that is not trusted.
    #[error(
        "`{}`: bundle signed by key {key_id}, which is not in the trusted keys ({keys})",
        path.display()
    )]
    UnknownKey {
        /// The signature file.
        path: PathBuf,
        /// The key id it names.
        key_id: String,
        /// The trusted-keys file.
        keys: String,
    },
    /// The signature does not verify with the key it names.
    #[error(
        "`{}`: bundle signature by key {key_id} does not verify: the signature file was altered, or not made with that key",
        path.display()
    )]
    BadSignature {
        /// The signature file.
        path: PathBuf,
        /// The key id it names.
        key_id: String,
    },
    /// The signature is good, but for other content.
    #[error(
        "`{}`: bundle signature does not match its content (signed {}, content {}): the bundle was changed after signing",
        path.display(), short(signed), short(content)
    )]
    ContentChanged {
        /// The signature file.
        path: PathBuf,
        /// The hash signed.
        signed: String,
        /// The content's hash.
        content: String,
    },
    /// A catalog given in place of the bundle's is not covered by its signature.
    #[error(
        "a catalog given in place of the bundle's own (`--catalog`) is not covered by the bundle's signature: with trusted keys, put the catalog in the bundle and sign it"
    )]
    CatalogOverride,
    /// A bundle with no folder (the one built into the binary) cannot carry a signature.
    #[error(
        "the bundle built into this binary carries no signature: with --trusted-keys, give --bundle DIR, a signed bundle folder"
    )]
    Embedded,
}

impl SignatureError {
    /// The signature file at fault, when the error is about one.
    pub fn signature_file(&self) -> Option<&Path> {
        match self {
            SignatureError::Unsigned { path, .. }
            | SignatureError::UnknownKey { path, .. }
            | SignatureError::BadSignature { path, .. }
            | SignatureError::ContentChanged { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// `sha256:0123456789ab…`: a hash shortened for a message.
fn short(hash: &str) -> String {
    let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
    format!("sha256:{}…", &hex[..hex.len().min(12)])
}

/// The id of a public key: the first 16 hexadecimal digits of SHA-256 over its bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    let hash = crate::hash::sha256(key.as_bytes());
    let hex = hash.strip_prefix("sha256:").unwrap_or(&hash);
    hex[..16].to_string()
}

/// The message a signature covers: the domain line, then the content hash.
fn message(hash: &str) -> Vec<u8> {
    format!("{DOMAIN}{hash}").into_bytes()
}

/// A public key with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    id: String,
    key: VerifyingKey,
}

impl PublicKey {
    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as a line of a public-key or trusted-keys file: `ed25519 <id> <base64>`.
    pub fn to_line(&self) -> String {
        format!("ed25519 {} {}", self.id, BASE64.encode(self.key.as_bytes()))
    }
}

/// A secret (signing) key with its id.
pub struct SecretKey {
    id: String,
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// The key whose seed is `seed` (32 random bytes: the caller draws them).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        let key = SigningKey::from_bytes(seed);
        SecretKey {
            id: key_id(&key.verifying_key()),
            key,
        }
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The contents of a secret-key file.
    pub fn to_file_text(&self) -> String {
        format!(
            "# model-arbiter secret key: keep it private (arbiter bundle sign DIR --key FILE)\n\
             ed25519-secret {} {}\n",
            self.id,
            BASE64.encode(self.key.to_bytes())
        )
    }

    /// Reads a secret-key file.
    pub fn read(path: &Path) -> Result<SecretKey, SignatureError> {
        let text = read_text(path, KEY_FILE_BYTES, "a key file")?;
        let origin = path.display().to_string();
        let mut found = None;
        for (n, fields) in records(&text) {
            let format = |message: String| SignatureError::Format {
                origin: origin.clone(),
                line: n,
                message,
            };
            if found.is_some() {
                return Err(format("a secret-key file holds one key".into()));
            }
            let key = key_line(
                &fields,
                ("ed25519-secret", "seed"),
                (
                    "ed25519",
                    "this is a public key; signing needs the secret key (PREFIX.key)",
                ),
                |seed| {
                    let key = SecretKey::from_seed(seed);
                    Some((key.id.clone(), key))
                },
            )
            .map_err(format)?;
            found = Some(key);
        }
        found.ok_or_else(|| SignatureError::Format {
            origin,
            line: 0,
            message: "no key in the file".into(),
        })
    }

    /// Signs a bundle content hash: the contents of its [`SIGNATURE_FILE`].
    pub fn sign(&self, hash: &str) -> String {
        let signature = self.key.sign(&message(hash));
        format!(
            "# model-arbiter bundle signature (arbiter bundle sign); not part of the bundle's content\n\
             version 1\nkey {}\nhash {hash}\nsignature {}\n",
            self.id,
            BASE64.encode(signature.to_bytes())
        )
    }
}

/// The lines of a key or signature file that hold something, numbered from 1, split at
/// whitespace: blank lines and `#` comments left out.
fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, l.split_whitespace().collect()))
}

/// A key line `<kind> <key id> <32 bytes, base64>` split into `fields`: `expected` is (kind,
/// what the bytes are), `mistaken` (the other kind, what to say when given it); `make` builds
/// the key and its id from the bytes (`None`: not a key), and the id must be the line's.
fn key_line<K>(
    fields: &[&str],
    (kind, what): (&str, &str),
    (other, mistaken): (&str, &str),
    make: impl Fn(&[u8; 32]) -> Option<(String, K)>,
) -> Result<K, String> {
    let [given, id, text] = fields[..] else {
        return Err(format!("expected `{kind} <key id> <{what}, base64>`"));
    };
    if given != kind {
        return Err(if given == other {
            mistaken.to_string()
        } else {
            format!("unknown key kind `{given}`: expected `{kind}`")
        });
    }
    let bytes: [u8; 32] = decode(text, what)?;
    let (actual, key) = make(&bytes).ok_or_else(|| format!("not an ed25519 {what}"))?;
    if actual != id {
        return Err(format!(
            "the key id `{id}` is not this key's (its id is {actual})"
        ));
    }
    Ok(key)
}

/// Base64 of exactly `N` bytes.
fn decode<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = BASE64
        .decode(text)
        .map_err(|e| format!("the {what} is not base64: {e}"))?;
    let n = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("the {what} is {n} bytes long, not {N}"))
}

fn read_text(path: &Path, ceiling: u64, what: &str) -> Result<String, SignatureError> {
    crate::ceilings::read_text(path, ceiling, what).map_err(|source| SignatureError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The keys a bundle's signature must be made with, read from a trusted-keys file.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    path: PathBuf,
    keys: Vec<PublicKey>,
}

impl TrustedKeys {
    /// Reads a trusted-keys file: one `ed25519 <key id> <base64>` line per key (a public-key
    /// file is one), `#` comments and blank lines allowed. Every problem is an error, and so is
    /// a file with no key.
    pub fn read(path: &Path) -> Result<TrustedKeys, SignatureError> {
        let text = read_text(path, KEY_FILE_BYTES, "a trusted-keys file")?;
        TrustedKeys::parse(&text, path)
    }

    /// Parses the text of a trusted-keys file read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<TrustedKeys, SignatureError> {
        let origin = path.display().to_string();
        let mut keys = Vec::new();
        for (n, fields) in records(text) {
            let format = |message: String| SignatureError::Format {
                origin: origin.clone(),
                line: n,
                message,
            };
            let key = key_line(
                &fields,
                ("ed25519", "public key"),
                (
                    "ed25519-secret",
                    "this is a secret key: list public keys (PREFIX.pub) only, and keep the secret one private",
                ),
                |bytes| {
                    let key = VerifyingKey::from_bytes(bytes).ok()?;
                    let id = key_id(&key);
                    Some((id.clone(), PublicKey { id, key }))
                },
            )
            .map_err(format)?;
            if !keys.iter().any(|k: &PublicKey| k.id == key.id) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(SignatureError::Format {
                origin,
                line: 0,
                message: "no key in the file: every bundle would be refused".into(),
            });
        }
        Ok(TrustedKeys {
            path: path.to_path_buf(),
            keys,
        })
    }

    /// The file the keys were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The trusted keys, in file order.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Refuses trusted keys that lie inside the bundle folder `dir` (see [`keys_outside`]).
    pub fn check_outside(&self, dir: &Path) -> Result<(), SignatureError> {
        keys_outside(&self.path, dir)
    }

    /// Checks the signature of the bundle folder `dir` whose content hash is `hash` (the hash
    /// of [`crate::files::Files::read_dir`]), given the signature file's bytes as read (`None`:
    /// there is none, see [`read_signature`]). The id of the key that signed it, or why not.
    pub fn verify(
        &self,
        dir: &Path,
        hash: &str,
        signature: Option<&[u8]>,
    ) -> Result<String, SignatureError> {
        self.check_outside(dir)?;
        let path = dir.join(SIGNATURE_FILE);
        let Some(bytes) = signature else {
            return Err(SignatureError::Unsigned {
                path,
                keys: self.path.display().to_string(),
            });
        };
        let signed = Signed::parse(bytes, &path)?;
        let Some(key) = self.keys.iter().find(|k| k.id == signed.key_id) else {
            return Err(SignatureError::UnknownKey {
                path,
                key_id: signed.key_id,
                keys: self.path.display().to_string(),
            });
        };
        if key
            .key
            .verify_strict(&message(&signed.hash), &signed.signature)
            .is_err()
        {
            return Err(SignatureError::BadSignature {
                path,
                key_id: signed.key_id,
            });
        }
        if signed.hash != hash {
            return Err(SignatureError::ContentChanged {
                path,
                signed: signed.hash,
                content: hash.to_string(),
            });
        }
        Ok(signed.key_id)
    }
}

/// Refuses a trusted-keys file `keys` that lies inside the bundle folder `dir` (both
/// canonicalised, so symbolic links and `..` do not hide it): keys are never read from the
/// bundle they judge. Check before reading the keys.
pub fn keys_outside(keys: &Path, dir: &Path) -> Result<(), SignatureError> {
    let (Ok(canonical), Ok(bundle)) = (keys.canonicalize(), dir.canonicalize()) else {
        return Ok(());
    };
    if canonical.starts_with(&bundle) {
        return Err(SignatureError::KeysInsideBundle {
            keys: keys.to_path_buf(),
            bundle: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads the bundle folder's [`SIGNATURE_FILE`] (a regular file of at most 4 KiB), `None` when
/// there is none.
pub fn read_signature(dir: &Path) -> Result<Option<Vec<u8>>, SignatureError> {
    let path = dir.join(SIGNATURE_FILE);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    crate::ceilings::read_file(&path, SIGNATURE_BYTES, "a bundle signature")
        .map(Some)
        .map_err(|source| SignatureError::Io { path, source })
}

/// A parsed signature file.
struct Signed {
    key_id: String,
    hash: String,
    signature: ed25519_dalek::Signature,
}

impl Signed {
    fn parse(bytes: &[u8], path: &Path) -> Result<Signed, SignatureError> {
        let origin = path.display().to_string();
        let format = |line: usize, message: String| SignatureError::Format {
            origin: origin.clone(),
            line,
            message: format!("not a bundle signature: {message}"),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| format(0, "not UTF-8 text".into()))?;
        let (mut version, mut key_id, mut hash, mut signature) = (None, None, None, None);
        for (n, fields) in records(text) {
            let [name, value] = fields[..] else {
                return Err(format(n, "expected `<field> <value>`".into()));
            };
            let slot = match name {
                "version" => &mut version,
                "key" => &mut key_id,
                "hash" => &mut hash,
                "signature" => &mut signature,
                other => {
                    return Err(format(
                        n,
                        format!("unknown field `{other}` (fields: version, key, hash, signature)"),
                    ));
                }
            };
            if slot.replace((n, value)).is_some() {
                return Err(format(n, format!("`{name}` is given twice")));
            }
        }
        let missing = |name: &str| format(0, format!("no `{name}` line"));
        let (n, v) = version.ok_or_else(|| missing("version"))?;
        if v != "1" {
            return Err(format(
                n,
                format!("version {v} is not known (this arbiter reads version 1)"),
            ));
        }
        let (_, key_id) = key_id.ok_or_else(|| missing("key"))?;
        let (_, hash) = hash.ok_or_else(|| missing("hash"))?;
        let (n, signature) = signature.ok_or_else(|| missing("signature"))?;
        let bytes: [u8; 64] = decode(signature, "signature").map_err(|m| format(n, m))?;
        Ok(Signed {
            key_id: key_id.to_string(),
            hash: hash.to_string(),
            signature: ed25519_dalek::Signature::from_bytes(&bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "sha256:5f1e0f0b8c3a6d4e2b7a9c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f9a1b3c5d7e9f";

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32])
    }

    fn trusted(keys: &[&SecretKey]) -> TrustedKeys {
        let text: String = keys.iter().map(|k| k.public().to_line() + "\n").collect();
        TrustedKeys::parse(&text, Path::new("trusted")).unwrap()
    }

    fn verify(t: &TrustedKeys, hash: &str, sig: &str) -> Result<String, SignatureError> {
        t.verify(Path::new("/nonexistent/b"), hash, Some(sig.as_bytes()))
    }

    /// RFC 8032, section 7.1, test 1: the key id is over the standard public key.
    #[test]
    fn the_public_key_of_rfc_8032_test_1() {
        let seed: [u8; 32] = std::array::from_fn(|i| {
            u8::from_str_radix(
                &"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
                    [2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        });
        let k = SecretKey::from_seed(&seed);
        let public = k.public();
        assert_eq!(
            BASE64.encode(public.key.as_bytes()),
            BASE64.encode([
                0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
                0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
                0xf7, 0x07, 0x51, 0x1a
            ])
        );
        assert_eq!(public.id().len(), 16);
        assert_eq!(
            public.id(),
            &crate::hash::sha256(public.key.as_bytes())["sha256:".len()..][..16]
        );
    }

    #[test]
    fn a_signature_verifies_with_its_key_only_and_for_its_hash_only() {
        let (a, b) = (key(1), key(2));
        let sig = a.sign(HASH);
        assert_eq!(verify(&trusted(&[&a]), HASH, &sig).unwrap(), a.id());
        assert_eq!(verify(&trusted(&[&b, &a]), HASH, &sig).unwrap(), a.id());
        let e = verify(&trusted(&[&b]), HASH, &sig).unwrap_err();
        assert!(matches!(e, SignatureError::UnknownKey { .. }), "{e}");
        assert!(e.to_string().contains(a.id()), "{e}");
        let other = HASH.replace("5f1e", "5f1f");
        let e = verify(&trusted(&[&a]), &other, &sig).unwrap_err();
        assert!(
            e.to_string()
                .contains("does not match its content (signed sha256:5f1e0f0b8c3a…, content sha256:5f1f0f0b8c3a…): the bundle was changed after signing"),
            "{e}"
        );
    }

    #[test]
    fn an_edited_hash_line_or_signature_does_not_verify() {
        let a = key(1);
        let sig = a.sign(HASH);
        let other = HASH.replace("5f1e", "5f1f");
        let e = verify(&trusted(&[&a]), &other, &sig.replace(HASH, &other)).unwrap_err();
        assert!(matches!(e, SignatureError::BadSignature { .. }), "{e}");
        // The signature of another key, under this key's id.
        let forged = key(2).sign(HASH).replace(key(2).id(), a.id());
        let e = verify(&trusted(&[&a]), HASH, &forged).unwrap_err();
        assert!(matches!(e, SignatureError::BadSignature { .. }), "{e}");
    }

    #[test]
    fn malformed_files_are_refused_with_their_line() {
        let a = key(1);
        let sig = a.sign(HASH);
        for (text, needle) in [
            (
                sig.replace("version 1", "version 2"),
                ":2: not a bundle signature: version 2",
            ),
            (
                sig.replace("version 1\n", ""),
                ":0: not a bundle signature: no `version` line",
            ),
            (
                format!("{sig}key x\n"),
                ":6: not a bundle signature: `key` is given twice",
            ),
            (format!("{sig}colour blue\n"), "unknown field `colour`"),
            (
                sig.replace("signature ", "signature !"),
                "the signature is not base64",
            ),
            (
                sig.replace("signature ", "signature AAAA"),
                "the signature is 67 bytes long, not 64",
            ),
        ] {
            let e = verify(&trusted(&[&a]), HASH, &text).unwrap_err();
            assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
        }
        let line = a.public().to_line();
        for (text, needle) in [
            ("# nothing\n".to_string(), "no key in the file"),
            (line.replace("ed25519 ", "rsa "), "unknown key kind `rsa`"),
            (
                line.replacen(a.id(), "0000000000000000", 1),
                "is not this key's",
            ),
            (format!("{line} extra"), "expected `ed25519 <key id>"),
            (a.to_file_text(), "this is a secret key"),
        ] {
            let e = TrustedKeys::parse(&text, Path::new("t")).unwrap_err();
            assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
        }
    }

    #[test]
    fn key_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let a = key(7);
        let path = dir.path().join("k.key");
        std::fs::write(&path, a.to_file_text()).unwrap();
        let read = SecretKey::read(&path).unwrap();
        assert_eq!(read.id(), a.id());
        assert_eq!(read.sign(HASH), a.sign(HASH));
        std::fs::write(&path, a.public().to_line()).unwrap();
        let e = SecretKey::read(&path).unwrap_err();
        assert!(e.to_string().contains("this is a public key"), "{e}");
    }

    #[test]
    fn no_signature_file_is_none_and_an_unsigned_bundle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_signature(dir.path()).unwrap(), None);
        let e = trusted(&[&key(1)])
            .verify(dir.path(), HASH, None)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("unsigned bundle, and trusted keys are configured (trusted)"),
            "{e}"
        );
    }
}
