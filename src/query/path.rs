//! Chains of similar tracks: `musim-tui path A B`.

use std::path::Path;

use serde::Serialize;

use super::{neighbours, QueryError};
use crate::model::graph::{chain, Neighbour};
use crate::model::Model;
use crate::similarity::Point;
use crate::store::paths::{lossy, show, to_bytes};
use crate::tags::TrackInfo;

/// One step of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Path (text data, as in JSON; shown through
    /// [`crate::store::text::safe`]).
    pub path: String,
    /// Name and tags (beside `path` in JSON).
    #[serde(flatten)]
    pub info: TrackInfo,
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
        point: Box<Point>,
        label: String,
        info: TrackInfo,
        neighbours: Vec<Neighbour>,
    },
}

fn resolve(model: &Model, path: &Path) -> Result<End, QueryError> {
    super::check_file(path)?;
    if let Some(i) = super::library_row(model, path) {
        return Ok(End::Track(i));
    }
    let (p, _, _) = super::analyse_point(model, path)?;
    let near = neighbours(model, &p, None, model.params.neighbours.max(1));
    Ok(End::Outside {
        point: Box::new(p),
        label: lossy(path),
        info: crate::tags::read(path)
            .unwrap_or_default()
            .info(&to_bytes(path)),
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
    let mut outside: Vec<(Point, String, TrackInfo)> = Vec::new();
    let mut node = |e: End| match e {
        End::Track(i) => i,
        End::Outside {
            point,
            label,
            info,
            neighbours,
        } => {
            extra.push(neighbours);
            outside.push((*point, label, info));
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
    // Similarity of consecutive steps; an outside end is only ever next
    // to a library track (it joins the graph through its neighbours).
    let step_similarity = |a: usize, b: usize| -> f32 {
        let space = &model.space;
        match (a < n, b < n) {
            (true, true) => space.similarity(&space.row_point(a), b),
            (false, true) => space.similarity(&outside[a - n].0, b),
            (true, false) => space.similarity(&outside[b - n].0, a),
            (false, false) => 1.0,
        }
    };
    Ok(nodes
        .iter()
        .enumerate()
        .map(|(s, &i)| {
            let (path, info, label) = if i < n {
                let t = &model.tracks[i];
                (t.path_text(), t.info(), t.label.clone())
            } else {
                let o = &outside[i - n];
                (o.1.clone(), o.2.clone(), None)
            };
            Step {
                path,
                info,
                label,
                similarity: (s > 0).then(|| step_similarity(nodes[s - 1], i)),
            }
        })
        .collect())
}
