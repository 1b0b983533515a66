//! A [`Space`] brought up to date when a few tracks are added or removed
//! (the incremental model): new rows are placed with the library's
//! statistics (the z-scoring, the Gaussians' centre, the mutual-proximity
//! sample) as a query's track is, so the old rows keep their values. The
//! tables derived from the rows (padded z, prepared Gaussians: over a
//! second to make at 100 000 tracks) are kept and changed with them, not
//! made again.

use rayon::prelude::*;

use super::kernels::with_simd;
use super::{Point, Space, SpaceError, TIMBRE_STORED};

impl Space {
    /// Drops the rows whose `keep` is false (the others keep their order).
    /// The proximity sample loses the dropped rows.
    pub fn retain_rows(&mut self, keep: &[bool]) {
        let kept = |i: usize| keep.get(i).copied().unwrap_or(false);
        if (0..self.len()).all(kept) {
            // Nothing dropped: the prepared rows stay valid (at 100 000
            // tracks preparing the Gaussians again takes over a second).
            return;
        }
        fn filter<T>(v: &mut Vec<T>, kept: &dyn Fn(usize) -> bool) {
            let mut i = 0;
            v.retain(|_| {
                i += 1;
                kept(i - 1)
            });
        }
        let mut renumber = vec![u32::MAX; self.len()];
        let mut next = 0u32;
        for (i, r) in renumber.iter_mut().enumerate() {
            if kept(i) {
                *r = next;
                next += 1;
            }
        }
        filter(&mut self.z, &kept);
        filter(&mut self.timbre, &kept);
        filter(&mut self.vector_spread, &kept);
        filter(&mut self.timbre_spread, &kept);
        filter(&mut self.unit, &kept);
        if let Some(d) = self.deep.as_mut() {
            filter(&mut d.unit, &kept);
            filter(&mut d.spread, &kept);
        }
        self.sample = self
            .sample
            .iter()
            .filter_map(|&s| renumber.get(s as usize).copied())
            .filter(|&s| s != u32::MAX)
            .collect();
        if let Some(zp) = self.zp.get_mut() {
            zp.retain(kept);
        }
        if let Some(gauss) = self.gauss.get_mut() {
            gauss.retain(kept);
        }
    }

    /// Appends tracks from their full index rows (and deep embeddings for
    /// the profiles that need them), z-scored and measured against the
    /// library as it is (as [`Space::point_with`] does).
    pub fn extend_rows(
        &mut self,
        rows: &[&[f32]],
        embeddings: Option<&[&[f32]]>,
    ) -> Result<(), SpaceError> {
        let proximity = self.profile.uses_proximity();
        if proximity {
            // Made once, here on this thread (see `Space::gauss`): the new
            // points' spreads read them, and they then grow with the rows.
            self.zp();
            self.gauss();
        }
        let points: Vec<Point> = (0..rows.len())
            .into_par_iter()
            .map(|i| self.point_with(rows[i], embeddings.and_then(|e| e.get(i).copied())))
            .collect::<Result<_, _>>()?;
        for (point, row) in points.into_iter().zip(rows) {
            if let Some(t) = self.timbre_at {
                let t = t as usize;
                self.timbre.push(row[t..t + TIMBRE_STORED].to_vec());
                // As `Space::gauss` prepares the row's Gaussian.
                let g = point.gauss.clone().unwrap_or_else(|| self.flat_gaussian());
                if let Some(table) = self.gauss.get_mut() {
                    table.push(&g);
                }
            }
            if proximity {
                if let Some(zp) = self.zp.get_mut() {
                    zp.push(&point.zp);
                }
            }
            if proximity {
                self.vector_spread.push(point.vector_spread);
                self.timbre_spread.push(point.timbre_spread);
            } else {
                self.unit.push(point.unit);
            }
            if let (Some(d), Some((u, sp))) = (self.deep.as_mut(), point.deep) {
                d.unit.push(u);
                d.spread.push(sp);
            }
            self.z.push(point.z);
        }
        Ok(())
    }

