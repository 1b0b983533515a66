//! How sure a difference between two rankings is: a paired cluster
//! bootstrap of the difference of per-query scores. Queries of one group
//! (an artist, a source) are not independent samples — they share a sound
//! and are each other's neighbours — so whole groups are resampled with
//! replacement, and the 95 % interval is the 2.5th to 97.5th percentile of
//! the resampled differences. Seeded: the same input gives the same figures.

use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Resamples the report and the studies draw.
pub const RESAMPLES: usize = 2000;
/// Seed of the resampling (any fixed value: the figures must be rerunnable).
pub const SEED: u64 = 22;

/// A difference of means (candidate − baseline) and its 95 % percentile
/// interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The difference on the data as it is.
    pub diff: f64,
    /// 2.5th percentile of the resampled differences.
    pub low: f64,
    /// 97.5th percentile.
    pub high: f64,
}

/// The paired cluster bootstrap of mean(`a`) − mean(`b`), `a` and `b`
/// per-query scores of the same queries and `group[q]` query q's group:
/// each resample draws as many groups as there are, with replacement, and
/// takes the difference over all the queries of the drawn groups.
pub fn paired(a: &[f64], b: &[f64], group: &[usize], resamples: usize, seed: u64) -> Interval {
    stratified(a, b, group, &vec![0; group.len()], resamples, seed)
}

