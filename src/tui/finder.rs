//! Find as you type: a fuzzy match of the typed fragment against every
//! track's search text ([`super::labels::search_text`]), by `nucleo-matcher`
//! (the matcher helix and television use). The search texts are converted
//! once per model; a fragment that extends the previous one only rescores
//! the previous matches, so each keystroke stays cheap on large libraries.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};

use crate::model::Model;

/// Most hits kept in order (the list shows a screenful; the count is exact).
const SHOWN: usize = 500;

/// The finder's state: search texts, the last fragment and its hits.
pub struct Finder {
    haystacks: Vec<Utf32String>,
    matcher: Matcher,
    fragment: String,
    /// Every row matching `fragment` (in row order), for narrowing.
    matched: Vec<u32>,
    /// The best hits, best first: (row, score).
    pub hits: Vec<(u32, u32)>,
    /// How many tracks match in all.
    pub total: usize,
    /// The highlighted hit.
    pub row: usize,
}

impl std::fmt::Debug for Finder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finder")
            .field("tracks", &self.haystacks.len())
            .field("fragment", &self.fragment)
            .field("total", &self.total)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl Default for Finder {
    fn default() -> Self {
        Finder {
            haystacks: Vec::new(),
            matcher: Matcher::new(Config::DEFAULT),
            fragment: String::new(),
            matched: Vec::new(),
            hits: Vec::new(),
            total: 0,
            row: 0,
        }
    }
}

impl Finder {
    /// A finder over `model`'s tracks.
    pub fn new(model: &Model) -> Finder {
        Finder {
            haystacks: model
                .tracks
                .iter()
                .map(|t| Utf32String::from(super::labels::search_text(t)))
                .collect(),
            ..Finder::default()
        }
    }

    /// The fragment the hits are for.
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    /// Match `fragment`; the highlight goes back to the best hit when the
    /// fragment changed.
    pub fn update(&mut self, fragment: &str) {
        let fragment = fragment.trim();
        if fragment == self.fragment && !(fragment.is_empty() && self.haystacks.is_empty()) {
            return;
        }
        // Pattern syntax (!, ^, $, ') can widen a match when appended.
        let narrows = !self.fragment.is_empty()
            && fragment.starts_with(self.fragment.as_str())
            && !fragment.contains(['!', '^', '$', '\'', '\\']);
        self.row = 0;
        if fragment.is_empty() {
            self.fragment.clear();
            self.matched.clear();
            self.hits.clear();
            self.total = 0;
            return;
        }
        let pattern = Pattern::parse(fragment, CaseMatching::Smart, Normalization::Smart);
        let candidates: Box<dyn Iterator<Item = u32>> = if narrows {
            Box::new(std::mem::take(&mut self.matched).into_iter())
        } else {
            Box::new(0..self.haystacks.len() as u32)
        };
        let mut scored: Vec<(u32, u32)> = Vec::new();
        for row in candidates {
            let Some(h) = self.haystacks.get(row as usize) else {
                continue;
            };
            if let Some(score) = pattern.score(h.slice(..), &mut self.matcher) {
                scored.push((row, score));
            }
        }
        self.matched = scored.iter().map(|&(r, _)| r).collect();
        self.total = scored.len();
        let best_first = |a: &(u32, u32), b: &(u32, u32)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > SHOWN {
            scored.select_nth_unstable_by(SHOWN, best_first);
            scored.truncate(SHOWN);
        }
        scored.sort_unstable_by(best_first);
        self.hits = scored;
        self.fragment = fragment.to_string();
    }

    /// Move the highlight by `delta` hits.
    pub fn move_by(&mut self, delta: isize) {
        if self.hits.is_empty() {
            return;
        }
        self.row = (self.row as isize + delta).clamp(0, self.hits.len() as isize - 1) as usize;
    }

    /// The highlighted track's row.
    pub fn chosen(&self) -> Option<usize> {
        self.hits.get(self.row).map(|&(r, _)| r as usize)
    }
}

/// Whether typed text is a path or URL to query rather than a fragment to
/// find: it starts like a path (`/`, `~`, `.`, a quote) or is a `file://`
/// or web URL.
pub fn is_query_target(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with(['/', '~', '.', '\'', '"'])
        || t.starts_with("file://")
        || crate::youtube::looks_like_url(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder(names: &[&str]) -> Finder {
        Finder {
            haystacks: names.iter().map(|n| Utf32String::from(*n)).collect(),
            ..Finder::default()
        }
    }

    #[test]
    fn fragments_find_tracks_best_first_and_narrow() {
        let mut f = finder(&[
            "reggae.07 reggae/reggae.07.wav",
            "reggae.10 reggae/reggae.10.wav",
            "rock.07 rock/rock.07.wav",
        ]);
        f.update("regga07");
        assert_eq!(f.chosen(), Some(0));
        assert_eq!(f.total, 1);
        f.update("r");
        assert_eq!(f.total, 3, "a shorter fragment searches everything again");
        f.update("re");
        assert_eq!(f.total, 2, "a longer one narrows");
        f.update("reg");
        assert_eq!(f.total, 2);
        f.move_by(5);
        assert_eq!(f.row, 1);
        f.update("reg10");
        assert_eq!((f.chosen(), f.row), (Some(1), 0));
        f.update("");
        assert_eq!((f.total, f.chosen()), (0, None));
        f.update("zzz");
        assert_eq!(f.total, 0);
    }

    #[test]
    fn paths_and_urls_are_queries() {
        for t in [
            "/music/a.wav",
            "~/new song.wav",
            "./x.mp3",
            "'/a b.mp3'",
            "file:///a.mp3",
            "https://youtu.be/x",
        ] {
            assert!(is_query_target(t), "{t}");
        }
        for t in ["regga07", "jazz 03", "new song"] {
            assert!(!is_query_target(t), "{t}");
        }
    }
}
