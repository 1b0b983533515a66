//! Does musim hear what the generator made? On a deterministic subset
//! (every style, 6 tracks of 15 s): the detected tempo matches the
//! generator's, and styles are neighbours in fingerprint space.

use musim::demo::{self, Style};
use musim::eval::{knn_loo_accuracy, zscore, Distance};
use musim::features::analyzer::fingerprint_of;
use musim::features::fingerprint::feature_names;
use rayon::prelude::*;

/// librosa's tempo estimator picks an autocorrelation lag in frames of 512
/// samples, so it can only answer 60·22050/512/lag BPM (≈ 5 % apart at
/// 130 BPM). A detection matches when it is within 2 % of the generated
/// tempo, or of the representable tempo nearest to it, at ×1, ×2 or ×½.
fn tempo_matches(detected: f32, bpm: f32) -> bool {
    let frame_rate = 22050.0 / 512.0 * 60.0;
    [1.0, 2.0, 0.5].iter().any(|m| {
        let want = bpm * m;
        let lag = (frame_rate / want).round().max(1.0);
        let grid = frame_rate / lag;
        (detected - want).abs() <= 0.02 * want || (detected - grid).abs() <= 0.02 * grid
    })
}

#[test]
fn detected_tempo_and_style_neighbours() {
    let tempo_dim = feature_names().iter().position(|n| n == "tempo").unwrap();
    let plan: Vec<(Style, usize)> = Style::ALL
        .iter()
        .flat_map(|&s| (0..6).map(move |n| (s, n)))
        .collect();
    let results: Vec<_> = plan
        .par_iter()
        .map(|&(s, n)| {
            let (y, info) = demo::render_track(s, n, Some(15.0));
            (info, fingerprint_of(&y).values)
        })
        .collect();
    let (mut hit, mut raw, mut beat) = (0, 0, 0);
    for (info, fp) in &results {
        if !info.style.has_beat() {
            continue;
        }
        beat += 1;
        let det = fp[tempo_dim];
        if tempo_matches(det, info.bpm) {
            hit += 1;
        } else {
            eprintln!(
                "tempo miss {}: generated {:.1}, detected {det:.1}",
                info.rel_path.display(),
                info.bpm
            );
        }
        if [1.0, 2.0, 0.5]
            .iter()
            .any(|m| (det - info.bpm * m).abs() <= 0.02 * info.bpm * m)
        {
            raw += 1;
        }
    }
    let frac = f64::from(hit) / f64::from(beat);
    eprintln!("tempo agreement: {hit}/{beat} = {frac:.3} (strict 2 %: {raw}/{beat})");
    let labels: Vec<Style> = results.iter().map(|r| r.0.style).collect();
    let rows: Vec<Vec<f32>> = results.into_iter().map(|r| r.1).collect();
    let z = zscore(&rows);
    let acc = knn_loo_accuracy(&z, &labels, 5, Distance::Cosine);
    let acc_e = knn_loo_accuracy(&z, &labels, 5, Distance::Euclidean);
    eprintln!("5-NN leave-one-out accuracy: cosine {acc:.3}, euclidean {acc_e:.3}");
    assert!(frac >= 0.85, "tempo agreement {frac:.3}");
    assert!(
        acc >= 0.85 && acc_e >= 0.85,
        "5-NN accuracy {acc:.3} / {acc_e:.3}"
    );
}
