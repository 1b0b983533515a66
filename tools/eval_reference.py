#!/usr/bin/env python3
"""Reference values for musim's evaluation metrics (src/eval/), from scikit-learn.

Writes tests/fixtures/eval/reference.json: small fixed inputs and what
scikit-learn (1.9) says about them; tests/eval_metrics.rs compares the Rust
implementation with it.

    /tmp/lrvenv/bin/python tools/eval_reference.py [OUT.json]

- classification: confusion_matrix, precision_recall_fscore_support
  (zero_division=0), accuracy_score, balanced_accuracy_score, f1_score
  macro/weighted, on imbalanced classes, a class never predicted, a predicted
  class that is never true, one class, non-dense ids, empty input.
- clustering: normalized_mutual_info_score (arithmetic), adjusted_rand_score,
  purity (numpy, from sklearn's contingency_matrix), and the permutation
  chance levels with the exact SplitMix64 + Fisher-Yates shuffles of
  src/eval/mod.rs.
- silhouette_score on Gaussian blobs (true labels, K-Means clusters,
  singleton clusters), a set with identical points, and seeded subsamples
  (same subset as the Rust code, reproduced here).
- manifold.trustworthiness of two 2-D maps of the blobs.
- leave-one-out kNN predictions, accuracy and precision@k in numpy, with the
  distance arithmetic and tie rule of src/eval/neighbours.rs (checked against
  sklearn's NearestNeighbors where there are no ties).

All float inputs are float32 values (what the Rust code takes); every
reference is computed in float64 on exactly those values, so the Rust results
must agree to ~1e-12, not just to float32 precision.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness
from sklearn.metrics.cluster import contingency_matrix
from sklearn.neighbors import NearestNeighbors

warnings.filterwarnings("ignore")  # sklearn warns on zero_division, absent classes, ...

MASK = (1 << 64) - 1
SHUFFLES = 20  # eval::CHANCE_SHUFFLES


class SplitMix64:
    """src/eval/mod.rs SplitMix64, bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        return (self.next_u64() * bound) >> 64

    def shuffle(self, v):
        for i in range(len(v) - 1, 0, -1):
            j = self.below(i + 1)
            v[i], v[j] = v[j], v[i]


assert SplitMix64(0).next_u64() == 0xE220A8397B1DCDAF


def f32_rows(x):
    """float32 values, as float64 arrays (exact) and as JSON lists."""
    x32 = np.asarray(x, dtype=np.float32)
    return x32.astype(np.float64), [[float(v) for v in row] for row in x32]


# ---------------------------------------------------------------- classification


def classification_case(name, truth, pred, n_classes=None):
    truth, pred = list(map(int, truth)), list(map(int, pred))
    if n_classes is None:
        n_classes = max(truth + pred) + 1 if truth else 0
    case = {"name": name, "truth": truth, "pred": pred, "n_classes": n_classes}
    labels = list(range(n_classes))
    if truth:
        case["confusion"] = metrics.confusion_matrix(truth, pred, labels=labels).tolist()
        p, r, f, s = metrics.precision_recall_fscore_support(
            truth, pred, labels=labels, zero_division=0
        )
        case["per_class"] = [
            {"precision": float(a), "recall": float(b), "f1": float(c), "support": int(d)}
            for a, b, c, d in zip(p, r, f, s)
        ]
        case["accuracy"] = float(metrics.accuracy_score(truth, pred))
        case["balanced_accuracy"] = float(metrics.balanced_accuracy_score(truth, pred))
        case["macro_f1"] = float(metrics.f1_score(truth, pred, average="macro", zero_division=0))
        case["weighted_f1"] = float(
            metrics.f1_score(truth, pred, average="weighted", zero_division=0)
        )
        case["chance_accuracy"] = float(np.unique(truth, return_counts=True)[1].max() / len(truth))
    else:  # sklearn has no answer for empty input; ours is documented as 0
        case["confusion"] = [[0] * n_classes for _ in range(n_classes)]
        case["per_class"] = [
            {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0} for _ in range(n_classes)
        ]
        for key in ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "chance_accuracy"):
            case[key] = 0.0
    case["chance_balanced_accuracy"] = 1.0 / n_classes if n_classes else 0.0
    return case


