//! Tag reading against analysis (run: `cargo bench --bench tags`): the
//! time `musim::tags::read` adds to indexing a 30-s clip, as a share of
//! the clip's analysis. The clips (FLAC and MP3, 44.1 kHz stereo, tagged,
//! with a 1 MB cover picture) are made by ffmpeg.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Instant;

#[path = "../tests/cli_support/mod.rs"]
mod cli_support;

fn clip(path: &Path, cover: &Path) {
    let mut args: Vec<&OsStr> = [
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=30:sample_rate=44100",
        "-i",
    ]
    .map(OsStr::new)
    .to_vec();
    args.push(cover.as_os_str());
    args.extend(
        [
            "-map",
            "0:a",
            "-map",
            "1:v",
            "-ac",
            "2",
            "-disposition:v",
            "attached_pic",
            "-metadata",
            "title=Title",
            "-metadata",
            "artist=Artist",
            "-metadata",
            "album=Album",
            "-metadata",
            "genre=Rock;Pop",
        ]
        .map(OsStr::new),
    );
    args.push(path.as_os_str());
    cli_support::ffmpeg(args);
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cover = dir.path().join("cover.png");
    // A noisy 600x600 picture: about 1 MB as PNG.
    let noise = [
        "-f",
        "lavfi",
        "-i",
        "nullsrc=s=600x600,geq=random(1)*255:128:128",
        "-frames:v",
        "1",
    ];
    cli_support::ffmpeg(noise.map(OsStr::new).into_iter().chain([cover.as_os_str()]));
    for ext in ["flac", "mp3"] {
        let p = dir.path().join(format!("clip.{ext}"));
        clip(&p, &cover);
        let reps = 5;
        let t = Instant::now();
        for _ in 0..reps {
            musim::analysis::analyze_file(&p).expect("analysed");
        }
        let analysis = t.elapsed().as_secs_f64() / f64::from(reps);
        let reads = 200;
        let t = Instant::now();
        for _ in 0..reads {
            let tags = musim::tags::read(&p).expect("tags");
            assert_eq!(tags.title.as_deref(), Some("Title"));
        }
        let tags = t.elapsed().as_secs_f64() / f64::from(reads);
        println!(
            "{ext}: 30-s clip ({} KB): analysis {:.1} ms, tag reading {:.3} ms = {:.2} % of the analysis",
            std::fs::metadata(&p).map(|m| m.len() / 1024).unwrap_or(0),
            analysis * 1e3,
            tags * 1e3,
            100.0 * tags / analysis
        );
    }
}
