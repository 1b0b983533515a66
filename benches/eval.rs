//! The evaluation metrics at the sizes reports work at (run: `cargo bench
//! --bench eval`): leave-one-out 10-NN on 10 000 fingerprints of 91
//! dimensions (both distances), the silhouette whole and sampled, and
//! trustworthiness, on seeded pseudo-random rows. Prints the time of each
//! and its per-item figure; the metric's value is printed too, so a run
//! that computed nothing would show.

use std::time::{Duration, Instant};

use musim::eval::{self, Distance};

/// `n` rows of 91 values in −1..1 from a fixed xorshift, so every run
/// measures the same data.
fn rows(n: usize) -> Vec<Vec<f32>> {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            (0..91)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
                })
                .collect()
        })
        .collect()
}

fn per(t: Duration, n: usize) -> f64 {
    t.as_secs_f64() * 1e3 / n as f64
}

fn main() {
    let x = rows(10_000);
    let labels: Vec<usize> = (0..x.len()).map(|i| i % 10).collect();
    for d in [Distance::Euclidean, Distance::Cosine] {
        let t = Instant::now();
        let loo = eval::knn_loo(&x, &labels, 10, d);
        let e = t.elapsed();
        println!(
            "knn_loo 10000×91 {d:?}: {e:.2?}, {:.3} ms a query (P@10 {:.3})",
            per(e, x.len()),
            loo.precision_at_k.micro
        );
    }
    let small = rows(2000);
    let c: Vec<usize> = (0..small.len()).map(|i| i % 8).collect();
    let t = Instant::now();
    let s = eval::silhouette(&small, &c, None, 0);
    let e = t.elapsed();
    println!(
        "silhouette 2000×91: {e:.2?}, {:.3} ms a track ({s:.4})",
        per(e, small.len())
    );
    let t = Instant::now();
    let s = eval::silhouette(&x, &labels, Some(2000), 1);
    let e = t.elapsed();
    println!(
        "silhouette 10000×91, sample 2000: {e:.2?}, {:.3} ms a sampled track ({s:.4})",
        per(e, 2000)
    );
    let low: Vec<[f32; 2]> = small.iter().map(|r| [r[0], r[1]]).collect();
    let t = Instant::now();
    let tw = eval::trustworthiness(&small, &low, 10);
    let e = t.elapsed();
    println!(
        "trustworthiness 2000: {e:.2?}, {:.3} ms a track ({tw:.4})",
        per(e, small.len())
    );
}
