//! Genre labels from the GTZAN layout `root/<genre>/<file>`.

use std::path::Path;

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

    #[test]
    fn any_other_tree_is_unlabelled() {
        let rels = [Path::new("blues/a.wav"), Path::new("c.wav")];
        assert_eq!(assign(&rels), vec![None, None]);
        let deep = [Path::new("a/b/c.wav")];
        assert_eq!(assign(&deep), vec![None]);
    }
}
