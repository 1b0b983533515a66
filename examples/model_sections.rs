//! The size of each section of a model file: of the file at PATH, or of a
//! `fused` model of N stand-in tracks built and saved for the purpose
//! (the model bench's synthetic library: 20 groups, timbre Gaussians,
//! 1506-value stand-in embeddings with 426 live units, 50 tag scores a
//! track; the size of a section does not depend on the values).
//!
//! ```sh
//! cargo run --release --example model_sections -- N [PROFILE]
//! cargo run --release --example model_sections -- --file PATH
//! ```

use std::sync::atomic::AtomicBool;

use musim::app::model_file::{build, save, ModelFile};
use musim::model::ModelParams;
use musim::similarity::Profile;

#[path = "../benches/support/library.rs"]
#[allow(dead_code)] // Its rows and embeddings are the index's business.
mod library;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = match args.get(1).map(String::as_str) {
        Some("--file") => args.get(2).ok_or("--file needs a PATH")?.into(),
        Some(n) => {
            let n: usize = n.parse()?;
            let profile: Profile = args.get(2).map_or("fused", String::as_str).parse()?;
            built(n, profile)?
        }
        None => return Err("usage: model_sections N [PROFILE] | --file PATH".into()),
    };
    let file = match ModelFile::open(&path)? {
        Ok(f) => f,
        Err(why) => return Err(why.to_string().into()),
    };
    let (total, sections) = file.sizes();
    println!(
        "{}: {total} bytes ({:.1} MB)",
        path.display(),
        total as f64 / 1e6
    );
    for (name, len) in sections {
        println!("  {name:<9} {len:>12} bytes  {:>7.2} MB", len as f64 / 1e6);
    }
    Ok(())
}

/// A model of `n` stand-in tracks, saved in the temporary folder.
fn built(n: usize, profile: Profile) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let index = library::index(n, profile.needs_embeddings());
    let params = ModelParams {
        similarity: profile,
        // The map's size does not depend on its iterations.
        tsne_iterations: 0,
        ..ModelParams::default()
    };
    let no = AtomicBool::new(false);
    let t = std::time::Instant::now();
    let model = build(index, &params, &|_| {}, &no)?;
    let path = std::env::temp_dir().join(format!("model-sections-{n}-{profile}.model"));
    save(&model, None, &path)?;
    eprintln!("built and saved in {:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}
