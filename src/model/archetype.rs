//! A cluster's archetype: its genre mix (counts and shares) and majority genre.

use serde::{Deserialize, Serialize};

/// The genre distribution of a group of tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archetype {
    /// Tracks in the group.
    pub size: usize,
    /// (genre, count), most frequent first, ties by name.
    pub counts: Vec<(String, usize)>,
    /// Tracks without a label.
    pub unlabelled: usize,
}

impl Archetype {
    /// The archetype of tracks with these labels.
    pub fn of<'a>(labels: impl IntoIterator<Item = Option<&'a str>>) -> Archetype {
        let mut m = std::collections::BTreeMap::<&str, usize>::new();
        let (mut size, mut unlabelled) = (0, 0);
        for l in labels {
            size += 1;
            match l {
                Some(l) => *m.entry(l).or_insert(0) += 1,
                None => unlabelled += 1,
            }
        }
        let mut counts: Vec<(String, usize)> =
            m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Archetype {
            size,
            counts,
            unlabelled,
        }
    }

    /// The most frequent genre and its share of the group, if any track is labelled.
    pub fn majority(&self) -> Option<(&str, f64)> {
        self.counts
            .first()
            .map(|(g, c)| (g.as_str(), *c as f64 / self.size.max(1) as f64))
    }

    /// One line: "rock 60% · blues 30% · jazz 10%" (or "unlabelled").
    pub fn describe(&self, max: usize) -> String {
        if self.counts.is_empty() {
            return "unlabelled".to_string();
        }
        let mut parts: Vec<String> = self
            .counts
            .iter()
            .take(max)
            .map(|(g, c)| format!("{g} {:.0}%", 100.0 * *c as f64 / self.size.max(1) as f64))
            .collect();
        if self.counts.len() > max {
            parts.push("…".to_string());
        }
        if self.unlabelled > 0 {
            parts.push(format!(
                "unlabelled {:.0}%",
                100.0 * self.unlabelled as f64 / self.size.max(1) as f64
            ));
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_shares_and_majority() {
        let a = Archetype::of([Some("rock"), Some("jazz"), Some("rock"), None]);
        assert_eq!(a.counts, vec![("rock".into(), 2), ("jazz".into(), 1)]);
        assert_eq!(a.majority(), Some(("rock", 0.5)));
        assert_eq!(a.describe(1), "rock 50% · … · unlabelled 25%");
        let u = Archetype::of([None, None]);
        assert_eq!(
            (u.majority(), u.describe(3)),
            (None, "unlabelled".to_string())
        );
    }
}