def classification_cases():
    rng = np.random.default_rng(11)
    truth = rng.choice(5, size=200, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    noisy = np.where(rng.random(200) < 0.35, rng.integers(0, 5, size=200), truth)
    noisy[noisy == 4] = 0  # class 4 never predicted
    return [
        classification_case("perfect", [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2]),
        classification_case("class_never_predicted", [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 0]),
        classification_case("predicted_never_true", [0, 0, 1, 1], [0, 2, 1, 2]),
        classification_case("imbalanced", [0] * 9 + [1] * 3 + [2], [0] * 8 + [1] + [0, 1, 1] + [0]),
        classification_case("all_wrong", [0, 1, 0, 1], [1, 0, 1, 0]),
        classification_case("one_class", [3, 3, 3], [3, 3, 3]),
        classification_case("one_class_mispredicted", [0, 0, 0, 0], [0, 1, 0, 1], n_classes=2),
        classification_case("one_row", [1], [0]),
        classification_case("sparse_ids", [3, 10, 10, 42, 42, 42], [3, 3, 10, 42, 10, 42]),
        classification_case("extra_unused_classes", [0, 1, 1], [0, 1, 0], n_classes=5),
        classification_case("random_imbalanced", truth, noisy, n_classes=5),
        classification_case("empty", [], [], n_classes=3),
    ]


# ---------------------------------------------------------------- clustering


def chance(metric, truth, clusters, seed):
    rng = SplitMix64(seed)
    total = 0.0
    for _ in range(SHUFFLES):
        c = list(clusters)
        rng.shuffle(c)
        total += float(metric(truth, c))
    return total / SHUFFLES


def purity(truth, clusters):
    if len(truth) == 0:
        return 0.0
    c = contingency_matrix(truth, clusters)  # rows: classes, columns: clusters
    return float(c.max(axis=0).sum() / len(truth))


def clustering_case(name, truth, clusters, seed=5):
    truth, clusters = list(map(int, truth)), list(map(int, clusters))
    case = {"name": name, "truth": truth, "clusters": clusters, "seed": seed, "shuffles": SHUFFLES}
    case["nmi"] = float(metrics.normalized_mutual_info_score(truth, clusters))
    case["ari"] = float(metrics.adjusted_rand_score(truth, clusters))
    case["purity"] = purity(truth, clusters)
    if truth:
        case["chance_nmi"] = chance(metrics.normalized_mutual_info_score, truth, clusters, seed)
        case["chance_ari"] = chance(metrics.adjusted_rand_score, truth, clusters, seed)
    else:
        case["chance_nmi"] = case["nmi"]
        case["chance_ari"] = case["ari"]
    return case


def clustering_cases():
    rng = np.random.default_rng(3)
    t = rng.choice(6, size=300, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    c = np.where(rng.random(300) < 0.6, t, rng.integers(0, 8, size=300))
    return [
        clustering_case("identical", [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2]),
        clustering_case("renamed", [0, 0, 1, 1, 2, 2], [7, 7, 0, 0, 3, 3]),
        clustering_case("independent_2x2", [0, 0, 1, 1], [0, 1, 0, 1]),
        clustering_case("one_cluster", [0, 0, 1, 1, 2], [4, 4, 4, 4, 4]),
        clustering_case("one_class", [1, 1, 1, 1], [0, 0, 1, 2]),
        clustering_case("both_one_group", [2, 2, 2], [9, 9, 9]),
        clustering_case("all_singletons", [0, 0, 1, 1, 1, 2], [0, 1, 2, 3, 4, 5]),
        clustering_case("imbalanced", [0] * 10 + [1] * 3 + [2] * 2, [0] * 8 + [1] * 4 + [2] * 3),
        clustering_case("split_and_merge", [0, 0, 0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2, 2, 2]),
        clustering_case("one_row", [5], [8]),
        clustering_case("random_6x8", t, c, seed=123),
        clustering_case("empty", [], []),
    ]


# ---------------------------------------------------------------- geometry


def exact_distances(x):
    """Euclidean distances, exactly as float64 arithmetic gives them."""
    diff = x[:, None, :] - x[None, :, :]
    return np.sqrt((diff * diff).sum(axis=-1))


def silhouette_ref(x, labels, sample=None, seed=0):
    """(value, subset): sklearn silhouette_score on exact distances, on the Rust subsample."""
    n = len(labels)
    idx = list(range(n))
    if sample is not None and n > sample:
        SplitMix64(seed).shuffle(idx)
        idx = idx[:sample]
    lab = np.asarray(labels)[idx]
    if len(np.unique(lab)) < 2 or len(np.unique(lab)) > len(lab) - 1:
        # sklearn raises; every row of such a clustering scores 0 by its own
        # definition (one cluster: no b; all singletons: s = 0).
        return 0.0
    d = exact_distances(x[idx])
    return float(metrics.silhouette_score(d, lab, metric="precomputed"))


def knn_distances(x32, metric):
    """src/eval/mod.rs `distance`: f32 difference, then f64, summed in coordinate order."""
    if metric == "euclidean":
        diff = (x32[:, None, :] - x32[None, :, :]).astype(np.float64)  # f32 subtraction
        sq = diff * diff
        total = np.cumsum(sq, axis=-1)[..., -1] if x32.shape[1] else np.zeros(sq.shape[:2])
        return np.sqrt(total)
    x = x32.astype(np.float64)
    dot = np.cumsum(x[:, None, :] * x[None, :, :], axis=-1)[..., -1]
    norm = np.cumsum(x * x, axis=-1)[..., -1]
    out = np.empty_like(dot)
    for i in range(len(x)):
        for j in range(len(x)):
            if norm[i] == 0.0 or norm[j] == 0.0:
                out[i, j] = 1.0
            else:
                out[i, j] = 1.0 - dot[i, j] / (np.sqrt(norm[i]) * np.sqrt(norm[j]))
    return out


def knn_ref(x32, labels, k, metric):
    """LOO predictions and precision@k with the Rust neighbour and tie rule."""
    n = len(labels)
    if n < 2 or k == 0:
        return [None] * n, 0.0, 0.0, 0.0
    d = knn_distances(x32, metric)
    preds, shares = [], []
    for i in range(n):
        near = sorted((float(d[i, j]), j) for j in range(n) if j != i)[: min(k, n - 1)]
        tally = []  # [label, votes, summed distance] in order of first appearance
        for dist, j in near:
            for t in tally:
                if t[0] == labels[j]:
                    t[1] += 1
                    t[2] += dist
                    break
            else:
                tally.append([labels[j], 1, dist])
        best = None
        for t in tally:  # Iterator::max_by keeps the last of equal maxima
            if best is None or (t[1], -t[2]) >= (best[1], -best[2]):
                best = t
        preds.append(best[0])
        shares.append(sum(labels[j] == labels[i] for _, j in near) / len(near))
    acc = sum(p == t for p, t in zip(preds, labels)) / n
    micro = sum(shares) / n
    classes = sorted(set(labels))
    per_class = []
    for c in classes:
        s = 0.0
        for share, lab in zip(shares, labels):
            if lab == c:
                s += share
        per_class.append(s / labels.count(c))
    macro = sum(per_class) / len(classes)
    return preds, acc, micro, macro


def check_neighbours_against_sklearn(x32, k, metric):
    """Where no distances tie, our neighbour sets must be sklearn's."""
    d = knn_distances(x32, metric)
    nn = NearestNeighbors(n_neighbors=k, metric=metric, algorithm="brute").fit(
        x32.astype(np.float64)
    )
    theirs = nn.kneighbors(return_distance=False)
    for i in range(len(x32)):
        ours = sorted(range(len(x32)), key=lambda j: (j == i, d[i, j], j))[:k]
        assert set(ours) == set(theirs[i]), (metric, i)


def chance_precision_at_k(labels):
    """Expected same-label share of a uniformly random other row."""
    n = len(labels)
    counts = np.unique(labels, return_counts=True)[1]
    return float(sum(int(c) * (int(c) - 1) for c in counts) / (n * (n - 1)))


def trust_ref(x64, low64, k):
    n = len(x64)
    keff = min(k, (n - 1) // 2)
    if keff == 0:
        return 1.0
    return float(trustworthiness(x64, low64, n_neighbors=keff))


def geometry_sets():
    # Imbalanced Gaussian blobs, rounded to float32.
    x, y = make_blobs(
        n_samples=[40, 25, 12, 6], n_features=7, cluster_std=[1.0, 1.5, 0.8, 2.0],
        center_box=(-4.0, 4.0), random_state=7,
    )
    blobs64, blobs_rows = f32_rows(x)
    blobs32 = blobs64.astype(np.float32)
    y = [int(v) for v in y]
    kmeans = [int(v) for v in KMeans(n_clusters=4, n_init=10, random_state=0).fit_predict(blobs64)]
    singletons = list(kmeans)
    for i, new in ((0, 10), (17, 11), (50, 12)):  # three rows alone in their cluster
        singletons[i] = new
    # Silhouette sanity: sklearn's own (expanded-formula) distances agree.
    assert abs(silhouette_ref(blobs64, y) - metrics.silhouette_score(blobs64, y)) < 1e-12

    # Two 2-D maps: PCA, and PCA with the first axis scrambled.
    centred = blobs64 - blobs64.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    pca64, pca_rows = f32_rows(centred @ vt[:2].T)
    rng = np.random.default_rng(5)
    noisy64, noisy_rows = f32_rows(pca64 + rng.normal(scale=2.0, size=pca64.shape))

    # Small integer grid with exact duplicates: distance ties everywhere.
    grid = np.array(
        [[i % 3, (i // 3) % 3, (i * 7) % 2] for i in range(18)] + [[0, 0, 0], [2, 2, 1]],
        dtype=np.float32,
    )
    grid64, grid_rows = f32_rows(grid)
    grid_labels = [int((i * 5) % 7 % 3) for i in range(len(grid))]

    sets = []
    blobs = {
        "name": "blobs", "rows": blobs_rows, "labels": y,
        "chance_precision_at_k": chance_precision_at_k(y),
        "silhouette": [], "knn": [], "trustworthiness": [],
    }
    for name, lab in (("labels", y), ("kmeans", kmeans), ("singletons", singletons)):
        blobs["silhouette"].append(
            {"name": name, "clusters": lab, "sample": None, "seed": 0,
             "expected": silhouette_ref(blobs64, lab)}
        )
    for sample, seed in ((30, 1), (30, 2), (5, 3), (1, 4), (500, 5)):
        blobs["silhouette"].append(
            {"name": f"kmeans_sample{sample}_seed{seed}", "clusters": kmeans, "sample": sample,
             "seed": seed, "expected": silhouette_ref(blobs64, kmeans, sample, seed)}
        )
    n = len(y)
    for metric in ("euclidean", "cosine"):
        for k in (1, 5, 10):
            check_neighbours_against_sklearn(blobs32, k, metric)
        for k in (1, 3, 4, 10, n - 1, n + 4):
            preds, acc, micro, macro = knn_ref(blobs32, y, k, metric)
            blobs["knn"].append(
                {"distance": metric, "k": k, "predictions": preds, "accuracy": acc,
                 "p_micro": micro, "p_macro": macro}
            )
    for name, low64, low_rows in (("pca", pca64, pca_rows), ("noisy_pca", noisy64, noisy_rows)):
        for k in (1, 5, 12, 1000):
            blobs["trustworthiness"].append(
                {"name": name, "low": low_rows, "k": k, "expected": trust_ref(blobs64, low64, k)}
            )
    sets.append(blobs)

    grid_set = {
        "name": "grid_with_duplicates", "rows": grid_rows, "labels": grid_labels,
        "chance_precision_at_k": chance_precision_at_k(grid_labels),
        "silhouette": [
            {"name": "labels", "clusters": grid_labels, "sample": None, "seed": 0,
             "expected": silhouette_ref(grid64, grid_labels)},
            {"name": "by_first_coordinate", "clusters": [int(r[0]) for r in grid],
             "sample": None, "seed": 0,
             "expected": silhouette_ref(grid64, [int(r[0]) for r in grid])},
        ],
        "knn": [], "trustworthiness": [],
    }
    for metric in ("euclidean", "cosine"):
        for k in (1, 2, 3, 5, 8, 19, 40):
            preds, acc, micro, macro = knn_ref(grid, grid_labels, k, metric)
            grid_set["knn"].append(
                {"distance": metric, "k": k, "predictions": preds, "accuracy": acc,
                 "p_micro": micro, "p_macro": macro}
            )
    # A tiny set where k = 10 is clamped to (n - 1) // 2 = 2 (no distance ties:
    # sklearn leaves ties to an unstable sort).
    tiny64, tiny_rows = f32_rows([[0, 0], [0, 1.5], [1, 0], [5, 5], [5, 7]])
    tiny_low64, tiny_low_rows = f32_rows([[0.0], [5.1], [0.7], [1.3], [4.2]])
    grid_set["trustworthiness"].append(
        {"name": "tiny_clamped", "high": tiny_rows, "low": tiny_low_rows, "k": 10,
         "expected": trust_ref(tiny64, tiny_low64, 10)}
    )
    sets.append(grid_set)

    same64, same_rows = f32_rows([[1, 1], [1, 1], [1, 1], [3, 3], [3, 3], [2, 9]])
    sets.append({
        "name": "identical_points", "rows": same_rows, "labels": [0, 0, 0, 1, 1, 2],
        "chance_precision_at_k": chance_precision_at_k([0, 0, 0, 1, 1, 2]),
        "silhouette": [
            {"name": "by_point", "clusters": [0, 0, 0, 1, 1, 2], "sample": None, "seed": 0,
             "expected": silhouette_ref(same64, [0, 0, 0, 1, 1, 2])},
            {"name": "mixed", "clusters": [0, 1, 0, 1, 0, 1], "sample": None, "seed": 0,
             "expected": silhouette_ref(same64, [0, 1, 0, 1, 0, 1])},
        ],
        "knn": [], "trustworthiness": [],
    })
    same32 = same64.astype(np.float32)
    for metric in ("euclidean", "cosine"):
        for k in (1, 2, 3, 5):
            preds, acc, micro, macro = knn_ref(same32, [0, 0, 0, 1, 1, 2], k, metric)
            sets[-1]["knn"].append(
                {"distance": metric, "k": k, "predictions": preds, "accuracy": acc,
                 "p_micro": micro, "p_macro": macro}
            )
    return sets


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent.parent / "tests/fixtures/eval/reference.json"
    )
    data = {
        "generator": "tools/eval_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "classification": classification_cases(),
        "clustering": clustering_cases(),
        "geometry": geometry_sets(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
