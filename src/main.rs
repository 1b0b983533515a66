//! `musim-tui`: command-line entry point. Parsing and exit codes only; the
//! work lives in `musim::app::session`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use musim::app;
use musim::app::pipeline::{Flow, Plan, Step};
use musim::app::progress::Summary;
use musim::app::session::Session;
use musim::app::signal::Interrupted;
use musim::export::Format;
use musim::model::ModelParams;
use musim::store::lock::LockError;
use musim::store::text::safe;

/// Music similarity and genre explorer.
#[derive(Debug, Parser)]
#[command(name = "musim-tui", version, about)]
struct Cli {
    /// Music library folder (default: the config file's `library`, else
    /// ./data/songs, else the built-in demo library).
    #[arg(long, global = true, value_name = "DIR")]
    library: Option<PathBuf>,
    /// Index file (default: in the platform data folder, keyed by library).
    #[arg(long, global = true, value_name = "FILE")]
    index: Option<PathBuf>,
    /// Analyse N evenly spaced 30-s windows of tracks longer than 3.5
    /// minutes (default 6; kept from the index when not given).
    #[arg(long, global = true, value_name = "N", conflicts_with = "whole")]
    windows: Option<u32>,
    /// Analyse every track whole (slower on long tracks).
    #[arg(long, global = true)]
    whole: bool,
    /// Similarity profile: fused (default: musim + the musicnn embedding;
    /// computes the embeddings), musim (richer descriptors, timbre model,
    /// mutual proximity; the default without the `embeddings` feature),
    /// seed (librosa fingerprint, cosine) or deep (musicnn embedding,
    /// cosine). Kept with the model when not given.
    #[arg(long, global = true, value_name = "PROFILE")]
    similarity: Option<musim::similarity::Profile>,
    /// Where genre labels come from: auto (default: folders in the GTZAN
    /// layout `root/<genre>/<file>`, else genre tags), folder, tag or none.
    /// Kept with the index when not given.
    #[arg(long, global = true, value_name = "SOURCE")]
    labels: Option<musim::library::labels::LabelSource>,
    /// Length of the explorer's audio previews (`p`), seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    preview_seconds: f64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse the library incrementally (only new and changed files).
    Index {
        /// Compute the deep (musicnn) embeddings the `deep` and `fused`
        /// profiles use even when the profile does not need them (the
        /// default profile, fused, computes them anyway).
        #[arg(long)]
        deep: bool,
        /// Remove the tracks whose files are gone even when that is every
        /// track (an empty library folder), or take over another library's
        /// index.
        #[arg(long)]
        prune: bool,
        /// Analyse only shard I of N (1-based) of the library's files, split
        /// by a hash of each file's path relative to the library root, into
        /// the index given by --index; then `merge` the shards' indexes.
        #[arg(long, value_name = "I/N", conflicts_with = "deep")]
        shard: Option<musim::library::shard::Shard>,
    },
    /// Merge the indexes written by `index --shard i/n` into one index of
    /// the whole library (--index OUT), after checking that they are the
    /// parts of one analysis of one library.
    Merge {
        /// The shards' index files.
        #[arg(required = true, value_name = "SHARD_INDEX")]
        shards: Vec<PathBuf>,
        /// Merge even when some shards are missing.
        #[arg(long)]
        allow_partial: bool,
        /// Replace an existing --index OUT that is not one of the shards
        /// (a copy is kept as OUT.backup).
        #[arg(long)]
        force: bool,
    },
    /// Export every analysed track's fingerprint.
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Where `predicted_genre` comes from: the profile's neighbours
        /// (`profile`), or a metric learned from the labels (`learned`;
        /// opt-in, it did not help on music it was not tuned on).
        #[arg(long, value_enum, default_value = "profile")]
        metric: ExportMetric,
    },
    /// Index the library and build its model: clusters, map, similarity graph.
    Train {
        /// Number of clusters, 2 to 1000 (default: one per genre, else by
        /// silhouette).
        #[arg(long = "clusters", alias = "k", value_name = "N", value_parser = clusters)]
        k: Option<usize>,
        /// Rebuild even if the stored model is up to date.
        #[arg(long)]
        force: bool,
    },
    /// Find the cluster, genre and most similar tracks of an audio file.
    Query {
        /// Audio file (or http(s) URL, fetched with yt-dlp).
        target: std::ffi::OsString,
        /// Number of similar tracks, 1 to 1000.
        #[arg(short, long = "neighbours", value_name = "N",
              default_value_t = musim::query::DEFAULT_K, value_parser = neighbours)]
        k: usize,
        /// Print JSON (schema in the README).
        #[arg(long)]
        json: bool,
        /// Also write the similar tracks as an M3U playlist.
        #[arg(long, value_name = "FILE")]
        m3u: Option<PathBuf>,
        /// Also copy the file (or the URL's audio) into the library and index it.
        #[arg(long)]
        add: bool,
    },
    /// A chain of similar library tracks leading from one song to another.
    Path {
        /// Start (a library track or any audio file).
        from: PathBuf,
        /// End (a library track or any audio file).
        to: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the explorer's active key bindings (defaults + your keymap.toml).
    Keys,
    /// Play previews (the middle of each track) through the sound output.
    Play {
        /// Audio files, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// After each file, preview its N most similar library tracks
        /// (0 to 100).
        #[arg(short = 'k', long, value_name = "N", default_value_t = 0,
              value_parser = preview_neighbours)]
        neighbours: usize,
        /// Length of each preview, seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
        seconds: f64,
    },
    /// Index the library, bring its model up to date and write a report:
    /// confusion matrix, t-SNE map and cluster PNGs, metrics.json, report.md.
    Report {
        /// Output folder (created if missing).
        #[arg(short, long, value_name = "DIR", default_value = "results")]
        output: PathBuf,
        /// Also score these similarity profiles side by side with the
        /// active one (e.g. `--compare seed`; P@5, P@10, 5-NN, hubness).
        #[arg(long, value_name = "PROFILE", value_delimiter = ',')]
        compare: Vec<musim::similarity::Profile>,
    },
    /// Write the built-in demo library (synthesised, labelled by style).
    Demo {
        /// Output folder (default: `demo` in the platform data folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Regenerate even if a complete, current library is there.
        #[arg(long)]
        force: bool,
    },
}

