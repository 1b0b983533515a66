//! Print the tags musim reads from files, and how many have a title, an
//! artist and a genre: `cargo run --example read_tags -- FILE_OR_DIR…`.

use std::path::{Path, PathBuf};

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(p) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            for q in v {
                files(&q, out);
            }
        }
        Err(_) if p.is_file() => out.push(p.to_path_buf()),
        Err(_) => {}
    }
}

fn main() {
    let mut all = Vec::new();
    for a in std::env::args_os().skip(1) {
        files(Path::new(&a), &mut all);
    }
    let exts = musim::library::scan::AUDIO_EXTENSIONS;
    all.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e.to_ascii_lowercase().as_str()))
    });
    let (mut title, mut artist, mut genre, mut album, mut failed) = (0, 0, 0, 0, 0);
    for p in &all {
        match musim::tags::read(p) {
            Ok(t) => {
                title += usize::from(t.title.is_some());
                artist += usize::from(t.main_artist().is_some());
                genre += usize::from(t.genre().is_some());
                album += usize::from(t.album.is_some());
                let name = musim::store::text::safe(&t.name(p.as_os_str().as_encoded_bytes()))
                    .into_owned();
                let genres = musim::store::text::safe(&t.genres().join(", ")).into_owned();
                println!(
                    "{name}\t[{genres}]\t{:?}\t{}",
                    t.year,
                    musim::store::paths::show(p)
                );
            }
            Err(e) => {
                failed += 1;
                println!("{}", musim::store::text::safe(&e.to_string()));
            }
        }
    }
    eprintln!(
        "{} files: {title} with a title, {artist} with an artist, {album} with an album, {genre} with a genre; tags unreadable in {failed}",
        all.len()
    );
}
