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

/// SHA-256 of several parts fed in turn, as `sha256:<hex>`.
pub fn sha256_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    format!("sha256:{}", hex(&h.finalize()))
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
        assert_eq!(sha256_parts([b"a".as_slice(), b"bc"]), sha256(b"abc"));
    }
}
