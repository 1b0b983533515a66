//! Model-building progress as lines on stderr (one per stage, the t-SNE
//! map every quarter), fine on a terminal and in logs alike.

use std::sync::Mutex;

use crate::model::Stage;

/// A reporter for [`crate::model::build`] that writes to stderr.
#[derive(Debug, Default)]
pub struct StderrStages {
    last: Mutex<Option<(Stage, usize)>>,
}

impl StderrStages {
    /// A new reporter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Report `stage` (repeats and small map steps are dropped).
    pub fn report(&self, stage: Stage) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let line = match stage {
            Stage::Normalise => "model: normalising fingerprints".to_string(),
            Stage::Cluster => "model: clustering (K-Means)".to_string(),
            Stage::Graph => "model: similarity graph and PageRank".to_string(),
            Stage::Map(done, total) => {
                let quarter = (4 * done).checked_div(total).unwrap_or(4);
                if matches!(*last, Some((Stage::Map(..), q)) if q == quarter) {
                    return;
                }
                *last = Some((stage, quarter));
                eprintln!("musim-tui: model: t-SNE map {done}/{total} iterations");
                return;
            }
        };
        if last.as_ref().is_some_and(|(s, _)| *s == stage) {
            return;
        }
        *last = Some((stage, 0));
        eprintln!("musim-tui: {line}");
    }
}
