//! Genre labels: from the GTZAN layout `root/<genre>/<file>`, or from the
//! genre tags (normalised by [`crate::tags::genre`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::index::Entry;
use crate::store::paths::from_bytes;

/// Where genre labels come from (`--labels`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelSource {
    /// Folders when every file is in the GTZAN layout, else genre tags.
    #[default]
    Auto,
    /// The GTZAN layout's folders (no labels in any other tree).
    Folder,
    /// The primary genre tag.
    Tag,
    /// No labels.
    None,
}

impl LabelSource {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            LabelSource::Auto => "auto",
            LabelSource::Folder => "folder",
            LabelSource::Tag => "tag",
            LabelSource::None => "none",
        }
    }

    /// The source named `s` (`auto`, `folder`, `tag` or `none`).
    pub fn parse(s: &str) -> Option<LabelSource> {
        [
            LabelSource::Auto,
            LabelSource::Folder,
            LabelSource::Tag,
            LabelSource::None,
        ]
        .into_iter()
        .find(|l| l.name() == s)
    }
}

impl std::fmt::Display for LabelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LabelSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelSource::parse(s).ok_or_else(|| {
            format!(
                "unknown label source {:?} (expected auto, folder, tag or none)",
                crate::store::text::safe(s)
            )
        })
    }
}

/// Where the labels of a library came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    /// Folder names (GTZAN layout).
    Folder,
    /// Genre tags.
    Tag,
    /// None.
    None,
}

/// Label every entry of the library at `root` from `source`; returns the
/// source used (for `auto`: folders when every entry is in the GTZAN
/// layout, else tags). Entries whose tags are not read yet get no tag label.
pub fn apply(entries: &mut [Entry], root: &Path, source: LabelSource) -> Used {
    let (used, labels) = labels(entries, root, source);
    for (e, l) in entries.iter_mut().zip(labels) {
        e.label = l;
    }
    used
}

/// Which source [`apply`] uses for these entries (nothing is changed).
pub fn used(entries: &[Entry], root: &Path, source: LabelSource) -> Used {
    labels(entries, root, source).0
}

/// The source used and the label of every entry.
fn labels(entries: &[Entry], root: &Path, source: LabelSource) -> (Used, Vec<Option<String>>) {
    let folders = || {
        let paths: Vec<_> = entries.iter().map(|e| from_bytes(&e.path)).collect();
        let rels: Vec<&Path> = paths
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p.as_path()))
            .collect();
        assign(&rels)
    };
    match source {
        LabelSource::None => (Used::None, vec![None; entries.len()]),
        LabelSource::Folder => (Used::Folder, folders()),
        LabelSource::Tag => (Used::Tag, tag_labels(entries)),
        LabelSource::Auto => {
            let f = folders();
            if !f.is_empty() && f.iter().all(Option::is_some) {
                (Used::Folder, f)
            } else {
                (Used::Tag, tag_labels(entries))
            }
        }
    }
}

fn tag_labels(entries: &[Entry]) -> Vec<Option<String>> {
    entries
        .iter()
        .map(|e| e.tags.as_ref().and_then(|t| t.genre()))
        .collect()
}

/// The label of every file (same order as `rels`, paths relative to the
/// root), or `None` for all when the tree is not in the GTZAN layout.
///
/// The library counts as labelled only when *every* audio file sits exactly
/// one folder below the root: a mixed tree would otherwise label some tracks
/// by an accident of filing, which would poison genre evaluation.
pub fn assign(rels: &[&Path]) -> Vec<Option<String>> {
    let labels: Option<Vec<String>> = rels.iter().map(|r| label_of(r)).collect();
    match labels {
        Some(l) if !l.is_empty() => l.into_iter().map(Some).collect(),
        _ => vec![None; rels.len()],
    }
}

fn label_of(rel: &Path) -> Option<String> {
    let mut comps = rel.components();
    let folder = comps.next()?;
    let _file = comps.next()?;
    if comps.next().is_some() {
        return None;
    }
    match folder {
        std::path::Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtzan_layout_is_labelled_by_folder() {
        let rels = [Path::new("blues/a.wav"), Path::new("rock/b.au")];
        assert_eq!(
            assign(&rels),
            vec![Some("blues".to_string()), Some("rock".to_string())]
        );
    }

    fn entry(path: &str, genre: Option<&str>) -> Entry {
        Entry {
            path: path.as_bytes().to_vec(),
            size: 1,
            mtime_ns: 1,
            label: Some("stale".into()),
            tags: Some(crate::tags::Tags {
                genres: genre.map(|g| vec![g.to_string()]).unwrap_or_default(),
                ..Default::default()
            }),
            outcome: crate::library::index::Outcome::Failed {
                kind: "k".into(),
                reason: "r".into(),
            },
        }
    }

    fn labels(entries: &[Entry]) -> Vec<Option<&str>> {
        entries.iter().map(|e| e.label.as_deref()).collect()
    }

    #[test]
    fn auto_takes_folders_in_the_gtzan_layout_and_tags_elsewhere() {
        let root = Path::new("/m");
        let mut gtzan = vec![
            entry("/m/blues/a.wav", Some("rock")),
            entry("/m/jazz/b.wav", None),
        ];
        assert_eq!(apply(&mut gtzan, root, LabelSource::Auto), Used::Folder);
        assert_eq!(labels(&gtzan), [Some("blues"), Some("jazz")]);
        assert_eq!(apply(&mut gtzan, root, LabelSource::Tag), Used::Tag);
        assert_eq!(labels(&gtzan), [Some("Rock"), None]);
        assert_eq!(apply(&mut gtzan, root, LabelSource::None), Used::None);
        assert_eq!(labels(&gtzan), [None, None]);

        let mut tree = vec![
            entry("/m/Artist/Album/01 a.flac", Some("hip hop;rap")),
            entry("/m/Artist/Album/02 b.flac", None),
            entry("/m/c.flac", Some("(17)")),
        ];
        assert_eq!(apply(&mut tree, root, LabelSource::Auto), Used::Tag);
        assert_eq!(labels(&tree), [Some("Hip-Hop"), None, Some("Rock")]);
        assert_eq!(apply(&mut tree, root, LabelSource::Folder), Used::Folder);
        assert_eq!(labels(&tree), [None, None, None]);
    }

    #[test]
    fn label_sources_have_names() {
        for s in ["auto", "folder", "tag", "none"] {
            assert_eq!(LabelSource::parse(s).map(LabelSource::name), Some(s));
        }
        assert_eq!(LabelSource::parse("genre"), None);
    }

    #[test]
    fn any_other_tree_is_unlabelled() {
        let rels = [Path::new("blues/a.wav"), Path::new("c.wav")];
        assert_eq!(assign(&rels), vec![None, None]);
        let deep = [Path::new("a/b/c.wav")];
        assert_eq!(assign(&deep), vec![None]);
    }
}
