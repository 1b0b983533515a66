//! What the studies share: a corpus's full distance matrix and its scores
//! by `report --compare`'s own code (`Labelled::scores`).

use rayon::prelude::*;

use musim::library::index::{Entry, Index};
use musim::report::compare::{hubness, Labelled, HUBNESS_K};
use musim::similarity::{best, Neighbour, Space};

/// A square matrix of distances among the study's tracks.
pub type Matrix = Vec<Vec<f64>>;

/// Row `i` of an `n`-square matrix from `row(i)`, rows in parallel.
pub fn matrix(n: usize, row: impl Fn(usize) -> Vec<f64> + Sync + Send) -> Matrix {
    (0..n).into_par_iter().map(row).collect()
}

/// The distances (1 − similarity) among all the rows of `space`.
pub fn space_matrix(space: &Space) -> Matrix {
    matrix(space.len(), |i| {
        let p = space.row_point(i);
        (0..space.len())
            .map(|j| 1.0 - f64::from(space.similarity(&p, j)))
            .collect()
    })
}

/// The tracks `report --compare` scores when a deep profile is among the
/// profiles: analysed ones with a full row and an embedding, each with
/// its row and embedding.
pub fn compared(index: &Index) -> (Vec<&Entry>, Vec<&[f32]>, Vec<&[f32]>) {
    let names = &index.header.feature_names;
    let mut entries = Vec::new();
    let mut rows = Vec::new();
    let mut embeddings = Vec::new();
    for e in &index.entries {
        let Some(values) = e.values().filter(|v| v.len() == names.len()) else {
            continue;
        };
        if let Some(emb) = index.deep.embedding(e) {
            entries.push(e);
            rows.push(values);
            embeddings.push(emb);
        }
    }
    (entries, rows, embeddings)
}

/// The scores of distances `d` (hubness from each row's 10 nearest),
/// named `name`, as `report --compare` would print them.
pub fn print(labelled: &Labelled, name: &str, d: &Matrix) {
    let fill = musim::report::filtered::matrix_distances(d);
    let graph: Vec<Vec<Neighbour>> = (0..d.len())
        .map(|i| {
            let all = (0..d.len()).filter(|&j| j != i).map(|j| Neighbour {
                index: j as u32,
                similarity: (1.0 - d[i][j]) as f32,
            });
            best(all.collect(), HUBNESS_K)
        })
        .collect();
    let s = labelled.scores(&fill, name, hubness(&graph, d.len()), 0.0);
    println!("{name:<24} {}", s.line());
}