/// A whole number in `lo..=hi`, for clap (out of range: a usage error).
fn count_in(s: &str, lo: usize, hi: usize) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a whole number", safe(s)))?;
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is out of range: use {lo} to {hi}"))
    }
}

/// `train --clusters`: one cluster is no clustering; more than 1000 are
/// more than anyone can browse.
fn clusters(s: &str) -> Result<usize, String> {
    count_in(s, 2, 1000)
}

/// `query -k/--neighbours`.
fn neighbours(s: &str) -> Result<usize, String> {
    count_in(s, 1, 1000)
}

/// `play -k/--neighbours` (0: none).
fn preview_neighbours(s: &str) -> Result<usize, String> {
    count_in(s, 0, 100)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

/// Where `export`'s predicted genres come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportMetric {
    /// The profile's neighbour vote.
    Profile,
    /// The metric learned from the labels.
    Learned,
}

fn main() -> ExitCode {
    // The indexer contains a panic in one file's analysis and reports it in
    // the summary; the default hook would also print a (possibly enormous)
    // backtrace per file over the progress output. One line is enough
    // (and a file name in the message is shown, not obeyed: [`safe`]).
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string().replace('\n', " ");
        eprintln!("musim-tui: internal error: {}", safe(&msg));
    }));
    let cli = Cli::parse();
    let (library, index) = (cli.library.clone(), cli.index.clone());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line, no backtrace. Paths in messages are already shown
            // safely; OS, decoder and yt-dlp text inside them is made safe
            // here ([`safe`] is idempotent).
            let msg = app::message::complete(
                &app::message::one_line(e.as_ref()),
                library.as_deref(),
                index.as_deref(),
            );
            if e.chain().any(|c| {
                c.is::<Interrupted>() || matches!(c.downcast_ref(), Some(LockError::Cancelled(_)))
            }) {
                // Stopped by a signal: not an error; exit 128 + signal.
                eprintln!("musim-tui: {}", safe(&msg));
                return ExitCode::from(app::signal::exit_code());
            }
            eprintln!("musim-tui: error: {}", safe(&msg));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let library = cli.library.as_deref();
    let index = cli.index.as_deref();
    let windows = match (cli.whole, cli.windows) {
        (true, _) | (false, Some(0)) => Some(musim::analysis::Windows::WHOLE),
        (false, Some(count)) => Some(musim::analysis::Windows {
            count,
            ..Default::default()
        }),
        (false, None) => None,
    };
    let similarity = cli.similarity;
    let labels = cli.labels;
    let with_windows = |mut s: Session| {
        s.windows = windows;
        s.labels = labels;
        s.similarity = similarity;
        s
    };
    let open = |library, index| Session::open(library, index).map(with_windows);
    let open_for_reading =
        |library, index| Session::open_for_reading(library, index).map(with_windows);
    match cli.command {
        Some(Command::Export {
            format,
            output,
            metric,
        }) => {
            let format = match format {
                ExportFormat::Csv => Format::Csv,
                ExportFormat::Json => Format::Json,
            };
            open_for_reading(library, index)?.export_with(
                format,
                output.as_deref(),
                metric == ExportMetric::Learned,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo { out, force }) => demo(out, force),
        Some(Command::Index {
            deep: _,
            prune,
            shard: Some(shard),
        }) => {
            anyhow::ensure!(
                index.is_some(),
                "--shard needs --index FILE: each shard writes an index of its own, and the merge command joins them"
            );
            let mut session = open(library, index)?;
            session.prune = prune;
            index_shard(&session, shard)
        }
        Some(Command::Merge {
            shards,
            allow_partial,
            force,
        }) => merge(library, index, &shards, allow_partial, force),
        Some(Command::Index { deep, prune, .. }) => {
            let mut session = open(library, index)?;
            session.prune = prune;
            let plan = Plan {
                index: true,
                embed: deep,
                ..Plan::default()
            };
            match pipeline(&session, &plan, Summary::Stdout)? {
                Flow::Done { .. } => Ok(ExitCode::SUCCESS),
                Flow::Interrupted(step) => interrupted(step, true),
            }
        }
        Some(Command::Train { k, force }) => train(&open(library, index)?, k, force),
        Some(Command::Report { output, compare }) => {
            report(&open(library, index)?, &output, &compare)
        }
        Some(Command::Query {
            target,
            k,
            json,
            m3u,
            add,
        }) => query(
            &open_for_reading(library, index)?,
            &target,
            k,
            json,
            m3u,
            add,
        ),
        Some(Command::Path { from, to, json }) => {
            chain(&open_for_reading(library, index)?, &from, &to, json)
        }
        Some(Command::Keys) => keys(),
        Some(Command::Play {
            files,
            neighbours,
            seconds,
        }) => play(library, index, &files, neighbours, seconds),
        None => {
            let previews = musim::playback::PreviewOptions::with_seconds(cli.preview_seconds)
                .map_err(anyhow::Error::msg)?;
            let session = open(library, index)?;
            use std::io::IsTerminal;
            if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
                musim::tui::run_with(session, previews)?;
                Ok(ExitCode::SUCCESS)
            } else {
                // Scripts and pipes get the text summaries.
                start(&session)
            }
        }
    }
}

