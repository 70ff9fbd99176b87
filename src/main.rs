//! The `themata` binary: parses arguments, calls the library, maps errors to exit codes
//! (0 success, 2 bad usage or input, 1 internal fault).

use clap::{Parser, Subcommand};
use themata::cmd;

/// mimalloc keeps freed memory for reuse instead of returning it to the kernel and faulting it
/// in again (zeroed) for the next large buffer, and is faster for the vectorizer's many small
/// allocations (BENCHMARKS.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Find the themes in a body of text.
#[derive(Debug, Parser)]
#[command(name = "themata", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors; no progress bars.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse a corpus: passages -> TF-IDF -> LSA -> clusters -> named themes, charts, report.
    Run(cmd::run::RunArgs),
    /// Place new articles in the themes of a finished run (its saved model), without re-clustering.
    Assign(cmd::assign::AssignArgs),
    /// Write the TF-IDF matrix (Matrix Market) and vocabulary of a corpus.
    Vectorize(cmd::vectorize::VectorizeCmdArgs),
    /// Redraw the charts and report page of a run from its run.json.
    Chart(cmd::chart::ChartArgs),
    /// Time and measure every stage on the corpus and on synthetic corpora made larger from it.
    Bench(cmd::bench::BenchArgs),
    /// Print the quality scores of a run (NMI, ARI, V-measure… when it had labels).
    Eval(cmd::eval::EvalArgs),
    /// Run the analyses a job file lists into out/<batch>/, with an index page of them all.
    Batch(cmd::batch::BatchArgs),
    /// Match the themes of two runs: persisted, split, merged, new or gone.
    Compare(cmd::compare::CompareArgs),
}

fn main() {
    cmd::fault::install_panic_hook();
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Warn,
        (false, 1) => log::LevelFilter::Info,
        _ => log::LevelFilter::Debug,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format_timestamp(None)
        .format_target(false)
        .init();
    // Unwinding out of the command runs its destructors (an unfinished run folder is removed);
    // the panic hook has already printed the one-line message.
    let result = std::panic::catch_unwind(|| match &cli.command {
        Command::Run(a) => cmd::run::run(a, cli.quiet),
        Command::Assign(a) => cmd::assign::run(a, cli.quiet),
        Command::Vectorize(a) => cmd::vectorize::run(a),
        Command::Chart(a) => cmd::chart::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Batch(a) => cmd::batch::run(a, cli.quiet),
        Command::Compare(a) => cmd::compare::run(a),
    });
    match result {
        Ok(Ok(())) => {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            // Ends the process without the allocator's exit-time sweep: mimalloc hands every
            // free page back to the kernel one `madvise` at a time before exiting, which the
            // kernel does anyway, all at once (after a 20 Newsgroups run, the run folder's
            // rename to exit took 33–62 ms with the sweep, 5–8 ms without; BENCHMARKS.md).
            // SAFETY: `_exit` ends the process at once; stdout is flushed above, stderr is
            // unbuffered, and every file the command wrote is closed and renamed already.
            unsafe { libc::_exit(0) }
        }
        Ok(Err(e)) => {
            eprintln!("themata: error: {e}");
            std::process::exit(e.exit_code());
        }
        Err(_) => std::process::exit(cmd::fault::PANIC_EXIT_CODE),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
