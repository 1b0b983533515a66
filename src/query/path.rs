//! Chains of similar tracks: `musim-tui path A B`.

use std::path::Path;

use serde::Serialize;

use super::{neighbours, QueryError};
use crate::library::paths::show;
use crate::model::graph::{chain, dot_unit, unit, Neighbour};
use crate::model::Model;

/// One step of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Path for display.
    pub path: String,
    /// Genre label.
    pub label: Option<String>,
    /// Similarity to the previous step (None for the first).
    pub similarity: Option<f32>,
}

/// Why no chain could be made.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// An end could not be read.
    #[error(transparent)]
    End(#[from] QueryError),
    /// The graph does not connect the two.
    #[error("no chain of similar tracks connects {from} and {to}: the similarity graph falls apart into separate groups here")]
    NoChain {
        /// Start.
        from: String,
        /// End.
        to: String,
    },
}

/// A library row, or an outside file joined to the graph by its neighbours.
enum End {
    Track(usize),
    Outside {
        unit: Vec<f32>,
        label: String,
        neighbours: Vec<Neighbour>,
    },
}

fn resolve(model: &Model, path: &Path) -> Result<End, QueryError> {
    super::check_file(path)?;
    if let Some(i) = super::library_row(model, path) {
        return Ok(End::Track(i));
    }
    let (z, _) = super::analyse_z(model, path)?;
    let near = neighbours(model, &z, None, model.params.neighbours.max(1));
    Ok(End::Outside {
        unit: unit(&z),
        label: show(path),
        neighbours: near.into_iter().map(|(n, _)| n).collect(),
    })
}

/// The chain of library tracks leading from `from` to `to` along the
/// similarity graph (cheapest path, each step's cost its squared cosine
/// distance, so many small steps beat one leap).
pub fn find_chain(model: &Model, from: &Path, to: &Path) -> Result<Vec<Step>, PathError> {
    let a = resolve(model, from)?;
    let b = resolve(model, to)?;
    let n = model.len();
    let mut extra: Vec<Vec<Neighbour>> = Vec::new();
    let mut outside: Vec<(Vec<f32>, String)> = Vec::new();
    let mut node = |e: End| match e {
        End::Track(i) => i,
        End::Outside {
            unit,
            label,
            neighbours,
        } => {
            extra.push(neighbours);
            outside.push((unit, label));
            n + extra.len() - 1
        }
    };
    let (ia, ib) = (node(a), node(b));
    let nodes = if ia == ib {
        vec![ia]
    } else {
        chain(&model.graph, &extra, ia, ib).ok_or_else(|| PathError::NoChain {
            from: show(from),
            to: show(to),
        })?
    };
    let vec_of = |i: usize| -> &[f32] {
        if i < n {
            &model.unit[i]
        } else {
            &outside[i - n].0
        }
    };
    Ok(nodes
        .iter()
        .enumerate()
        .map(|(s, &i)| {
            let (path, label) = if i < n {
                (model.tracks[i].show_path(), model.tracks[i].label.clone())
            } else {
                (outside[i - n].1.clone(), None)
            };
            Step {
                path,
                label,
                similarity: (s > 0).then(|| dot_unit(vec_of(nodes[s - 1]), vec_of(i))),
            }
        })
        .collect())
}
