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

    /// The genres the group is named by: the most frequent one and every
    /// genre tied with it (empty when nothing is labelled).
    pub fn leading(&self) -> &[(String, usize)] {
        let top = self.counts.first().map_or(0, |c| c.1);
        let n = self.counts.iter().take_while(|c| c.1 == top).count();
        &self.counts[..n]
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

/// Reorder `members` (by decreasing PageRank) so its first `places` are
/// the representatives: first the top-ranked member of each of `arch`'s
/// leading genres (so a "jazz/rock 50%" cluster shows both), then the
/// best-ranked of the rest; each part, and the members after them, keep
/// PageRank order. Deterministic.
pub fn representatives_first<'a>(
    members: &mut Vec<u32>,
    arch: &Archetype,
    label: impl Fn(u32) -> Option<&'a str>,
    places: usize,
) {
    let mut lead: Vec<usize> = arch
        .leading()
        .iter()
        .filter_map(|(g, _)| members.iter().position(|&m| label(m) == Some(g.as_str())))
        .take(places)
        .collect();
    lead.sort_unstable();
    let fill: Vec<usize> = (0..members.len())
        .filter(|i| !lead.contains(i))
        .take(places - lead.len())
        .collect();
    let chosen: Vec<usize> = lead.into_iter().chain(fill).collect();
    let rest = (0..members.len()).filter(|i| !chosen.contains(i));
    let order: Vec<usize> = chosen.iter().copied().chain(rest).collect();
    *members = order.iter().map(|&i| members[i]).collect();
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

    #[test]
    fn representatives_cover_every_tied_genre_then_follow_pagerank() {
        // Members by PageRank: three rock before the first jazz.
        let labels = ["rock", "rock", "rock", "jazz", "jazz", "rock", "jazz"];
        let arch = Archetype::of([
            Some("rock"),
            Some("rock"),
            Some("jazz"),
            Some("jazz"),
            Some("blues"),
        ]);
        assert_eq!(arch.leading().len(), 2, "jazz and rock tie");
        let mut m: Vec<u32> = (0..7).collect();
        representatives_first(&mut m, &arch, |i| Some(labels[i as usize]), 3);
        assert_eq!(
            m,
            vec![0, 3, 1, 2, 4, 5, 6],
            "rock 0 and jazz 3, then rock 1"
        );
        // One place: the top-ranked track of the first leading genre.
        let mut m: Vec<u32> = (0..7).collect();
        representatives_first(&mut m, &arch, |i| Some(labels[i as usize]), 1);
        assert_eq!(m, vec![3, 0, 1, 2, 4, 5, 6]);
        // No tie: the majority genre leads even below a better-ranked track.
        let jazz = Archetype::of([Some("jazz"), Some("jazz"), Some("rock")]);
        let mut m: Vec<u32> = (0..7).collect();
        representatives_first(&mut m, &jazz, |i| Some(labels[i as usize]), 2);
        assert_eq!(m, vec![3, 0, 1, 2, 4, 5, 6]);
        // Unlabelled: PageRank order unchanged.
        let mut m: Vec<u32> = (0..7).collect();
        representatives_first(&mut m, &Archetype::of([None]), |_| None, 3);
        assert_eq!(m, (0..7).collect::<Vec<u32>>());
    }
}
