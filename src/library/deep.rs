//! The index's table of deep embeddings (the `deep` and `fused` similarity
//! profiles). It sits beside the entries rather than inside them: the fast
//! analysis never waits for the network, and embeddings are added to an
//! index by a separate pass ([`super::embed`]) that can run later or in the
//! background.

use serde::{Deserialize, Serialize};

use super::index::Entry;
use crate::store::stamp::{Stamp, Stamped};

/// A track's deep embedding, or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeepRecord {
    /// The network's output, averaged over the track's patches.
    Embedded {
        /// Mean of `[mean_pool | max_pool]` over patches (1506 values).
        embedding: Vec<f32>,
        /// Mean of the 50 MSD tag scores, in the model's tag order.
        tags: Vec<f32>,
        /// Patches averaged.
        patches: u32,
        /// The track was shorter than one patch and was repeat-padded.
        repeat_padded: bool,
    },
    /// The embedding could not be computed.
    Failed {
        /// What went wrong, naming the file.
        reason: String,
    },
}

/// One track's record, valid while the file keeps its size and mtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepRow {
    /// Full path, raw OS bytes (as in [`Entry::path`]).
    pub path: Vec<u8>,
    /// Size in bytes when embedded.
    pub size: u64,
    /// Modification time when embedded, ns since the epoch.
    pub mtime_ns: i64,
    /// The embedding or failure.
    pub record: DeepRecord,
}

crate::store::stamp::stamped!(DeepRow);

/// Deep embeddings of an index's tracks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeepTable {
    /// Identity of the model that made them ([`crate::deep::model_id`]);
    /// empty when there are none.
    pub model: String,
    /// Records, sorted by path.
    pub rows: Vec<DeepRow>,
}

impl DeepTable {
    /// The record of `entry`, if it is still valid (same file).
    pub fn get(&self, entry: &Entry) -> Option<&DeepRecord> {
        let i = self
            .rows
            .binary_search_by(|r| r.path.as_slice().cmp(&entry.path))
            .ok()?;
        let r = self.rows.get(i)?;
        r.same_stamp(entry).then_some(&r.record)
    }

    /// Move the embedding of `entry` out of the table, if it has one (for
    /// a model build that consumes the index: no copy of 1506 values).
    pub fn take_embedding(&mut self, entry: &Entry) -> Option<Vec<f32>> {
        let i = self
            .rows
            .binary_search_by(|r| r.path.as_slice().cmp(&entry.path))
            .ok()?;
        let r = self.rows.get_mut(i)?;
        if !r.same_stamp(entry) {
            return None;
        }
        match &mut r.record {
            DeepRecord::Embedded { embedding, .. } => Some(std::mem::take(embedding)),
            DeepRecord::Failed { .. } => None,
        }
    }

    /// The embedding of `entry`, if it has one.
    pub fn embedding(&self, entry: &Entry) -> Option<&[f32]> {
        match self.get(entry)? {
            DeepRecord::Embedded { embedding, .. } => Some(embedding),
            DeepRecord::Failed { .. } => None,
        }
    }

    /// The tag scores of `entry`, if it has an embedding.
    pub fn tags(&self, entry: &Entry) -> Option<&[f32]> {
        match self.get(entry)? {
            DeepRecord::Embedded { tags, .. } => Some(tags),
            DeepRecord::Failed { .. } => None,
        }
    }

    /// Keep only the rows of analysed `entries` whose file is unchanged;
    /// true when the table changed.
    pub fn retain_valid(&mut self, entries: &[Entry]) -> bool {
        let valid: std::collections::HashMap<&[u8], Stamp> = entries
            .iter()
            .filter(|e| e.values().is_some())
            .map(|e| (e.path.as_slice(), e.stamp()))
            .collect();
        let before = self.rows.len();
        self.rows
            .retain(|r| valid.get(r.path.as_slice()) == Some(&r.stamp()));
        let mut changed = self.rows.len() != before;
        if self.rows.is_empty() && !self.model.is_empty() {
            self.model.clear();
            changed = true;
        }
        changed
    }

    /// Add or replace rows, keeping the table sorted by path.
    pub fn insert(&mut self, rows: impl IntoIterator<Item = DeepRow>) {
        let mut by_path: std::collections::BTreeMap<Vec<u8>, DeepRow> =
            self.rows.drain(..).map(|r| (r.path.clone(), r)).collect();
        for r in rows {
            by_path.insert(r.path.clone(), r);
        }
        self.rows = by_path.into_values().collect();
    }

    /// Number of tracks with an embedding.
    pub fn embedded(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.record, DeepRecord::Embedded { .. }))
            .count()
    }
}

/// What an embedding pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbedReport {
    /// Tracks embedded by this run.
    pub embedded: usize,
    /// Tracks that already had a current embedding.
    pub reused: usize,
    /// Tracks whose embedding failed: (path, reason).
    pub failed: Vec<(String, String)>,
    /// Stopped by Ctrl-C / cancel before the end (what was done is saved).
    pub interrupted: bool,
    /// Embeddings of another model were dropped.
    pub model_changed: bool,
    /// Tracks repeat-padded because they are shorter than one 3-s patch.
    pub padded: usize,
}

impl EmbedReport {
    /// A short summary for the terminal.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "deep embeddings: {} computed, {} unchanged, {} failed",
            self.embedded,
            self.reused,
            self.failed.len()
        );
        if self.padded > 0 {
            s.push_str(&format!(
                "; {} track(s) shorter than one 3-s patch were repeat-padded",
                self.padded
            ));
        }
        if self.model_changed {
            s.push_str(
                "; the deep model or patch budget changed, so every track was embedded again",
            );
        }
        if self.interrupted {
            s.push_str("; interrupted (what was done is saved)");
        }
        for (path, reason) in self.failed.iter().take(5) {
            // One line per failure, whatever the reason's text holds.
            let reason = crate::store::text::safe(reason);
            s.push_str(&format!("\n  {}: {reason}", crate::store::text::safe(path)));
        }
        if self.failed.len() > 5 {
            s.push_str(&format!("\n  … and {} more", self.failed.len() - 5));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::index::Outcome;

    fn entry(path: &str, size: u64) -> Entry {
        Entry {
            path: path.as_bytes().to_vec(),
            size,
            mtime_ns: 7,
            label: None,
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 1.0,
                values: vec![0.0],
            },
        }
    }

    fn row(path: &str, size: u64, v: f32) -> DeepRow {
        DeepRow {
            path: path.as_bytes().to_vec(),
            size,
            mtime_ns: 7,
            record: DeepRecord::Embedded {
                embedding: vec![v],
                tags: vec![v],
                patches: 1,
                repeat_padded: false,
            },
        }
    }

    #[test]
    fn records_follow_their_files() {
        let mut t = DeepTable {
            model: "m".into(),
            rows: Vec::new(),
        };
        t.insert([row("/b", 1, 2.0), row("/a", 1, 1.0), row("/c", 1, 3.0)]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.embedding(&entry("/a", 1)), Some(&[1.0f32][..]));
        assert_eq!(t.embedding(&entry("/b", 1)), Some(&[2.0f32][..]));
        // The file changed: its record no longer counts.
        assert_eq!(t.embedding(&entry("/b", 2)), None);
        t.insert([row("/b", 2, 5.0)]);
        assert_eq!(t.embedding(&entry("/b", 2)), Some(&[5.0f32][..]));
        // /c was removed from the library, /a changed.
        t.retain_valid(&[entry("/a", 9), entry("/b", 2)]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.model, "m");
        t.retain_valid(&[]);
        assert!(t.rows.is_empty() && t.model.is_empty());
    }
}