fn demo(out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    use musim::app::demo_progress::StderrProgress;
    use musim::demo::{default_dir, ensure_library, DemoSpec};
    let dir = match out {
        Some(d) => d,
        None => default_dir()?,
    };
    let spec = DemoSpec::from_env();
    let progress = StderrProgress::new();
    let started = std::time::Instant::now();
    let r = ensure_library(&dir, &spec, force, &|d, t| progress.tick(d, t));
    progress.finish();
    let r = r?;
    let shown = musim::store::paths::show(&r.root);
    if r.generated {
        println!(
            "demo library: {} tracks in {} styles written to {shown} in {:.1} s",
            spec.len(),
            spec.styles.len(),
            started.elapsed().as_secs_f64()
        );
    } else if let Some(why) = &r.kept {
        eprintln!("musim-tui: {}", safe(why));
    } else {
        println!("demo library at {shown} is complete and current (use --force to regenerate)");
    }
    Ok(ExitCode::SUCCESS)
}

/// `index --shard i/n`: this shard's files into the session's index.
fn index_shard(session: &Session, shard: musim::library::shard::Shard) -> Result<ExitCode> {
    let cancel = app::signal::interrupt_flag(Some(app::signal::SAVING));
    let progress = app::progress::for_stderr();
    let report = session.index_shard(shard, progress.as_ref(), &cancel)?;
    print!("{}", app::summary::run_summary(&report));
    if report.interrupted {
        return Ok(ExitCode::from(app::signal::exit_code()));
    }
    Ok(ExitCode::SUCCESS)
}

