//! Scales, chords and progressions: what makes a track major, minor,
//! modal, jazzy or a drone.

/// A scale as semitone offsets from its root.
pub type Scale = &'static [i32];

/// Ionian (major).
pub const MAJOR: Scale = &[0, 2, 4, 5, 7, 9, 11];
/// Aeolian (natural minor).
pub const MINOR: Scale = &[0, 2, 3, 5, 7, 8, 10];
/// Dorian (minor with a raised sixth: house, jazz, dub).
pub const DORIAN: Scale = &[0, 2, 3, 5, 7, 9, 10];
/// Mixolydian (major with a flat seventh: rock, reggae).
pub const MIXOLYDIAN: Scale = &[0, 2, 4, 5, 7, 9, 10];
/// Phrygian (minor with a flat second: dark techno).
pub const PHRYGIAN: Scale = &[0, 1, 3, 5, 7, 8, 10];
/// Lydian (dreamy raised fourth: ambient).
pub const LYDIAN: Scale = &[0, 2, 4, 6, 7, 9, 11];
/// Harmonic minor (the leading tone of classical minor keys).
pub const HARMONIC_MINOR: Scale = &[0, 2, 3, 5, 7, 8, 11];

/// MIDI note of scale degree `degree` (0-based, may exceed 6 or be negative)
/// in the key whose root is MIDI note `root`.
pub fn degree(root: i32, scale: Scale, degree: i32) -> i32 {
    let n = scale.len() as i32;
    let octave = degree.div_euclid(n);
    root + 12 * octave + scale[degree.rem_euclid(n) as usize]
}

/// A chord built in thirds on `deg`: `size` notes (3 = triad, 4 = seventh).
pub fn chord(root: i32, scale: Scale, deg: i32, size: usize) -> Vec<i32> {
    (0..size as i32)
        .map(|i| degree(root, scale, deg + 2 * i))
        .collect()
}

/// Move every note of a chord into the octave starting at `low`, then sort:
/// close voicings that do not jump around between chords.
pub fn voice(chord: &[i32], low: i32) -> Vec<i32> {
    let mut v: Vec<i32> = chord
        .iter()
        .map(|&n| low + (n - low).rem_euclid(12))
        .collect();
    v.sort_unstable();
    v
}

/// Progressions as scale degrees (0 = I/i), one chord per bar.
pub mod progressions {
    /// Pop/rock I–V–vi–IV.
    pub const POP: &[i32] = &[0, 4, 5, 3];
    /// Rock I–IV–V–IV / I–bVII–IV (in mixolydian).
    pub const ROCK: &[&[i32]] = &[&[0, 3, 4, 3], &[0, 6, 3, 0], &[0, 3, 0, 4]];
    /// Minor i–VI–III–VII and relatives (house, drum & bass).
    pub const MINOR: &[&[i32]] = &[&[0, 5, 2, 6], &[0, 3, 5, 4], &[0, 5, 3, 4], &[0, 0, 5, 6]];
    /// Jazz ii–V–I–vi turnarounds.
    pub const JAZZ: &[&[i32]] = &[&[1, 4, 0, 5], &[0, 5, 1, 4], &[2, 5, 1, 4]];
    /// Reggae two-chord vamps.
    pub const REGGAE: &[&[i32]] = &[&[0, 3], &[0, 4], &[0, 6], &[1, 0]];
    /// Classical cadences for strings and piano.
    pub const CLASSICAL: &[&[i32]] = &[
        &[0, 3, 4, 0],
        &[0, 5, 3, 4],
        &[0, 1, 4, 0],
        &[5, 3, 0, 4],
        &[0, 4, 5, 2, 3, 0, 3, 4],
    ];
    /// Chiptune: heroic major and adventurous minor loops.
    pub const CHIP: &[&[i32]] = &[&[0, 5, 3, 4], &[0, 3, 4, 4], &[5, 3, 0, 4], &[0, 6, 5, 6]];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_and_chords() {
        assert_eq!(degree(60, MAJOR, 0), 60);
        assert_eq!(degree(60, MAJOR, 7), 72);
        assert_eq!(degree(60, MAJOR, -1), 59);
        assert_eq!(chord(60, MAJOR, 4, 4), vec![67, 71, 74, 77]);
        assert_eq!(voice(&[67, 71, 74], 60), vec![62, 67, 71]);
    }
}
