//! Model Arbiter's audit trail: decision records, the hash-chained decision log, the
//! content-addressed bundle store, and verify / replay / diff over them.
