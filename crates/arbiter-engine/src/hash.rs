//! Content hashes: SHA-256 as `sha256:<lower-case hex>`, for bundles, catalogs, tasks and the
//! decision log.

use sha2::{Digest, Sha256};

/// Lower-case hexadecimal of a digest (`sha2`'s `LowerHex`, no hand loop).
fn hex(digest: &impl std::fmt::LowerHex) -> String {
    format!("{digest:x}")
}

/// SHA-256 of bytes, as `sha256:<hex>`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// SHA-256 over parts fed in turn, finished as `sha256:<hex>`.
#[derive(Debug, Default, Clone)]
pub struct Hasher(Sha256);

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash of everything fed, as `sha256:<hex>`.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex(&self.0.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut h = Hasher::default();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), sha256(b"abc"));
    }
}
