//! What a query reads of a model, one row at a time: from a [`Model`] in
//! memory, or from the model file in place (the model file implements
//! [`Rows`] too), so that a query of one library track reads its own row,
//! its graph row and its neighbours' rows — not 100 000 tracks.

use std::borrow::Cow;

use crate::analysis::Windows;
use crate::model::graph::Neighbour;
use crate::model::{Cluster, Model, Track};
use crate::similarity::insertion::Links;
use crate::similarity::stored::{Head, Row};

/// A model's rows (rows follow the tracks; `i < len()` is the caller's
/// to keep, indices read from the model are checked by the reader).
pub trait Rows {
    /// Why a row cannot be read (a damaged model file).
    type Error: std::fmt::Display;
    /// Number of tracks.
    fn len(&self) -> usize;
    /// True when there is no track.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Below this many tracks the graph is exact, not NN-descent's.
    fn exact_below(&self) -> usize;
    /// Names of the dimensions of the z rows.
    fn feature_names(&self) -> &[String];
    /// The clusters.
    fn clusters(&self) -> &[Cluster];
    /// The row of the track whose path is `path` (raw OS bytes).
    fn row_of(&self, path: &[u8]) -> Result<Option<usize>, Self::Error>;
    /// Track `i`.
    fn track(&self, i: usize) -> Result<Cow<'_, Track>, Self::Error>;
    /// Track `i`'s z-scored vector.
    fn z(&self, i: usize) -> Result<Cow<'_, [f32]>, Self::Error>;
    /// Track `i`'s nearest neighbours in the similarity graph.
    fn graph(&self, i: usize) -> Result<Cow<'_, [Neighbour]>, Self::Error>;
    /// Track `i`'s cluster.
    fn assignment(&self, i: usize) -> Result<u32, Self::Error>;
    /// Track `i`'s map position.
    fn map(&self, i: usize) -> Result<[f32; 2], Self::Error>;
    /// The windows the library's tracks were analysed over.
    fn windows(&self) -> Windows;
    /// The similarity space's small parts (profile, statistics, sample).
    fn space_head(&self) -> Cow<'_, Head>;
    /// Track `i`'s row of the similarity space.
    fn space_row(&self, i: usize) -> Result<Row, Self::Error>;
    /// The similarity graph's links, both ways (what a search walks).
    fn links(&self) -> Result<Links, Self::Error>;
}

impl Rows for Model {
    type Error = std::convert::Infallible;

    fn len(&self) -> usize {
        self.tracks.len()
    }

    fn exact_below(&self) -> usize {
        self.params.exact_below
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    fn row_of(&self, path: &[u8]) -> Result<Option<usize>, Self::Error> {
        Ok(self.tracks.iter().position(|t| t.path == path))
    }

    // A model in memory was checked whole when it was loaded or built:
    // its rows are indexed as everywhere else.
    fn track(&self, i: usize) -> Result<Cow<'_, Track>, Self::Error> {
        Ok(Cow::Borrowed(&self.tracks[i]))
    }

    fn z(&self, i: usize) -> Result<Cow<'_, [f32]>, Self::Error> {
        Ok(Cow::Borrowed(&self.space.z[i]))
    }

    fn graph(&self, i: usize) -> Result<Cow<'_, [Neighbour]>, Self::Error> {
        Ok(Cow::Borrowed(
            self.graph.get(i).map_or(&[][..], Vec::as_slice),
        ))
    }

    fn assignment(&self, i: usize) -> Result<u32, Self::Error> {
        Ok(self.assignment.get(i).copied().unwrap_or(0))
    }

    fn map(&self, i: usize) -> Result<[f32; 2], Self::Error> {
        Ok(self.map.get(i).copied().unwrap_or([0.0, 0.0]))
    }

    fn windows(&self) -> Windows {
        self.windows
    }

    fn space_head(&self) -> Cow<'_, Head> {
        Cow::Owned(self.space.head())
    }

    fn space_row(&self, i: usize) -> Result<Row, Self::Error> {
        Ok(self.space.stored_row(i))
    }

    fn links(&self) -> Result<Links, Self::Error> {
        Ok(Links::of(&self.graph))
    }
}