/// [`paired`] over several corpora pooled (`stratum[q]`: query q's
/// corpus; group ids distinct across corpora): each resample draws, in
/// each corpus, as many of its groups as it has, so every corpus keeps its
/// share; the difference is over all the drawn queries.
pub fn stratified(
    a: &[f64],
    b: &[f64],
    group: &[usize],
    stratum: &[usize],
    resamples: usize,
    seed: u64,
) -> Interval {
    let n = a.len().min(b.len()).min(group.len()).min(stratum.len());
    // Dense ids in the order of the given ones (any usize will do).
    let (group, groups) = super::dense_ids(&group[..n]);
    let (stratum, strata) = super::dense_ids(&stratum[..n]);
    // Per group: summed difference, query count and corpus.
    let mut sum = vec![0.0f64; groups];
    let mut count = vec![0usize; groups];
    let mut corpus = vec![0usize; groups];
    for q in 0..n {
        sum[group[q]] += a[q] - b[q];
        count[group[q]] += 1;
        corpus[group[q]] = stratum[q];
    }
    let by_stratum: Vec<Vec<usize>> = (0..strata)
        .map(|t| (0..groups).filter(|&s| corpus[s] == t).collect())
        .filter(|g: &Vec<usize>| !g.is_empty())
        .collect();
    let mean_of = |draw: &mut dyn Iterator<Item = usize>| -> f64 {
        let (mut s, mut c) = (0.0, 0usize);
        for k in draw {
            s += sum[k];
            c += count[k];
        }
        if c == 0 {
            0.0
        } else {
            s / c as f64
        }
    };
    let diff = mean_of(&mut by_stratum.iter().flatten().copied());
    if by_stratum.is_empty() || resamples == 0 {
        return Interval {
            diff,
            low: diff,
            high: diff,
        };
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut picked = Vec::with_capacity(groups);
    let mut draws: Vec<f64> = (0..resamples)
        .map(|_| {
            picked.clear();
            for g in &by_stratum {
                let m = g.len() as u64;
                // Multiply-shift: an index in 0..m, bias below 2^-40 here.
                picked.extend(
                    (0..m)
                        .map(|_| g[((u128::from(rng.next_u64()) * u128::from(m)) >> 64) as usize]),
                );
            }
            mean_of(&mut picked.iter().copied())
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let at = |p: f64| draws[((p * resamples as f64).floor() as usize).min(resamples - 1)];
    Interval {
        diff,
        low: at(0.025),
        high: at(0.975),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_scores_give_zero() {
        let a: Vec<f64> = (0..40).map(|q| (q % 6) as f64 / 5.0).collect();
        let group: Vec<usize> = (0..40).map(|q| q / 5).collect();
        let i = paired(&a, &a, &group, RESAMPLES, SEED);
        assert_eq!((i.diff, i.low, i.high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn better_in_every_group_is_above_zero_and_the_swap_below() {
        // Candidate better by 0.2 to 0.4 in each of 8 groups, with noise
        // inside groups.
        let group: Vec<usize> = (0..48).map(|q| q / 6).collect();
        let b: Vec<f64> = (0..48).map(|q| ((q * 7) % 5) as f64 / 10.0).collect();
        let a: Vec<f64> = (0..48)
            .map(|q| b[q] + 0.2 + (group[q] % 3) as f64 / 10.0)
            .collect();
        let i = paired(&a, &b, &group, RESAMPLES, SEED);
        assert!(i.low > 0.0 && i.low <= i.diff && i.diff <= i.high, "{i:?}");
        assert!(i.low >= 0.2 - 1e-12 && i.high <= 0.4 + 1e-12, "{i:?}");
        let back = paired(&b, &a, &group, RESAMPLES, SEED);
        assert!(back.high < 0.0, "{back:?}");
        // Another seed draws other resamples: same difference, other ends.
        let other = paired(&a, &b, &group, RESAMPLES, SEED + 1);
        assert_eq!(other.diff, i.diff);
        assert_ne!((other.low, other.high), (i.low, i.high));
    }

    #[test]
    fn a_mixed_difference_straddles_zero_and_reruns_the_same() {
        // Better on half the groups by as much as it is worse on the rest.
        let a = vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let b = vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        let group = vec![0, 0, 1, 1, 2, 2, 3, 3];
        let i = paired(&a, &b, &group, RESAMPLES, SEED);
        assert_eq!(i.diff, 0.0);
        assert!(i.low < 0.0 && i.high > 0.0, "{i:?}");
        assert_eq!(i, paired(&a, &b, &group, RESAMPLES, SEED));
        // Group ids need not be dense: the same groups, renamed in the
        // same order, give the same figures.
        let sparse: Vec<usize> = group.iter().map(|g| g * 1000 + 7).collect();
        assert_eq!(i, paired(&a, &b, &sparse, RESAMPLES, SEED));
    }

    #[test]
    fn pooling_corpora_keeps_the_difference_and_narrows_the_interval() {
        let group: Vec<usize> = (0..36).map(|q| q / 6).collect();
        let b: Vec<f64> = (0..36).map(|q| ((q * 5) % 7) as f64 / 7.0).collect();
        let a: Vec<f64> = (0..36)
            .map(|q| b[q] + [0.3, -0.1, 0.2, 0.0, 0.25, -0.05][group[q]])
            .collect();
        let one = paired(&a, &b, &group, RESAMPLES, SEED);
        // The same corpus twice, as two corpora with distinct groups.
        let twice = |v: &[f64]| [v, v].concat();
        let cluster: Vec<usize> = group
            .iter()
            .chain(group.iter())
            .enumerate()
            .map(|(q, &g)| g + if q < 36 { 0 } else { 6 })
            .collect();
        let stratum: Vec<usize> = (0..72).map(|q| q / 36).collect();
        let both = stratified(&twice(&a), &twice(&b), &cluster, &stratum, RESAMPLES, SEED);
        assert!((both.diff - one.diff).abs() < 1e-12, "{both:?} {one:?}");
        assert!(
            both.high - both.low < one.high - one.low,
            "{both:?} {one:?}"
        );
    }

    #[test]
    fn empty_and_degenerate_input_is_defined() {
        let i = paired(&[], &[], &[], RESAMPLES, SEED);
        assert_eq!((i.diff, i.low, i.high), (0.0, 0.0, 0.0));
        let one = paired(&[1.0, 0.5], &[0.0, 0.5], &[3, 3], 0, SEED);
        assert_eq!((one.diff, one.low, one.high), (0.5, 0.5, 0.5));
    }
}
