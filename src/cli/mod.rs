//! The command line: one module per group of subcommands (`run`; `validate`, `model`,
//! `presets`; `compare`, `check`; `bench`). Parses flags (clap), reports errors as one line on
//! stderr with a non-zero exit, and shows progress on a terminal. The only place that reads
//! the wall clock, and the only user of `anyhow`.
#![allow(
    clippy::disallowed_methods,
    reason = "the CLI shows wall-clock progress and times benchmarks; nothing it reads reaches a result"
)]

/// `println!` to stdout that fails (with the `std::io::Error`) instead of panicking where
/// stdout is closed: a reader that stopped early (`gossipsim presets | head -1`) ends the
/// command quietly (see `main`).
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::cli::out(&format!("{}\n", format_args!($($t)*)))?
    };
}

/// `print!` as `outln!` does it.
macro_rules! out {
    ($($t:tt)*) => {
        $crate::cli::out(&format!($($t)*))?
    };
}

mod bench;
mod check;
mod cores;
mod inspect;
mod report;
mod run;
mod sweep;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "gossipsim",
    version,
    about = "Deterministic discrete-event simulator of gossipsub networks as Waku Relay runs them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run a scenario and write results/<scenario>/ (or --out).
    Run(run::RunArgs),
    /// Print the analytical model's loads for a scenario's parameters.
    Model(inspect::ModelArgs),
    /// Simulated vs model, term by term: runs a scenario (or reads a finished run's
    /// directory) and writes compare.csv beside the results.
    Compare(report::CompareArgs),
    /// Run every point × seed of a sweep file (resumable), or one task of it, or merge
    /// finished tasks, or write a Slurm / Kubernetes script for a cluster.
    Sweep(sweep::SweepArgs),
    /// Figures (SVG, PNG) and a self-contained report.html for a run's or a sweep's folder,
    /// read from its CSV files.
    Report(report::ReportArgs),
    /// Rerun a baseline's scenarios and fail on any pinned number that moved.
    Check(report::CheckArgs),
    /// Check a scenario without running it.
    Validate(inspect::ValidateArgs),
    /// List the gossipsub presets and their values.
    Presets(inspect::PresetsArgs),
    /// Write the connections a run of a scenario opens (dialer,listener CSV): the file
    /// `topology.kind = "file"` replays.
    Topology(inspect::TopologyArgs),
    /// Whole-run benchmark: each scenario at each thread count in a child process; prints
    /// wall clock, simulated s per wall s, events/s, ns/event, peak RSS, the memory estimate
    /// and a hash of the output files (equal hashes: byte-identical results).
    Bench(bench::BenchArgs),
    /// One benchmark run (what `bench` starts in a child process).
    #[command(hide = true)]
    BenchOne(bench::BenchOneArgs),
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help / --version
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            // One line: clap's first paragraph (the error itself, with any line break of a
            // value it quotes shown as \n), not its usage block.
            let text = e.to_string();
            let first = text
                .split("\n\n")
                .next()
                .unwrap_or("invalid arguments")
                .trim()
                .trim_start_matches("error: ")
                .replace('\n', "\\n");
            eprintln!("error: {first} (see gossipsim --help)");
            return 2;
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        // Whoever read stdout stopped reading: nothing left to tell, and nothing went wrong.
        Err(e) if closed_stdout(&e) => 0,
        Err(e) => {
            eprintln!("error: {}", format_chain(&e));
            1
        }
    }
}

/// Writes `text` to stdout.
pub(crate) fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

fn closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn format_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(std::string::ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Run(a) => a.exec(),
        Cmd::Model(a) => a.exec(),
        Cmd::Compare(a) => a.exec(),
        Cmd::Sweep(a) => a.exec(),
        Cmd::Report(a) => a.exec(),
        Cmd::Check(a) => a.exec(),
        Cmd::Validate(a) => a.exec(),
        Cmd::Presets(a) => a.exec(),
        Cmd::Topology(a) => a.exec(),
        Cmd::Bench(a) => a.exec(),
        Cmd::BenchOne(a) => a.exec(),
    }
}

/// `--threads`, or the cores this process may use that are idle now (see `cores`); no more
/// than the cores it may use (threads beyond them only wait on one another at every window:
/// results do not depend on the count).
fn threads_or_all(threads: Option<u32>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    match threads {
        Some(t) if t as usize > cores => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "note: --threads {t} is more than the {cores} core(s) this process may use: using {cores} (results do not depend on it)"
            );
            cores
        }
        Some(t) => t as usize,
        None => cores::default_threads(cores),
    }
}
