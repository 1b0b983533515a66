//! The evaluation metrics (`musim::eval`) against scikit-learn 1.9: the
//! expected values in `tests/fixtures/eval/reference.json` come from
//! `tools/eval_reference.py` (sklearn for every metric it has; numpy with
//! our exact distance arithmetic and tie rule for the leave-one-out kNN
//! numbers). Plus the edge cases sklearn refuses (empty input, one row,
//! one class, k ≥ n), which must give their documented values without
//! panicking.
//!
//! Tolerance: 1e-9 relative everywhere (with a 1e-12 absolute floor for
//! values that are 0 up to rounding, e.g. a chance-level ARI). No 1e-6
//! loosening is needed: the fixture's float inputs are float32 values, and
//! the reference evaluates them exactly in float64, just as the Rust code
//! widens its f32 rows to f64 before any arithmetic; what is left are
//! summation-order differences of ~1e-15.

use std::path::Path;

use musim::eval::{self, Distance};
use serde_json::Value;

fn reference() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/reference.json");
    let text = std::fs::read_to_string(&path).expect("tests/fixtures/eval/reference.json");
    serde_json::from_str(&text).expect("valid reference JSON")
}

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    let tol = (1e-9 * got.abs().max(want.abs())).max(1e-12);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.17}, sklearn {want:.17}"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn ids(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("id") as usize)
        .collect()
}

fn rows(v: &Value) -> Vec<Vec<f32>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                // Values are float32 in the fixture: exact in f64 and back.
                .map(|x| f(x) as f32)
                .collect()
        })
        .collect()
}

fn distance(name: &str) -> Distance {
    match name {
        "euclidean" => Distance::Euclidean,
        "cosine" => Distance::Cosine,
        other => panic!("unknown distance {other}"),
    }
}

