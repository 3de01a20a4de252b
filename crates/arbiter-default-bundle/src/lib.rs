//! The default bundle, `policies/`, built in: every file of the folder as (path inside the
//! bundle, contents), in path order, embedded by `build.rs`. A front end turns them into a
//! bundle with `arbiter_engine::bundle::Files::from_pairs(FILES.iter().copied())` (which applies
//! the engine's ignore rule) and `Bundle::from_files`, so that the same files give the same
//! bundle hash as loading `policies/` from disk.

include!(concat!(env!("OUT_DIR"), "/embedded_bundle.rs"));

/// The origin a bundle loaded from [`FILES`] reports (in errors and `Bundle::origin`).
pub const ORIGIN: &str = "<embedded>";
