//! Genre tags made comparable: one spelling per genre, primary first.
//!
//! Taggers write the same genre many ways: `rock`, `ROCK `, `Hip Hop`,
//! `Hip-Hop`, `HipHop`, `(17)` (an ID3v1 genre number), `Rock;Pop`,
//! `Rock/Pop`, a NUL-separated ID3v2.4 list, or several items. Labels
//! that differ only by spelling would split a genre in two and poison its
//! evaluation, so every value goes through [`normalise`].

use std::collections::HashMap;
use std::sync::OnceLock;

use lofty::id3::v1::GENRES;

/// At most this many genres are kept per track (the first ones): a field
/// listing hundreds says nothing more about the track.
pub const MAX_GENRES: usize = 32;

/// Other spellings of genres, by [`key`], with their canonical name
/// (besides the ID3v1 list, whose names are canonical for their keys).
const ALIASES: &[(&str, &str)] = &[
    ("rnb", "R&B"),
    ("rhythmandblues", "R&B"),
    ("dnb", "Drum & Bass"),
    ("drumnbass", "Drum & Bass"),
    ("rocknroll", "Rock & Roll"),
    ("rockroll", "Rock & Roll"),
    ("ost", "Soundtrack"),
    ("originalsoundtrack", "Soundtrack"),
    ("electronica", "Electronic"),
    ("hiphoprap", "Hip-Hop"),
];

/// The normalised genres of a track's genre values, primary (the first
/// value) first, each once, at most [`MAX_GENRES`].
///
/// Each value is split at `;`, `/`, `,` and NUL; ID3v1 numbers (`17`,
/// `(17)`, `(17)(18)`, `(17)Rock`) become their names; case, spacing,
/// hyphens and `&`/`and` do not count (`Hip Hop` = `HipHop` = `hip-hop`),
/// and a known genre gets its usual spelling (`Hip-Hop`), any other one
/// capitalised word by word (`dark ambient` → `Dark Ambient`).
pub fn normalise(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for value in values {
        for part in value.split(['\0', ';', '/', ',']) {
            for g in expand_numbers(part) {
                let k = key(&g);
                if k.is_empty() || seen.contains(&k) {
                    continue;
                }
                if out.len() == MAX_GENRES {
                    return out;
                }
                out.push(canonical(&k, &g));
                seen.push(k);
            }
        }
    }
    out
}

/// The primary normalised genre of `values`, if any.
pub fn primary(values: &[String]) -> Option<String> {
    normalise(values).into_iter().next()
}

/// One split value → its genres: ID3v1 references `(N)` (with `RX` =
/// Remix and `CR` = Cover) and bare numbers become names; text after the
/// references is a genre too (ID3v2.3's "refinement").
fn expand_numbers(part: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = part.trim();
    if let Some(n) = id3v1(rest) {
        return vec![n.to_string()];
    }
    // "((" escapes a literal parenthesis in ID3v2.3.
    while rest.starts_with('(') && !rest.starts_with("((") {
        let Some(end) = rest.find(')') else { break };
        let inner = rest.get(1..end).unwrap_or("");
        match (inner, id3v1(inner)) {
            (_, Some(n)) => out.push(n.to_string()),
            ("RX", None) => out.push("Remix".to_string()),
            ("CR", None) => out.push("Cover".to_string()),
            _ => break,
        }
        rest = rest.get(end + 1..).unwrap_or("").trim_start();
    }
    let rest = rest
        .strip_prefix('(')
        .filter(|r| r.starts_with('('))
        .unwrap_or(rest);
    if !rest.trim().is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// The ID3v1 genre numbered by `s` (digits only).
fn id3v1(s: &str) -> Option<&'static str> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    GENRES.get(s.parse::<usize>().ok()?).copied()
}

/// What makes two spellings the same genre: lower case letters and digits
/// only, `&` read as "and", "'n'"/" n " as "n".
pub fn key(s: &str) -> String {
    let mut k = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '&' {
            k.push_str("and");
        } else if c.is_alphanumeric() {
            k.extend(c.to_lowercase());
        }
    }
    k
}

/// The canonical names of known genres, by key.
fn known() -> &'static HashMap<String, &'static str> {
    static KNOWN: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut m = HashMap::new();
        for (k, name) in ALIASES {
            m.insert((*k).to_string(), *name);
        }
        for name in GENRES {
            m.entry(key(name)).or_insert(name);
        }
        m
    })
}