#[test]
fn classification_matches_sklearn() {
    let r = reference();
    let cases = r["classification"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (truth, pred) = (ids(&case["truth"]), ids(&case["pred"]));
        let n_classes = case["n_classes"].as_u64().unwrap() as usize;
        let c = eval::Classification::new(&truth, &pred, n_classes);
        let want: Vec<Vec<usize>> = case["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(ids)
            .collect();
        assert_eq!(c.confusion, want, "{name}: confusion");
        assert_eq!(eval::confusion(&truth, &pred, n_classes), want, "{name}");
        let per_class = case["per_class"].as_array().unwrap();
        assert_eq!(c.per_class.len(), per_class.len(), "{name}");
        for (cls, (got, want)) in c.per_class.iter().zip(per_class).enumerate() {
            let what = format!("{name}: class {cls}");
            close(
                got.precision,
                f(&want["precision"]),
                &format!("{what} precision"),
            );
            close(got.recall, f(&want["recall"]), &format!("{what} recall"));
            close(got.f1, f(&want["f1"]), &format!("{what} f1"));
            assert_eq!(
                got.support as u64,
                want["support"].as_u64().unwrap(),
                "{what}"
            );
        }
        close(
            c.accuracy,
            f(&case["accuracy"]),
            &format!("{name}: accuracy"),
        );
        close(
            c.balanced_accuracy,
            f(&case["balanced_accuracy"]),
            &format!("{name}: balanced"),
        );
        close(
            c.macro_f1,
            f(&case["macro_f1"]),
            &format!("{name}: macro F1"),
        );
        close(
            c.weighted_f1,
            f(&case["weighted_f1"]),
            &format!("{name}: weighted F1"),
        );
        // The free functions are the struct's fields.
        assert_eq!(eval::accuracy(&truth, &pred), c.accuracy);
        assert_eq!(eval::balanced_accuracy(&truth, &pred), c.balanced_accuracy);
        assert_eq!(eval::macro_f1(&truth, &pred), c.macro_f1);
        assert_eq!(eval::class_reports(&truth, &pred, n_classes), c.per_class);
        close(
            eval::chance_accuracy(&truth),
            f(&case["chance_accuracy"]),
            name,
        );
        close(
            eval::chance_balanced_accuracy(n_classes),
            f(&case["chance_balanced_accuracy"]),
            name,
        );
    }
}

#[test]
fn clustering_matches_sklearn() {
    let r = reference();
    let cases = r["clustering"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (truth, clusters) = (ids(&case["truth"]), ids(&case["clusters"]));
        close(
            eval::nmi(&truth, &clusters),
            f(&case["nmi"]),
            &format!("{name}: NMI"),
        );
        close(
            eval::nmi(&clusters, &truth),
            f(&case["nmi"]),
            &format!("{name}: NMI swapped"),
        );
        close(
            eval::ari(&truth, &clusters),
            f(&case["ari"]),
            &format!("{name}: ARI"),
        );
        close(
            eval::purity(&truth, &clusters),
            f(&case["purity"]),
            &format!("{name}: purity"),
        );
        let (shuffles, seed) = (
            case["shuffles"].as_u64().unwrap() as usize,
            case["seed"].as_u64().unwrap(),
        );
        assert_eq!(shuffles, eval::CHANCE_SHUFFLES);
        close(
            eval::chance_nmi(&truth, &clusters, shuffles, seed),
            f(&case["chance_nmi"]),
            &format!("{name}: chance NMI"),
        );
        close(
            eval::chance_ari(&truth, &clusters, shuffles, seed),
            f(&case["chance_ari"]),
            &format!("{name}: chance ARI"),
        );
    }
}

#[test]
fn geometry_matches_sklearn_and_numpy() {
    let r = reference();
    let sets = r["geometry"].as_array().unwrap();
    let (mut n_sil, mut n_knn, mut n_trust) = (0, 0, 0);
    for set in sets {
        let name = set["name"].as_str().unwrap();
        let x = rows(&set["rows"]);
        let labels = ids(&set["labels"]);
        close(
            eval::chance_precision_at_k(&labels),
            f(&set["chance_precision_at_k"]),
            &format!("{name}: chance P@k"),
        );
        for s in set["silhouette"].as_array().unwrap() {
            let clusters = ids(&s["clusters"]);
            let sample = s["sample"].as_u64().map(|m| m as usize);
            let got = eval::silhouette(&x, &clusters, sample, s["seed"].as_u64().unwrap());
            close(
                got,
                f(&s["expected"]),
                &format!("{name}: silhouette {}", s["name"]),
            );
            n_sil += 1;
        }
        for q in set["knn"].as_array().unwrap() {
            let (d, k) = (
                distance(q["distance"].as_str().unwrap()),
                q["k"].as_u64().unwrap(),
            );
            let what = format!("{name}: {d:?} k={k}");
            let k = k as usize;
            let loo = eval::knn_loo(&x, &labels, k, d);
            assert_eq!(
                loo.predictions,
                ids(&q["predictions"]),
                "{what}: predictions"
            );
            assert_eq!(
                eval::knn_loo_predictions(&x, &labels, k, d),
                loo.predictions
            );
            close(
                eval::knn_loo_accuracy(&x, &labels, k, d),
                f(&q["accuracy"]),
                &what,
            );
            close(
                loo.precision_at_k.micro,
                f(&q["p_micro"]),
                &format!("{what}: P@k micro"),
            );
            close(
                loo.precision_at_k.macro_,
                f(&q["p_macro"]),
                &format!("{what}: P@k macro"),
            );
            assert_eq!(
                eval::precision_at_k_loo(&x, &labels, k, d),
                loo.precision_at_k
            );
            n_knn += 1;
        }
        for t in set["trustworthiness"].as_array().unwrap() {
            let high = if t["high"].is_null() {
                x.clone()
            } else {
                rows(&t["high"])
            };
            let low = rows(&t["low"]);
            let k = t["k"].as_u64().unwrap() as usize;
            let what = format!("{name}: trustworthiness {} k={k}", t["name"]);
            close(
                eval::trustworthiness(&high, &low, k),
                f(&t["expected"]),
                &what,
            );
            if low.iter().all(|p| p.len() == 2) {
                let pairs: Vec<[f32; 2]> = low.iter().map(|p| [p[0], p[1]]).collect();
                close(
                    eval::trustworthiness(&high, &pairs, k),
                    f(&t["expected"]),
                    &what,
                );
            }
            n_trust += 1;
        }
    }
    assert!(
        n_sil >= 10 && n_knn >= 30 && n_trust >= 9,
        "{n_sil} {n_knn} {n_trust}"
    );
}

#[test]
fn edge_cases_give_documented_values() {
    let none: [usize; 0] = [];
    let no_rows: [Vec<f32>; 0] = [];
    // Empty input.
    let c = eval::Classification::new(&none, &none, 2);
    assert_eq!(c.confusion, vec![vec![0, 0]; 2]);
    assert_eq!(
        (c.accuracy, c.balanced_accuracy, c.macro_f1),
        (0.0, 0.0, 0.0)
    );
    assert_eq!(
        (eval::nmi(&none, &none), eval::ari(&none, &none)),
        (1.0, 1.0)
    );
    assert_eq!(eval::purity(&none, &none), 0.0);
    assert_eq!(eval::silhouette(&no_rows, &none, None, 0), 0.0);
    assert_eq!(eval::silhouette(&no_rows, &none, Some(10), 0), 0.0);
    assert_eq!(eval::trustworthiness(&no_rows, &no_rows, 5), 1.0);
    assert!(eval::knn_loo_predictions(&no_rows, &none, 3, Distance::Euclidean).is_empty());
    let p = eval::precision_at_k_loo(&no_rows, &none, 3, Distance::Cosine);
    assert_eq!((p.micro, p.macro_), (0.0, 0.0));
    assert_eq!(
        eval::knn_loo_accuracy(&no_rows, &none, 3, Distance::Cosine),
        0.0
    );
    assert_eq!(eval::chance_accuracy(&none), 0.0);
    assert_eq!(eval::chance_precision_at_k(&none), 0.0);
    assert_eq!(eval::chance_nmi(&none, &none, 20, 1), 1.0);
    assert_eq!(eval::chance_ari(&none, &none, 20, 1), 1.0);

    // One row.
    let one = vec![vec![0.5f32, -1.0]];
    assert_eq!(
        eval::knn_loo_predictions(&one, &[2], 1, Distance::Euclidean),
        vec![eval::NO_VOTE]
    );
    assert_eq!(
        eval::knn_loo_accuracy(&one, &[2], 1, Distance::Euclidean),
        0.0
    );
    assert_eq!(eval::silhouette(&one, &[0], None, 0), 0.0);
    assert_eq!(eval::trustworthiness(&one, &one, 1), 1.0);
    assert_eq!(
        (
            eval::nmi(&[1], &[2]),
            eval::ari(&[1], &[2]),
            eval::purity(&[1], &[2])
        ),
        (1.0, 1.0, 1.0)
    );
    let c = eval::Classification::new(&[0], &[eval::NO_VOTE], 1);
    assert_eq!((c.confusion.clone(), c.accuracy), (vec![vec![0]], 0.0));
    assert_eq!(c.per_class[0].support, 1);

    // One class.
    let x: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32, 1.0]).collect();
    let same = [4usize; 6];
    assert_eq!(
        eval::knn_loo_accuracy(&x, &same, 3, Distance::Euclidean),
        1.0
    );
    let p = eval::precision_at_k_loo(&x, &same, 3, Distance::Euclidean);
    assert_eq!((p.micro, p.macro_), (1.0, 1.0));
    assert_eq!(eval::silhouette(&x, &same, None, 0), 0.0);
    assert_eq!(eval::chance_precision_at_k(&same), 1.0);
    assert_eq!(eval::chance_accuracy(&same), 1.0);
    assert_eq!(eval::balanced_accuracy(&same, &same), 1.0);

    // k ≥ n: every other row is a neighbour; trustworthiness clamps k.
    let labels = [0usize, 0, 1, 1, 1, 2];
    let all = eval::knn_loo(&x, &labels, 100, Distance::Euclidean);
    assert_eq!(all, eval::knn_loo(&x, &labels, 5, Distance::Euclidean));
    assert_eq!(all.predictions, vec![1; 6]);
    let low: Vec<[f32; 2]> = x.iter().map(|r| [r[0], 0.0]).collect();
    assert_eq!(
        eval::trustworthiness(&x, &low, 100),
        eval::trustworthiness(&x, &low, 2)
    );

    // Constant rows (NaN-free): every distance ties, no NaN anywhere.
    let flat = vec![vec![3.0f32; 4]; 5];
    let c = [0usize, 0, 1, 1, 2];
    assert_eq!(eval::silhouette(&flat, &c, None, 0), 0.0);
    assert_eq!(eval::trustworthiness(&flat, &flat, 2), 1.0);
    let z = eval::zscore(&flat);
    for d in [Distance::Euclidean, Distance::Cosine] {
        let loo = eval::knn_loo(&z, &c, 2, d);
        assert_eq!(loo.predictions, vec![1, 1, 0, 0, 0], "{d:?}");
        assert!(loo.precision_at_k.micro.is_finite());
    }
}

#[test]
fn results_are_deterministic_across_runs() {
    let x: Vec<Vec<f32>> = (0..300)
        .map(|i| {
            (0..12)
                .map(|j| (((i * 31 + j * 17) % 97) as f32).sin())
                .collect()
        })
        .collect();
    let labels: Vec<usize> = (0..300).map(|i| i % 7).collect();
    let a = eval::knn_loo(&x, &labels, 10, Distance::Cosine);
    let b = eval::knn_loo(&x, &labels, 10, Distance::Cosine);
    assert_eq!(a, b);
    let s = eval::silhouette(&x, &labels, Some(100), 9);
    assert_eq!(
        s.to_bits(),
        eval::silhouette(&x, &labels, Some(100), 9).to_bits()
    );
    assert_ne!(s, eval::silhouette(&x, &labels, Some(100), 10));
}
