//! Shards: one library analysed by several machines (`index --shard i/n`),
//! each taking the files whose path relative to the library root hashes
//! to its number, then merged ([`super::merge`]).
//!
//! The hash is FNV-1a (64 bit) of the relative path with `/` between its
//! components: fixed by its published constants, so every build and every
//! machine agrees, whatever folder the library is mounted at (Rust's
//! `DefaultHasher` may change between releases). Five lines, so no crate.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (1-based), as given to `--shard i/n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's number, 1 to `count`.
    pub index: u32,
    /// How many shards the library is split into.
    pub count: u32,
}

/// At most this many shards (more would be a typo, not a cluster).
pub const MAX_SHARDS: u32 = 100_000;

impl std::str::FromStr for Shard {
    type Err = String;

    /// `i/n`, both whole numbers, `1 <= i <= n`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown = crate::store::text::safe(s);
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{shown}` is not of the form i/n (e.g. 2/8)"))?;
        let num = |t: &str, what: &str| {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{shown}`: the {what} is not a whole number"))
        };
        let (index, count) = (num(i, "shard number")?, num(n, "shard count")?);
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "`{shown}`: the shard count must be 1 to {MAX_SHARDS}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{shown}`: the shard number must be 1 to {count} (shards count from 1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the file at `rel` (relative to the library root) is this
    /// shard's.
    pub fn holds(&self, rel: &Path) -> bool {
        of(rel, self.count) == self.index
    }
}

/// The shard (1-based, of `count`) the file at `rel` belongs to.
pub fn of(rel: &Path, count: u32) -> u32 {
    (fnv1a(&key(rel)) % u64::from(count.max(1))) as u32 + 1
}

/// The bytes a relative path is hashed and compared by: its components
/// joined with `/` (the same on every platform).
pub fn key(rel: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c.as_os_str().as_encoded_bytes());
    }
    out
}

/// FNV-1a, 64 bit.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What a shard index records about itself and the whole library it saw:
/// the merge checks that the shards are the parts of one library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard's number (1-based).
    pub index: u32,
    /// How many shards.
    pub count: u32,
    /// Audio files the scan found in the whole library.
    pub library_files: u64,
    /// FNV-1a of every file's relative path ([`key`]), sorted, each
    /// followed by a NUL: the same library seen from any mount point.
    pub library_digest: u64,
}

impl ShardInfo {
    /// The record of `shard` for a library whose files are at `rels`.
    pub fn new(shard: Shard, rels: &[&Path]) -> Self {
        let mut keys: Vec<Vec<u8>> = rels.iter().map(|r| key(r)).collect();
        keys.sort_unstable();
        let mut all = Vec::new();
        for k in &keys {
            all.extend_from_slice(k);
            all.push(0);
        }
        ShardInfo {
            index: shard.index,
            count: shard.count,
            library_files: keys.len() as u64,
            library_digest: fnv1a(&all),
        }
    }

    /// The shard it is.
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.index,
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parses_i_of_n_and_names_what_is_wrong() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        for (bad, why) in [
            ("0/3", "must be 1 to 3"),
            ("4/3", "must be 1 to 3"),
            ("1/0", "count must be 1 to"),
            ("a/3", "shard number is not a whole number"),
            ("1/b", "shard count is not a whole number"),
            ("3", "not of the form i/n"),
            ("-1/3", "not a whole number"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn every_file_is_in_exactly_one_shard_and_shards_are_balanced() {
        let rels: Vec<String> = (0..3000).map(|i| format!("g{}/t{i}.wav", i % 7)).collect();
        let mut sizes = [0usize; 4];
        for r in &rels {
            let s = of(Path::new(r), 4);
            assert!((1..=4).contains(&s));
            let held: Vec<u32> = (1..=4)
                .filter(|&i| Shard { index: i, count: 4 }.holds(Path::new(r)))
                .collect();
            assert_eq!(held, vec![s]);
            sizes[s as usize - 1] += 1;
        }
        assert!(sizes.iter().all(|&n| (650..850).contains(&n)), "{sizes:?}");
        // The mount point does not count: only the relative path.
        assert_eq!(key(Path::new("a/b/c.wav")), b"a/b/c.wav");
    }

    #[test]
    fn the_library_digest_ignores_order_and_sees_any_difference() {
        let a = [Path::new("x/1.wav"), Path::new("y/2.wav")];
        let b = [Path::new("y/2.wav"), Path::new("x/1.wav")];
        let c = [Path::new("x/1.wav"), Path::new("y/3.wav")];
        let s = Shard { index: 1, count: 2 };
        assert_eq!(ShardInfo::new(s, &a), ShardInfo::new(s, &b));
        assert_ne!(
            ShardInfo::new(s, &a).library_digest,
            ShardInfo::new(s, &c).library_digest
        );
    }
}
