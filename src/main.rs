//! `musim-tui`: command-line entry point. Parsing and exit codes only; the
//! work lives in `musim::library::session`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use musim::export::Format;
use musim::library::indexer::real_analysis;
use musim::library::session::Session;
use musim::library::summary;

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
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse the library incrementally (only new and changed files).
    Index,
    /// Export every analysed track's fingerprint.
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT).
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    // The indexer contains a panic in one file's analysis and reports it in
    // the summary; the default hook would also print a (possibly enormous)
    // backtrace per file over the progress output. One line is enough.
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string().replace('\n', " ");
        eprintln!("musim-tui: internal error: {msg}");
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // One line, no backtrace: the chain joined by ": ".
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("musim-tui: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let library = cli.library.as_deref();
    let index = cli.index.as_deref();
    match cli.command {
        Some(Command::Export { format, output }) => {
            let format = match format {
                ExportFormat::Csv => Format::Csv,
                ExportFormat::Json => Format::Json,
            };
            Session::open_for_reading(library, index)?.export(format, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo { out, force }) => demo(out, force),
        Some(Command::Index) => index_library(&Session::open(library, index)?, false),
        None => index_library(&Session::open(library, index)?, true),
    }
}

fn demo(out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    use musim::demo::{default_dir, ensure_library, progress::StderrProgress, DemoSpec};
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
    let shown = musim::library::paths::show(&r.root);
    if r.generated {
        println!(
            "demo library: {} tracks in {} styles written to {shown} in {:.1} s",
            spec.len(),
            spec.styles.len(),
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("demo library at {shown} is complete and current (use --force to regenerate)");
    }
    Ok(ExitCode::SUCCESS)
}

fn index_library(session: &Session, library_summary: bool) -> Result<ExitCode> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // First Ctrl-C: finish the files in flight and save; second: quit now
    // (the index on disk is intact either way, writes are atomic).
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(INTERRUPTED));
        }
        eprintln!("musim-tui: interrupted; finishing files in progress and saving what was analysed (Ctrl-C again to quit now)");
    });
    let progress = musim::library::progress::for_stderr();
    let report = session.index(real_analysis(), progress.as_ref(), &cancel)?;
    let text = summary::run_summary(&report);
    if library_summary {
        eprint!("{text}");
        print!(
            "{}",
            summary::library_summary(&report.index, &report.index_path)
        );
    } else {
        print!("{text}");
    }
    Ok(if report.interrupted {
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    })
}