/// The spelling shown for the genre `g` whose key is `k`.
fn canonical(k: &str, g: &str) -> String {
    if let Some(name) = known().get(k) {
        return (*name).to_string();
    }
    g.split_whitespace()
        .map(capitalise)
        .collect::<Vec<_>>()
        .join(" ")
}

/// "dark" → "Dark", "ROCK" → "Rock"; short all-capital words (EDM, UK)
/// and words already mixed-case (McCartney) are kept.
fn capitalise(w: &str) -> String {
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    let upper = w.chars().all(|c| !c.is_lowercase());
    let lower = w.chars().all(|c| !c.is_uppercase());
    if (upper && letters <= 3) || (!upper && !lower) {
        return w.to_string();
    }
    let mut cs = w.chars();
    match cs.next() {
        Some(first) => first
            .to_uppercase()
            .chain(cs.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(values: &[&str]) -> Vec<String> {
        normalise(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn case_and_spacing_do_not_count() {
        assert_eq!(n(&["rock"]), ["Rock"]);
        assert_eq!(n(&["  ROCK  "]), ["Rock"]);
        assert_eq!(n(&["dark   ambient"]), ["Dark Ambient"]);
        assert_eq!(n(&["DARK AMBIENT"]), ["Dark Ambient"]);
        assert_eq!(n(&["EDM"]), ["EDM"]);
    }

    #[test]
    fn spellings_of_one_genre_meet() {
        for s in [
            "Hip-Hop", "Hip Hop", "HipHop", "hip hop", "HIP-HOP", "hip_hop",
        ] {
            assert_eq!(n(&[s]), ["Hip-Hop"], "{s}");
        }
        for s in ["R&B", "RnB", "r & b", "Rhythm and Blues"] {
            assert_eq!(n(&[s]), ["R&B"], "{s}");
        }
        assert_eq!(n(&["drum and bass"]), ["Drum & Bass"]);
        assert_eq!(n(&["Drum'n'Bass"]), ["Drum & Bass"]);
    }

    #[test]
    fn separators_and_items_split_with_the_first_as_primary() {
        assert_eq!(n(&["Rock; Pop"]), ["Rock", "Pop"]);
        assert_eq!(n(&["Jazz/Blues"]), ["Jazz", "Blues"]);
        assert_eq!(n(&["metal, rock"]), ["Metal", "Rock"]);
        assert_eq!(n(&["Techno\0Trance"]), ["Techno", "Trance"]);
        assert_eq!(n(&["Folk", "Country", "folk"]), ["Folk", "Country"]);
        assert_eq!(primary(&["Soul;Funk".to_string()]), Some("Soul".into()));
    }

    #[test]
    fn id3v1_numbers_become_names() {
        assert_eq!(n(&["(17)"]), ["Rock"]);
        assert_eq!(n(&["17"]), ["Rock"]);
        assert_eq!(n(&["(0)"]), ["Blues"]);
        assert_eq!(n(&["(17)(18)"]), ["Rock", "Techno"]);
        assert_eq!(n(&["(17)Rock"]), ["Rock"]);
        assert_eq!(n(&["(9)Heavy"]), ["Metal", "Heavy"]);
        assert_eq!(n(&["(RX)(17)"]), ["Remix", "Rock"]);
        // Out of range, or not a reference: kept as text.
        assert_eq!(n(&["(999)"]), ["(999)"]);
        assert_eq!(n(&["((Live))"]), ["(Live))"]);
    }

    #[test]
    fn empty_values_are_no_genre_and_many_are_capped() {
        assert!(n(&["", " ; / ,", "\0"]).is_empty());
        assert!(n(&[]).is_empty());
        let many: String = (0..300).map(|i| format!("g{i};")).collect();
        let got = n(&[&many]);
        assert_eq!(got.len(), MAX_GENRES);
        assert_eq!(got[0], "G0");
    }

    #[test]
    fn control_characters_stay_in_the_name() {
        assert_eq!(n(&["a\u{1b}[2Jb"]), ["a\u{1b}[2Jb"]);
        assert_eq!(n(&["x\u{9b}y"]), ["X\u{9b}y"]);
    }
}
