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
    /// Music library folder (default: the config file's `library`, else ./data/songs).
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
        Some(Command::Index) => index_library(&Session::open(library, index)?, false),
        None => index_library(&Session::open(library, index)?, true),
    }
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
