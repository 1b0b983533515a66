//! What storing the model at reduced precision (z rows in 8 bits, the rest
//! at half precision) costs in quality: each
//! profile's leave-one-out P@5 and P@10 (as `report --compare` scores
//! them) on the space as built (f32) and on the space as the model file
//! keeps it ([`musim::app::model_file::stored_space`]).
//!
//! ```sh
//! cargo run --release --example half_precision -- IDX [PROFILES] [COMPONENTS]
//! ```
//! PROFILES: comma-separated (default `seed,musim,deep,fused`); with a deep
//! profile every profile is scored on the tracks that have an embedding,
//! as `report --compare` does. COMPONENTS (comma-separated, e.g.
//! `32,48,64,96,128`): `fused` is scored with its deep part unprojected
//! at f32 (every live dimension), then with each number of principal
//! components as the model file keeps it.

use musim::app::model_file::stored_space;
use musim::eval;
use musim::library::index::{Index, Outcome};
use musim::report::labelled_distances;
use musim::similarity::{Profile, Space};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        return Err("usage: half_precision IDX [PROFILES]".into());
    };
    let profiles: Vec<Profile> = args
        .get(2)
        .map_or("seed,musim,deep,fused", String::as_str)
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let components: Vec<usize> = match args.get(3) {
        Some(list) => list.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let index = Index::load(std::path::Path::new(path))?.ok_or("no index there")?;
    let names = &index.header.feature_names;
    let deep = profiles.iter().any(|p| p.needs_embeddings());
    let (mut rows, mut embeddings, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for e in &index.entries {
        let Outcome::Analysed { values, .. } = &e.outcome else {
            continue;
        };
        if values.len() != names.len() {
            continue;
        }
        if deep {
            let Some(emb) = index.deep.embedding(e) else {
                continue;
            };
            embeddings.push(emb);
        }
        rows.push(values.as_slice());
        labels.push(e.label.clone());
    }
    let labelled: Vec<usize> = (0..rows.len()).filter(|&i| labels[i].is_some()).collect();
    let mut genres: Vec<&str> = labelled
        .iter()
        .filter_map(|&i| labels[i].as_deref())
        .collect();
    genres.sort_unstable();
    genres.dedup();
    let truth: Vec<usize> = labelled
        .iter()
        .filter_map(|&i| genres.iter().position(|g| Some(*g) == labels[i].as_deref()))
        .collect();
    println!("{path}: {} tracks, {} labelled", rows.len(), labelled.len());
    let score = |space: &Space, k: usize| {
        let fill = labelled_distances(space, &labelled);
        eval::knn_loo_with(labelled.len(), &truth, k, &fill)
            .precision_at_k
            .micro
    };
    for p in profiles {
        let mut space = Space::build_with(p, names, &rows, deep.then_some(&embeddings[..]))?;
        if p == Profile::Fused && !components.is_empty() {
            space.set_deep_components(&embeddings, None);
            let (a5, a10) = (score(&space, 5), score(&space, 10));
            println!("fused, all live dims at f32: P@5 {a5:.4}   P@10 {a10:.4}");
            for &k in &components {
                space.set_deep_components(&embeddings, Some(k));
                let half = stored_space(&space);
                let (b5, b10) = (score(&half, 5), score(&half, 10));
                println!(
                    "fused, {k:>3} components at f16: P@5 {b5:.4} ({:+.4})   P@10 {b10:.4} ({:+.4})",
                    b5 - a5,
                    b10 - a10
                );
            }
            continue;
        }
        let half = stored_space(&space);
        let (a5, a10, b5, b10) = (
            score(&space, 5),
            score(&space, 10),
            score(&half, 5),
            score(&half, 10),
        );
        println!(
            "{p:<6} P@5 {a5:.4} → {b5:.4} ({:+.4})   P@10 {a10:.4} → {b10:.4} ({:+.4})",
            b5 - a5,
            b10 - a10
        );
    }
    Ok(())
}