    /// Whether index rows named `names` can be added (the same values in
    /// the same places as the rows the space was built from).
    pub fn fits_rows(&self, names: &[String]) -> bool {
        if names.len() != self.row_len as usize {
            return false;
        }
        self.profile == super::Profile::Deep
            || self
                .dims
                .iter()
                .zip(&self.names)
                .all(|(&d, n)| names.get(d as usize) == Some(n))
    }

    /// Similarities of row `a` to each of rows `bs` into `out` (as
    /// [`Space::similarity`] gives them), for graph updates.
    pub fn row_similarities(&self, a: usize, bs: &[u32], out: &mut [f32]) {
        thread_local! {
            static SCRATCH: std::cell::RefCell<super::Scratch> = std::cell::RefCell::default();
        }
        // Made on this thread first (see `Space::gauss`).
        self.zp();
        self.gauss();
        SCRATCH.with(|s| {
            let s = &mut s.borrow_mut();
            with_simd(
                #[inline(always)]
                |isa| self.sims_rows(isa, a, bs, s, out),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::Profile;

    #[test]
    fn added_and_kept_rows_compare_as_a_built_space_does() {
        let names: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                (0..6)
                    .map(|d| ((i * 7 + d * 3) % 11) as f32 + d as f32)
                    .collect()
            })
            .collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        for profile in [Profile::Seed, Profile::Musim] {
            let full = Space::build(profile, &names, &refs).unwrap();
            let mut grown = Space::build(profile, &names, &refs[..30]).unwrap();
            grown.extend_rows(&refs[30..], None).unwrap();
            assert_eq!(grown.len(), 40);
            assert!(grown.fits_rows(&names) && !grown.fits_rows(&names[1..]));
            let mut renamed = names.clone();
            renamed[2] = "other".into();
            assert!(!grown.fits_rows(&renamed));
            // The new rows are what a query of the same values would be.
            let p = grown.point(&rows[35]).unwrap();
            let mut out = [0.0f32; 3];
            grown.row_similarities(35, &[0, 5, 31], &mut out);
            for (o, j) in out.iter().zip([0, 5, 31]) {
                assert!((o - grown.similarity(&p, j)).abs() < 1e-5, "{profile}");
            }
            // Dropping rows keeps the others' similarities.
            let keep: Vec<bool> = (0..40).map(|i| i % 4 != 1).collect();
            let mut before = [0.0f32; 1];
            full.row_similarities(2, &[8], &mut before);
            let mut fewer = full.clone();
            fewer.retain_rows(&keep);
            assert_eq!(fewer.len(), 30);
            let mut after = [0.0f32; 1];
            // Rows 2 and 8 are now 1 and 6.
            fewer.row_similarities(1, &[6], &mut after);
            assert!((before[0] - after[0]).abs() < 1e-6, "{profile}");
        }
    }

    #[test]
    fn derived_tables_are_kept_and_grown_not_made_again() {
        use crate::features::fingerprint::feature_names;
        use crate::similarity::tests::{embedding, rows};
        let rows = rows(60);
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let emb: Vec<Vec<f32>> = rows.iter().map(|r| embedding(r)).collect();
        let emb: Vec<&[f32]> = emb.iter().map(Vec::as_slice).collect();
        for profile in [Profile::Musim, Profile::Fused] {
            let mut space =
                Space::build_with(profile, feature_names(), &refs[..45], Some(&emb[..45])).unwrap();
            // Rows dropped, then added: the tables made before are still
            // there, and are what making them anew from the rows gives.
            let mut out = [0.0f32; 1];
            space.row_similarities(0, &[1], &mut out);
            let keep: Vec<bool> = (0..45).map(|i| i % 3 != 2).collect();
            space.retain_rows(&keep);
            space.extend_rows(&refs[45..], Some(&emb[45..])).unwrap();
            assert_eq!(space.len(), 45);
            assert!(space.zp.get().is_some() && space.gauss.get().is_some());
            let mut fresh = space.clone();
            fresh.zp = Default::default();
            fresh.gauss = Default::default();
            assert_eq!(space.zp(), fresh.zp(), "{profile}");
            assert_eq!(space.gauss(), fresh.gauss(), "{profile}");
            assert!(space.gauss().get(44).is_some(), "{profile}");
        }
    }
}
