//! The demo library's layout, determinism and audio hygiene, on a small
//! deterministic subset (every style, 3 tracks of 8 s) so debug runs stay fast.

use std::path::Path;

use musim::demo::{self, DemoSpec, Style, MANIFEST};

fn small() -> DemoSpec {
    DemoSpec {
        styles: Style::ALL.to_vec(),
        tracks: 3,
        seconds: Some(8.0),
    }
}

fn read_wav(path: &Path) -> Vec<f32> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 22050, 16)
    );
    r.samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

#[test]
fn layout_determinism_and_audio_hygiene() {
    let spec = small();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let infos = demo::write_library(a.path(), &spec, &|_, _| {}).unwrap();
    demo::write_library(b.path(), &spec, &|_, _| {}).unwrap();
    assert_eq!(infos.len(), 30);
    assert!(demo::is_complete(a.path(), &spec));
    assert!(a.path().join(MANIFEST).is_file());
    for style in Style::ALL {
        let dir = a.path().join(style.name());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let want: Vec<String> = (0..3)
            .map(|n| format!("{}.{n:02}.wav", style.name()))
            .collect();
        assert_eq!(names, want, "{}", style.name());
    }
    for info in &infos {
        let pa = a.path().join(&info.rel_path);
        let bytes = std::fs::read(&pa).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(b.path().join(&info.rel_path)).unwrap(),
            "{pa:?} not deterministic"
        );
        assert_eq!(bytes.len() as u64, info.bytes);
        let y = read_wav(&pa);
        assert_eq!(y.len(), (8.0 * 22050.0) as usize);
        let peak = y.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        let dbfs = 20.0 * peak.log10();
        assert!(dbfs <= -1.0 && dbfs > -12.0, "{pa:?}: peak {dbfs:.2} dBFS");
        let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
        assert!(mean.abs() < 1e-3, "{pa:?}: DC {mean}");
        let ten_ms = 220;
        let head = y[..ten_ms].iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        let tail = y[y.len() - ten_ms..]
            .iter()
            .fold(0.0f32, |m, &v| m.max(v.abs()));
        assert!(head < 0.1 && tail < 0.01, "{pa:?}: fades {head} {tail}");
    }
}

#[test]
fn tracks_vary_within_a_style_and_lengths_are_20_to_30_s() {
    let mut bpms = Vec::new();
    for n in 0..4 {
        let (_, info) = demo::render_track(Style::Techno, n, Some(2.0));
        bpms.push(info.bpm);
    }
    bpms.dedup();
    assert_eq!(bpms.len(), 4, "{bpms:?}");
    // Default lengths come from the seed, not the spec.
    for style in [Style::Ambient, Style::Rock] {
        let (y, info) = demo::render_track(style, 0, None);
        assert!((20.0..30.0).contains(&info.seconds), "{}", info.seconds);
        assert_eq!(y.len(), (info.seconds * 22050.0) as usize);
    }
}

#[test]
fn ensure_generates_once_regenerates_old_versions_and_spares_user_folders() {
    let spec = DemoSpec {
        styles: vec![Style::Piano, Style::Chiptune],
        tracks: 1,
        seconds: Some(2.0),
    };
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("demo");
    let r = demo::ensure_library(&dir, &spec, false, &|_, _| {}).unwrap();
    assert!(r.generated);
    let r = demo::ensure_library(&dir, &spec, false, &|_, _| {}).unwrap();
    assert!(!r.generated);
    // No temp folders left behind.
    let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
    // A manifest from another generator version means: regenerate.
    let m = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replacen("library v", "library v0", 1);
    std::fs::write(&m, text).unwrap();
    assert!(
        demo::ensure_library(&dir, &spec, false, &|_, _| {})
            .unwrap()
            .generated
    );
    // A missing file means incomplete.
    std::fs::remove_file(dir.join("piano/piano.00.wav")).unwrap();
    assert!(!demo::is_complete(&dir, &spec));
    assert!(
        demo::ensure_library(&dir, &spec, false, &|_, _| {})
            .unwrap()
            .generated
    );
    // An outdated demo library holding a file musim did not make is kept
    // as it is (said why); `force` refuses. The file survives both.
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replacen("library v", "library v0", 1);
    std::fs::write(&m, text).unwrap();
    let mine = dir.join("piano/my take.wav");
    std::fs::write(&mine, b"mine").unwrap();
    let r = demo::ensure_library(&dir, &spec, false, &|_, _| {}).unwrap();
    assert!(!r.generated);
    let why = r.kept.unwrap_or_default();
    assert!(
        why.contains("my take.wav") && why.contains("not regenerated"),
        "{why}"
    );
    let e = demo::ensure_library(&dir, &spec, true, &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("which musim did not make"), "{e}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"mine");
    // Once it is moved out, the library is regenerated.
    std::fs::remove_file(&mine).unwrap();
    assert!(
        demo::ensure_library(&dir, &spec, false, &|_, _| {})
            .unwrap()
            .generated
    );
    assert!(demo::is_complete(&dir, &spec));
    // Someone's music folder is never replaced.
    let user = d.path().join("music");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("song.mp3"), b"x").unwrap();
    let e = demo::ensure_library(&user, &spec, false, &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a musim demo library"), "{e}");
    assert!(user.join("song.mp3").is_file());
}

/// Every demo file carries its made-up credits as RIFF INFO tags, and the
/// tag reader gets them all back; folder labels still win under `auto`.
#[test]
fn demo_files_carry_tags_that_read_back() {
    let spec = DemoSpec {
        styles: vec![Style::Reggae, Style::DrumAndBass, Style::Strings],
        tracks: 2,
        seconds: Some(1.0),
    };
    let d = tempfile::tempdir().unwrap();
    let infos = demo::write_library(d.path(), &spec, &|_, _| {}).unwrap();
    let mut artists = Vec::new();
    for info in &infos {
        let path = d.path().join(&info.rel_path);
        let tags = musim::tags::read(&path).unwrap();
        let c = demo::credits::credits(info.style, info.number);
        assert_eq!(c, info.credits);
        assert_eq!(tags.title.as_deref(), Some(c.title.as_str()), "{path:?}");
        assert_eq!(tags.artist.as_deref(), Some(c.artist), "{path:?}");
        assert_eq!(tags.album.as_deref(), Some(c.album), "{path:?}");
        assert_eq!(tags.genres, vec![c.genre.to_string()], "{path:?}");
        assert_eq!(tags.year, Some(c.year), "{path:?}");
        assert_eq!(tags.track, Some(info.number as u32 + 1), "{path:?}");
        let d = tags.duration_s.unwrap_or_default();
        assert!((d - 1.0).abs() < 0.01, "{path:?}: {d}");
        assert_eq!(
            tags.name(path.to_str().unwrap().as_bytes()),
            format!("{} — {}", c.artist, c.title)
        );
        artists.push(c.artist);
        // The audio reads back whole: the tags follow the samples.
        assert_eq!(read_wav(&path).len(), 22050);
    }
    artists.dedup();
    assert_eq!(artists.len(), 3, "{artists:?}");
    // The two tracks of a style have different titles.
    assert_ne!(infos[0].credits.title, infos[1].credits.title);
    assert_eq!(
        musim::tags::genre::normalise(&[infos[2].credits.genre.to_string()]),
        ["Drum & Bass"]
    );
}
