//! Who "made" each demo track: a made-up artist and album per style and a
//! title per track, written into the WAVs as RIFF INFO tags so a first run
//! shows tracks by "Artist — Title" like a real library. Every name is
//! invented; none is meant to be a real artist, album or song.
//!
//! Titles contain no digits: the explorer's finder matches a typed
//! `reggae07` against the file name, and digits in titles would add
//! unrelated hits.

use super::Style;

/// A demo track's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credits {
    /// Track title (deterministic from the style and track number).
    pub title: String,
    /// The style's made-up artist.
    pub artist: &'static str,
    /// The style's made-up album.
    pub album: &'static str,
    /// The genre tag: the style's usual name.
    pub genre: &'static str,
    /// The album's release year.
    pub year: u32,
    /// Track number on the album (1-based: the file's `NN` + 1).
    pub track: u32,
}

/// Per style: artist, album, year, and the two word lists titles are
/// made of (10 each, so 100 distinct titles per style).
struct Catalogue {
    artist: &'static str,
    album: &'static str,
    year: u32,
    first: [&'static str; 10],
    second: [&'static str; 10],
}

fn catalogue(style: Style) -> Catalogue {
    match style {
        Style::Techno => Catalogue {
            artist: "Kessler Grid",
            album: "Night Shift Machines",
            year: 2019,
            first: [
                "Steel", "Null", "Sodium", "Iron", "Hollow", "Concrete", "Static", "Cold", "Black",
                "Vector",
            ],
            second: [
                "Pulse", "Corridor", "Relay", "Furnace", "Signal", "Turbine", "Grid", "Shaft",
                "Circuit", "Siren",
            ],
        },
        Style::House => Catalogue {
            artist: "Velvet Porch",
            album: "Sunday Floor",
            year: 2016,
            first: [
                "Golden", "Warm", "Late", "Velvet", "Open", "Easy", "Soft", "Bright", "Honey",
                "Summer",
            ],
            second: [
                "Hours", "Groove", "Terrace", "Feeling", "Window", "Motion", "Lights", "Porch",
                "Sway", "Glow",
            ],
        },
        Style::DrumAndBass => Catalogue {
            artist: "Halden Ruse",
            album: "Rain on Concrete",
            year: 2021,
            first: [
                "Rapid",
                "Liquid",
                "Broken",
                "Night",
                "Wet",
                "Sharp",
                "Fractured",
                "Restless",
                "Tidal",
                "Blue",
            ],
            second: [
                "Transit", "Current", "Pressure", "Runner", "Asphalt", "Shiver", "Tunnel",
                "Horizon", "Rush", "Drift",
            ],
        },
        Style::Rock => Catalogue {
            artist: "The Gravel Lanterns",
            album: "Loud Weather",
            year: 2012,
            first: [
                "Rusty", "Burning", "Long", "Crooked", "Wild", "Dusty", "Broken", "Red", "Lonely",
                "Gasoline",
            ],
            second: [
                "Highway", "Engine", "Heart", "Town", "Road", "Fever", "Thunder", "Railway", "Sky",
                "Garage",
            ],
        },
        Style::Jazz => Catalogue {
            artist: "Calloway Hill Quartet",
            album: "Late Set at the Corner",
            year: 2008,
            first: [
                "Blue", "Smoky", "Quiet", "Midnight", "Slow", "Crescent", "Velvet", "Uptown",
                "Little", "Autumn",
            ],
            second: [
                "Waltz", "Corner", "Avenue", "Shuffle", "Lament", "Stroll", "Reverie", "Ballad",
                "Swing", "Notion",
            ],
        },
        Style::Reggae => Catalogue {
            artist: "Tamarind Sound",
            album: "One Drop Harbour",
            year: 2014,
            first: [
                "Sunny", "Harbour", "Roots", "Easy", "Island", "Dread", "Sweet", "Humble", "Yard",
                "Evening",
            ],
            second: [
                "Skank", "Tide", "Dub", "Walk", "Breeze", "Rock", "Vibes", "Steppers", "Shade",
                "Riddim",
            ],
        },
        Style::Ambient => Catalogue {
            artist: "Lumen Fjord",
            album: "Slow Weather",
            year: 2020,
            first: [
                "Distant", "Pale", "Drifting", "Silent", "Frozen", "Glass", "Hazy", "Far", "Still",
                "Fading",
            ],
            second: [
                "Shore", "Fields", "Clouds", "Aurora", "Snow", "Lagoon", "Mist", "Echoes",
                "Horizon", "Light",
            ],
        },
        Style::Chiptune => Catalogue {
            artist: "Pixel Pilgrim",
            album: "Cartridge Odyssey",
            year: 2018,
            first: [
                "Turbo", "Hyper", "Super", "Mega", "Tiny", "Lost", "Final", "Secret", "Crystal",
                "Rocket",
            ],
            second: [
                "Quest", "Castle", "Dungeon", "Boss", "Level", "Warp", "Jumper", "Galaxy",
                "Cavern", "Hero",
            ],
        },
        Style::Strings => Catalogue {
            artist: "Aldwyn Chamber Strings",
            album: "Quiet Movements",
            year: 2010,
            first: [
                "Elegy",
                "Air",
                "Serenade",
                "Nocturne",
                "Canon",
                "Romance",
                "Pastorale",
                "Lament",
                "Prelude",
                "Chorale",
            ],
            second: [
                "in Grey",
                "for Autumn",
                "at Dusk",
                "in Winter",
                "for Absent Friends",
                "on the River",
                "in Stone",
                "for Morning",
                "at the Abbey",
                "in Amber",
            ],
        },
        Style::Piano => Catalogue {
            artist: "Ines Marlowe",
            album: "Small Hours",
            year: 2017,
            first: [
                "Paper", "Lantern", "Window", "Rain", "Candle", "Linen", "Harbour", "Garden",
                "Attic", "Winter",
            ],
            second: [
                "Study",
                "Sketch",
                "Song",
                "Letter",
                "Reverie",
                "Etude",
                "Lullaby",
                "Waltz",
                "Postcard",
                "Interlude",
            ],
        },
    }
}

/// The usual name of a style as a genre tag.
pub fn genre(style: Style) -> &'static str {
    match style {
        Style::Techno => "Techno",
        Style::House => "House",
        Style::DrumAndBass => "Drum & Bass",
        Style::Rock => "Rock",
        Style::Jazz => "Jazz",
        Style::Reggae => "Reggae",
        Style::Ambient => "Ambient",
        Style::Chiptune => "Chiptune",
        Style::Strings => "Strings",
        Style::Piano => "Piano",
    }
}

/// The tags of track `number` (0-based) of `style`. Titles are distinct
/// for numbers 0–99 within a style.
pub fn credits(style: Style, number: usize) -> Credits {
    let c = catalogue(style);
    // (n mod 10, (n div 10 + 3n) mod 10) is one-to-one on 0..100.
    let a = number % 10;
    let b = (number / 10 + 3 * number) % 10;
    Credits {
        title: format!("{} {}", c.first[a], c.second[b]),
        artist: c.artist,
        album: c.album,
        genre: genre(style),
        year: c.year,
        track: number as u32 + 1,
    }
}

impl Credits {
    /// The RIFF INFO items that carry these tags, in the order written
    /// (the keys lofty maps to title, artist, album, genre, date and
    /// track number).
    pub fn riff_info(&self) -> Vec<([u8; 4], String)> {
        vec![
            (*b"INAM", self.title.clone()),
            (*b"IART", self.artist.to_string()),
            (*b"IPRD", self.album.to_string()),
            (*b"IGNR", self.genre.to_string()),
            (*b"ICRD", self.year.to_string()),
            (*b"ITRK", self.track.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_distinct_per_style_and_carry_no_digits() {
        for style in Style::ALL {
            let mut titles: Vec<String> = (0..100).map(|n| credits(style, n).title).collect();
            assert!(titles
                .iter()
                .all(|t| !t.chars().any(|c| c.is_ascii_digit())));
            titles.sort();
            titles.dedup();
            assert_eq!(titles.len(), 100, "{}", style.name());
        }
    }

    #[test]
    fn every_style_has_its_own_artist_and_album() {
        let mut artists: Vec<&str> = Style::ALL.iter().map(|&s| credits(s, 0).artist).collect();
        let mut albums: Vec<&str> = Style::ALL.iter().map(|&s| credits(s, 0).album).collect();
        artists.sort_unstable();
        artists.dedup();
        albums.sort_unstable();
        albums.dedup();
        assert_eq!((artists.len(), albums.len()), (10, 10));
        assert_eq!(credits(Style::Jazz, 4).track, 5);
    }
}