/// `merge --index OUT SHARD...`.
fn merge(
    library: Option<&std::path::Path>,
    index: Option<&std::path::Path>,
    shards: &[PathBuf],
    allow_partial: bool,
    force: bool,
) -> Result<ExitCode> {
    use musim::store::paths::show;
    let Some(out) = index else {
        anyhow::bail!("merge needs --index OUT: the merged index to write");
    };
    // The library may not be mounted on the merging machine: as given then.
    let root = library.map(|l| std::fs::canonicalize(l).unwrap_or_else(|_| l.to_path_buf()));
    let opts = musim::library::merge::Options {
        root,
        allow_partial,
        force,
    };
    let m = musim::library::merge::merge(shards, out, &opts)?;
    let missing: Vec<String> = (1..=m.count)
        .filter(|i| !m.shards.contains(i))
        .map(|i| i.to_string())
        .collect();
    println!(
        "merged {} of {} shards: {} tracks ({} analysed) of library {} into {}",
        m.shards.len(),
        m.count,
        m.index.entries.len(),
        m.index.analysed(),
        musim::store::paths::show_bytes(&m.index.header.root),
        show(out)
    );
    if !missing.is_empty() {
        eprintln!(
            "musim-tui: warning: merged without shard {} of {} (--allow-partial): their tracks are not in the index",
            missing.join(", "),
            m.count
        );
    }
    if let Some(b) = &m.backup {
        eprintln!(
            "musim-tui: the previous {} is kept as {}",
            show(out),
            show(b)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `plan` with progress and summaries on stderr (`summary`: where the
/// index summary goes). Ctrl-C: [`app::signal`].
fn pipeline(session: &Session, plan: &Plan, summary: Summary) -> Result<Flow> {
    let cancel = app::signal::interrupt_flag(Some(app::signal::SAVING));
    Ok(app::pipeline::run(
        session,
        plan,
        &app::progress::Stderr::new(summary),
        &cancel,
    )?)
}

/// The exit code of a run that ended early at `step` (`explicit`: the
/// command itself asked for embeddings, so stopping them is its result).
fn interrupted(step: Step, explicit: bool) -> Result<ExitCode> {
    match step {
        Step::Embed if !explicit => Err(Interrupted(
            "deep embeddings were interrupted; the model was not rebuilt".into(),
        )
        .into()),
        Step::Model => Err(Interrupted("interrupted; the model was not rebuilt".into()).into()),
        Step::Index | Step::Embed => Ok(ExitCode::from(app::signal::exit_code())),
    }
}

/// The model for `session` (embeddings first when its profile needs
/// them), rebuilt with progress on stderr when needed.
fn model(session: &Session) -> Result<musim::model::Model> {
    let plan = Plan {
        model: true,
        ..Plan::default()
    };
    match pipeline(session, &plan, Summary::Stdout)? {
        Flow::Done { model: Some(e), .. } => Ok(e.model),
        Flow::Done { model: None, .. } => anyhow::bail!("no model was built"),
        Flow::Interrupted(step) => {
            interrupted(step, false)?;
            Err(Interrupted("interrupted; the model was not rebuilt".into()).into())
        }
    }
}

fn keys() -> Result<ExitCode> {
    use musim::tui::keymap::{render, user_file, Keymap};
    let (map, problems) = Keymap::load_user();
    match user_file() {
        Some(f) if f.exists() => println!("# defaults + {}", musim::store::paths::show(&f)),
        Some(f) => println!("# defaults (no {})", musim::store::paths::show(&f)),
        None => println!("# defaults"),
    }
    println!("[keys]");
    print!("{}", render(&map));
    for p in &problems {
        eprintln!("musim-tui: keymap: {}", safe(&p.to_string()));
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// No subcommand (not on a terminal): bring the library's index and model up to date and show
/// them (the explorer opens here once it exists).
fn start(session: &Session) -> Result<ExitCode> {
    let plan = Plan {
        index: true,
        model: true,
        ..Plan::default()
    };
    match pipeline(session, &plan, Summary::WithLibrary) {
        Ok(Flow::Done { model: Some(e), .. }) => {
            print!("{}", musim::model::describe::describe(&e.model))
        }
        Ok(Flow::Done { model: None, .. }) => {}
        Ok(Flow::Interrupted(step)) => return interrupted(step, false),
        // An empty library is a valid state at start, not an error.
        Err(e) if is_empty_library(&e) => {
            println!("model:     none yet (the library has no analysed tracks; add audio files, or try `musim-tui demo`)")
        }
        Err(e) => return Err(e),
    }
    Ok(ExitCode::SUCCESS)
}

fn is_empty_library(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<musim::app::session::SessionError>(),
        Some(musim::app::session::SessionError::Model(
            musim::model::ModelError::Empty
        ))
    )
}

fn train(session: &Session, k: Option<usize>, force: bool) -> Result<ExitCode> {
    let plan = Plan {
        index: true,
        model: true,
        params: Some(ModelParams {
            k,
            ..ModelParams::default()
        }),
        force,
        ..Plan::default()
    };
    match pipeline(session, &plan, Summary::Stdout)? {
        Flow::Done { model: Some(e), .. } => {
            print!("{}", musim::model::describe::describe(&e.model));
            if !e.timings.is_empty() {
                eprintln!("musim-tui: model phases: {}", e.timings);
                if let Some(peaks) = e.timings.peaks() {
                    eprintln!("musim-tui: peak memory after each phase: {peaks}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Flow::Done { model: None, .. } => Ok(ExitCode::SUCCESS),
        Flow::Interrupted(step) => interrupted(step, false),
    }
}

fn report(
    session: &Session,
    output: &std::path::Path,
    compare: &[musim::similarity::Profile],
) -> Result<ExitCode> {
    let plan = Plan {
        index: true,
        embed: compare.iter().any(|p| p.needs_embeddings()),
        model: true,
        ..Plan::default()
    };
    let m = match pipeline(session, &plan, Summary::Stdout)? {
        Flow::Done { model: Some(e), .. } => e.model,
        Flow::Done { model: None, .. } => return Ok(ExitCode::SUCCESS),
        Flow::Interrupted(step) => return interrupted(step, plan.embed),
    };
    let index = session.load()?;
    let mut ctx = musim::report::Context::of_index(&index);
    if !compare.is_empty() {
        let mut profiles = vec![m.profile()];
        for p in compare {
            if !profiles.contains(p) {
                profiles.push(*p);
            }
        }
        ctx.comparison = musim::report::compare::compare(&index, &profiles)?;
        for c in &ctx.comparison {
            println!("{}", c.line());
        }
    }
    let started = std::time::Instant::now();
    let w = musim::report::write(&m, &ctx, &musim::report::Options::default(), output)?;
    print!("{}", musim::report::summary(&w));
    eprintln!(
        "musim-tui: report written in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn query(
    session: &Session,
    target: &std::ffi::OsStr,
    k: usize,
    json: bool,
    m3u: Option<PathBuf>,
    add: bool,
) -> Result<ExitCode> {
    let add_to = match (&session.choice, add) {
        (_, false) => None,
        (Some(c), true) => Some(c.root.clone()),
        (None, true) => anyhow::bail!("--add needs a library (give --library DIR)"),
    };
    query_only(session, target, k, json, m3u, add_to.as_deref())
}

fn query_only(
    session: &Session,
    target: &std::ffi::OsStr,
    k: usize,
    json: bool,
    m3u: Option<PathBuf>,
    add_to: Option<&std::path::Path>,
) -> Result<ExitCode> {
    // A URL is text; anything else is a path, UTF-8 or not.
    let url_text = target
        .to_str()
        .filter(|t| musim::youtube::looks_like_url(t));
    // Bad input fails before any model work.
    let url = if let Some(t) = url_text {
        Some(musim::youtube::check_url(t)?)
    } else {
        musim::query::check_file(std::path::Path::new(target))?;
        None
    };
    // A file is answered from the stored model file in place when it can
    // be (a library track from its rows, a new file placed and searched
    // through the graph); otherwise, a damaged model file included, the
    // model is loaded, which tells why it is rebuilt.
    let stored = match (&url, session.current_model_file()) {
        (None, Some(f)) => in_place(&f, std::path::Path::new(target), k)?.map(|r| (f, r)),
        _ => None,
    };
    if let Some((f, r)) = stored {
        return show_query(session, &f, &r, json, m3u.as_deref(), add_to, target, None);
    }
    let m = model(session)?;
    // Kept alive until the end so the downloaded audio exists meanwhile.
    let mut _download = None;
    let r = if let Some(url) = url {
        // Ctrl-C stops yt-dlp (in its own process group) and cleans up.
        let cancel = app::signal::interrupt_flag(None);
        eprintln!("musim-tui: fetching {} with yt-dlp", safe(&url));
        let opts = musim::youtube::FetchOptions {
            interrupt: Some(cancel),
            ..Default::default()
        };
        let (r, d) = match musim::query::query_url(&m, &url, k, &opts) {
            Err(musim::query::QueryError::Youtube(
                e @ musim::youtube::YoutubeError::Interrupted { .. },
            )) => {
                eprintln!("musim-tui: {}", safe(&e.to_string()));
                return Ok(ExitCode::from(app::signal::exit_code()));
            }
            r => r?,
        };
        _download = Some(d);
        r
    } else {
        musim::query::query_file(&m, std::path::Path::new(target), k)?
    };
    let download = _download.as_ref();
    show_query(
        session,
        &m,
        &r,
        json,
        m3u.as_deref(),
        add_to,
        target,
        download,
    )
}

/// A query answered from the model file `f` in place: `None` when the
/// whole model is needed (see [`query_only`]). The file's own errors (it
/// cannot be decoded, …) are the answer.
fn in_place(
    f: &app::model_file::ModelFile,
    path: &std::path::Path,
    k: usize,
) -> Result<Option<musim::query::QueryResult>> {
    use musim::query::{query_library_track, query_new_file, QueryError};
    Ok(match query_library_track(f, path, k) {
        Ok(Some(r)) => Some(r),
        Ok(None) => match query_new_file(f, path, k) {
            Ok(r) => r,
            Err(QueryError::Model(_)) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    })
}

/// Print a query's result (text or JSON), write its playlist, and add the
/// queried file to the library when asked.
#[allow(clippy::too_many_arguments)]
fn show_query<R: musim::query::Rows>(
    session: &Session,
    rows: &R,
    r: &musim::query::QueryResult,
    json: bool,
    m3u: Option<&std::path::Path>,
    add_to: Option<&std::path::Path>,
    target: &std::ffi::OsStr,
    download: Option<&musim::youtube::Download>,
) -> Result<ExitCode> {
    if let Some(path) = m3u {
        musim::query::text::write_m3u(rows, r, path)?;
    }
    if json {
        println!("{}", musim::store::json::to_string_pretty(r)?);
    } else {
        print!("{}", musim::query::text::render(r));
    }
    if let Some(root) = add_to {
        let source = match download {
            Some(d) => d.audio.clone(),
            None => PathBuf::from(target),
        };
        let title = download.and_then(|d| d.title.clone());
        let (dest, tracks) = app::add::add_and_index(session, root, &source, title.as_deref())?;
        eprintln!(
            "musim-tui: added {} to the library ({tracks} tracks indexed; the model updates on next use)",
            musim::store::paths::show(&dest),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn chain(
    session: &Session,
    from: &std::path::Path,
    to: &std::path::Path,
    json: bool,
) -> Result<ExitCode> {
    musim::query::check_file(from)?;
    musim::query::check_file(to)?;
    let m = model(session)?;
    let steps = musim::query::path::find_chain(&m, from, to)?;
    if json {
        println!("{}", musim::store::json::to_string_pretty(&steps)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (i, s) in steps.iter().enumerate() {
        let sim = s
            .similarity
            .map_or("      ".to_string(), |v| format!("{v:>6.3}"));
        let label = safe(s.label.as_deref().unwrap_or("-"));
        println!("{:>3}. {sim}  {label:<12} {}", i + 1, safe(&s.info.name));
    }
    Ok(ExitCode::SUCCESS)
}

/// `play`: previews of `files` (each followed by its `neighbours` most
/// similar library tracks) through the sound output, one line per preview.
fn play(
    library: Option<&std::path::Path>,
    index: Option<&std::path::Path>,
    files: &[PathBuf],
    neighbours: usize,
    seconds: f64,
) -> Result<ExitCode> {
    let opts =
        musim::playback::PreviewOptions::with_seconds(seconds).map_err(anyhow::Error::msg)?;
    for f in files {
        musim::query::check_file(f)?;
    }
    let model = match neighbours {
        0 => None,
        _ => Some(model(&Session::open_for_reading(library, index)?)?),
    };
    let items = app::play::list(files, model.as_ref(), neighbours)?;
    let stop = app::signal::interrupt_flag(None);
    Ok(if app::play::play(items, opts, &stop)? {
        ExitCode::from(app::signal::exit_code())
    } else {
        ExitCode::SUCCESS
    })
}
