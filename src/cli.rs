//! The command line: `run`, `validate`, `presets`. Parses flags (clap), reports errors as one
//! line on stderr with a non-zero exit, and shows progress on a terminal. The only place that
//! reads the wall clock.

use crate::protocol::gossipsub::{preset, PRESETS};
use crate::report::{self, Summary};
use crate::scenario::{self, Scenario};
use crate::sim::Sim;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

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
    Run {
        scenario: PathBuf,
        /// Override the scenario's master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar and no summary on stdout.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a scenario without running it.
    Validate { scenario: PathBuf },
    /// List the gossipsub presets and their values.
    Presets,
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
            // One line: clap's first line (the error itself), not its usage block.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("error: {first} (see gossipsim --help)");
            return 2;
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", format_chain(&e));
            1
        }
    }
}

fn format_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Run {
            scenario,
            seed,
            out,
            quiet,
        } => run(&scenario, seed, out, quiet),
        Cmd::Validate { scenario } => {
            let sc = scenario::load(&scenario)?;
            println!(
                "{}: ok ({} nodes, {} topic(s), {} traffic class(es), preset {}, {} measured after {} warm-up)",
                scenario.display(),
                sc.nodes,
                sc.topics.len(),
                sc.traffic.len(),
                sc.preset,
                sc.duration,
                sc.warmup
            );
            Ok(())
        }
        Cmd::Presets => {
            for name in PRESETS {
                let cfg = preset(name).expect("listed presets exist");
                println!(
                    "[gossipsub]  # preset \"{name}\"\n{}",
                    scenario::validate::gossipsub_toml(name, &cfg)
                );
            }
            Ok(())
        }
    }
}

/// Loads, runs and reports one scenario.
pub fn run(
    path: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<()> {
    let mut sc: Scenario = scenario::load(path)?;
    if let Some(s) = seed {
        sc = sc.with_seed(s);
    }
    let out_dir = out.unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    let sc = Arc::new(sc);
    let started = std::time::Instant::now();
    let sim = Sim::new(sc.clone())?;
    let bar = progress_bar(&sc, quiet);
    let end_ms = sc.end().0 / 1_000_000;
    let mut progress = |t: crate::SimTime, events: u64| {
        if let Some(b) = &bar {
            b.set_position((t.0 / 1_000_000).min(end_ms));
            let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!("{:.2} M events/s", rate / 1e6));
        }
    };
    let output = sim.run(&mut progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let wall = started.elapsed().as_secs_f64();
    let summary = Summary::new(&sc, &output);
    let files = report::render_files(&sc, &output, &summary);
    report::write_files(&out_dir, &files)
        .with_context(|| format!("writing results to {}", out_dir.display()))?;
    if !quiet {
        print!("{}", summary.text);
        println!(
            "run        {} events in {:.2} s wall ({:.2} M events/s; {:.1} simulated s per wall s)",
            output.events,
            wall,
            output.events as f64 / wall / 1e6,
            sc.end().as_secs_f64() / wall
        );
        println!("results    {}", out_dir.display());
    }
    Ok(())
}

fn progress_bar(sc: &Scenario, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = ProgressBar::with_draw_target(
        Some(sc.end().0 / 1_000_000),
        ProgressDrawTarget::stderr_with_hz(4),
    );
    b.set_style(
        ProgressStyle::with_template("{spinner} sim {pos}/{len} ms [{bar:30}] {msg} · ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    Some(b)
}
