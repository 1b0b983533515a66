//! The library: scanning folders, labels, and the incremental index.
