//! The command line: `run`, `validate`, `presets`. Parses flags (clap), reports errors as one
//! line on stderr with a non-zero exit, and shows progress on a terminal. The only place that
//! reads the wall clock.

use crate::protocol::gossipsub::{preset, PRESETS};
use crate::report::{self, Summary};
use crate::scenario::{self, Scenario};
use crate::sim::{Options, Sim};
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
        #[arg(long, conflicts_with = "seeds")]
        seed: Option<u64>,
        /// Independent runs, one per seed, in parallel ("1..8" = 1 to 8, or "1,5,9");
        /// each writes <out>/seed-<seed>/.
        #[arg(long, value_parser = parse_seeds)]
        seeds: Option<Seeds>,
        /// Output directory (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar and no summary on stdout.
        #[arg(long)]
        quiet: bool,
        /// Worker threads (default: all cores): for one run, its partitions; with --seeds,
        /// runs at once. Results do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
        /// Refuse to start above this estimated peak memory (e.g. "8GiB"; default: the
        /// memory available now).
        #[arg(long, value_parser = crate::units::parse_size)]
        memory_limit: Option<u64>,
        /// Deliver every RPC the plain way, settling nothing on its arrival: slower, same
        /// result files (the events count aside). For checking the engine's shortcuts.
        #[arg(long)]
        no_shortcuts: bool,
    },
    /// Print the analytical model's loads for a scenario's parameters.
    Model {
        scenario: PathBuf,
        /// Model version (default: both).
        #[arg(long, value_parser = ["2023", "2025"])]
        version: Option<String>,
        /// Node counts to evaluate (default: the scenario's subscribers of its first topic).
        #[arg(long, num_args = 1..)]
        nodes: Vec<u64>,
        /// Topic (index in the scenario) whose traffic sets S and R.
        #[arg(long, default_value_t = 0)]
        topic: usize,
    },
    /// Simulated vs model, term by term: runs a scenario (or reads a finished run's
    /// directory) and writes compare.csv beside the results.
    Compare {
        /// A scenario file (it is run first) or a results directory.
        target: PathBuf,
        #[arg(long, default_value = "2023", value_parser = ["2023", "2025"])]
        version: String,
        /// Model case (default: case3 without gossip, else case4).
        #[arg(long, value_parser = ["case1", "case2", "case3", "case4", "case5"])]
        case: Option<String>,
        /// Relative difference still counted as agreement.
        #[arg(long, default_value_t = 0.05, value_parser = non_negative)]
        tolerance: f64,
        /// With a scenario: where to write its results.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Rerun a baseline's scenarios and fail on any pinned number that moved.
    Check {
        baseline: PathBuf,
        /// Relative change still accepted (0 = exact, the default: runs are deterministic).
        #[arg(long, default_value_t = 0.0, value_parser = non_negative)]
        tolerance: f64,
        /// Rewrite the baseline with the current numbers instead of checking.
        #[arg(long)]
        update: bool,
        /// With --update: also pin this scenario (SCENARIO or SCENARIO:SEED).
        #[arg(long)]
        add: Vec<String>,
    },
    /// Check a scenario without running it.
    Validate { scenario: PathBuf },
    /// List the gossipsub presets and their values.
    Presets {
        /// One Markdown table of every preset (the README's).
        #[arg(long)]
        markdown: bool,
    },
    /// Whole-run benchmark: each scenario at each thread count in a child process; prints
    /// wall clock, simulated s per wall s, events/s, ns/event, peak RSS, the memory estimate
    /// and a hash of the output files (equal hashes: byte-identical results).
    Bench {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Thread counts to run each scenario with, e.g. "1,2".
        #[arg(long, value_delimiter = ',', default_value = "1,2",
              value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Vec<u32>,
        /// Override the warm-up (e.g. "10s") to time a shorter slice.
        #[arg(long, value_parser = crate::units::parse_duration)]
        warmup: Option<crate::SimTime>,
        /// Override the measured duration (e.g. "1min") to time a shorter slice.
        #[arg(long, value_parser = crate::units::parse_duration)]
        duration: Option<crate::SimTime>,
        /// Also write the rows to this CSV file.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Time the plain path: settle nothing on arrival (see `run --no-shortcuts`).
        #[arg(long)]
        no_shortcuts: bool,
    },
    /// One benchmark run (what `bench` starts in a child process).
    #[command(hide = true)]
    BenchOne {
        scenario: PathBuf,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: u32,
        #[arg(long, value_parser = crate::units::parse_duration)]
        warmup: Option<crate::SimTime>,
        #[arg(long, value_parser = crate::units::parse_duration)]
        duration: Option<crate::SimTime>,
        #[arg(long)]
        no_shortcuts: bool,
    },
}

/// The seeds of `--seeds`.
#[derive(Debug, Clone)]
pub struct Seeds(Vec<u64>);

/// `A..B` (A to B inclusive) or a comma-separated list of seeds.
fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let bad = || format!("expected A..B or a list like 1,5,9 of whole numbers, got \"{s}\"");
    let num = |x: &str| x.trim().parse::<u64>().map_err(|_| bad());
    let seeds: Vec<u64> = if let Some((a, b)) = s.split_once("..") {
        let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
        if b < a {
            return Err(format!("empty range \"{s}\": {b} < {a}"));
        }
        if b - a >= 10_000 {
            return Err(format!("\"{s}\" is more than 10000 runs"));
        }
        (a..=b).collect()
    } else {
        s.split(',').map(num).collect::<Result<_, _>>()?
    };
    let mut uniq = seeds.clone();
    uniq.sort_unstable();
    uniq.dedup();
    if uniq.len() != seeds.len() {
        return Err(format!("\"{s}\" names a seed twice"));
    }
    Ok(Seeds(seeds))
}

/// A relative tolerance: a finite number >= 0.
fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("must be a number >= 0, got \"{s}\"")),
    }
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
            threads,
            seeds,
            memory_limit,
            no_shortcuts,
        } => {
            let opts = Options {
                threads: threads_or_all(threads),
                shortcuts: !no_shortcuts,
            };
            match seeds {
                None => run_checked(&scenario, seed, out, quiet, opts, memory_limit).map(|_| ()),
                Some(Seeds(seeds)) => run_seeds(&scenario, &seeds, out, quiet, opts, memory_limit),
            }
        }
        Cmd::Validate { scenario } => {
            let sc = scenario::load(&scenario)?;
            let est = crate::estimate::estimate(&sc, threads_or_all(None));
            println!(
                "{}: ok ({} nodes, {} topic(s), {} traffic class(es), preset {}, {} measured after {} warm-up; estimated peak memory {})",
                scenario.display(),
                sc.nodes,
                sc.topics.len(),
                sc.traffic.len(),
                sc.preset,
                sc.duration,
                sc.warmup,
                crate::estimate::gib(est.total()),
            );
            let terms: Vec<String> = est
                .terms
                .iter()
                .map(|(name, b)| format!("{name} {:.1} MiB", b / f64::from(1u32 << 20)))
                .collect();
            println!("  memory estimate by term: {}", terms.join(", "));
            Ok(())
        }
        Cmd::Model {
            scenario,
            version,
            nodes,
            topic,
        } => {
            let sc = scenario::load(&scenario)?;
            if topic >= sc.topics.len() {
                anyhow::bail!(
                    "--topic {topic}: the scenario has {} topic(s)",
                    sc.topics.len()
                );
            }
            let subscribers = sc.selected(&sc.topics[topic].subscribers);
            let Some((p, n)) = crate::model::ModelInputs::for_topic(&sc, topic, subscribers) else {
                anyhow::bail!(
                    "{}: no traffic on topic {}",
                    scenario.display(),
                    sc.topics[topic].name
                );
            };
            let versions: Vec<_> = match version.as_deref() {
                Some(v) => vec![crate::model::Version::parse(v).expect("clap checked the value")],
                None => vec![crate::model::Version::V2023, crate::model::Version::V2025],
            };
            let ns: Vec<f64> = if nodes.is_empty() {
                vec![n]
            } else {
                nodes.iter().map(|&x| x as f64).collect()
            };
            print!("{}", crate::model::table::render(&p, &versions, &ns));
            Ok(())
        }
        Cmd::Compare {
            target,
            version,
            case,
            tolerance,
            out,
            seed,
        } => {
            let dir = if target.is_dir() {
                target
            } else {
                let opts = Options::threads(threads_or_all(None));
                run_checked(&target, seed, out.clone(), true, opts, None)?
            };
            let version = crate::model::Version::parse(&version).expect("clap checked the value");
            let case = case.map(|c| crate::model::Case::parse(&c).expect("clap checked the value"));
            let c = report::compare::compare(&dir, version, case, tolerance)?;
            report::compare::write_csv(&dir, &c, tolerance)?;
            print!("{}", c.text);
            println!("written    {}", dir.join("compare.csv").display());
            Ok(())
        }
        Cmd::Check {
            baseline,
            tolerance,
            update,
            add,
        } => {
            if update {
                print!("{}", report::check::update(&baseline, &add)?);
                println!("written    {}", baseline.display());
                return Ok(());
            }
            if !add.is_empty() {
                anyhow::bail!("--add only goes with --update");
            }
            let r = report::check::check(&baseline, tolerance)?;
            print!("{}", r.text);
            if r.failures > 0 {
                anyhow::bail!("{} pinned number(s) moved; if the change is intended, run `gossipsim check {} --update`", r.failures, baseline.display());
            }
            Ok(())
        }
        Cmd::Bench {
            scenarios,
            threads,
            warmup,
            duration,
            csv,
            no_shortcuts,
        } => {
            let threads: Vec<usize> = threads.into_iter().map(|t| t as usize).collect();
            let slice = crate::bench::Slice { warmup, duration };
            crate::bench::bench(&scenarios, &threads, slice, !no_shortcuts, csv.as_deref())
        }
        Cmd::BenchOne {
            scenario,
            threads,
            warmup,
            duration,
            no_shortcuts,
        } => {
            let slice = crate::bench::Slice { warmup, duration };
            let opts = Options {
                threads: threads as usize,
                shortcuts: !no_shortcuts,
            };
            crate::bench::bench_one(&scenario, opts, slice)
        }
        Cmd::Presets { markdown: true } => {
            print!("{}", scenario::validate::presets_markdown());
            Ok(())
        }
        Cmd::Presets { markdown: false } => {
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

/// `--threads`, or every core the process may use.
fn threads_or_all(threads: Option<u32>) -> usize {
    threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    )
}

/// `run` for one seed: loads the scenario, checks its memory estimate, runs and reports.
fn run_checked(
    path: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    opts: Options,
    memory_limit: Option<u64>,
) -> Result<PathBuf> {
    let sc: Scenario = scenario::load(path)?;
    crate::estimate::check(&sc, opts.threads, 1, memory_limit)?;
    run(path, seed, out, quiet, opts)
}

/// Independent runs of one scenario, one per seed, `opts.threads` at a time (each on one
/// thread: runs, not partitions, are the unit of parallel work here).
fn run_seeds(
    path: &std::path::Path,
    seeds: &[u64],
    out: Option<PathBuf>,
    quiet: bool,
    opts: Options,
    memory_limit: Option<u64>,
) -> Result<()> {
    use rayon::prelude::*;
    let sc: Scenario = scenario::load(path)?;
    let at_once = opts.threads.min(seeds.len()).max(1);
    let one = Options { threads: 1, ..opts };
    crate::estimate::check(&sc, 1, at_once, memory_limit)?;
    let base = out.unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(at_once)
        .build()
        .context("starting worker threads")?;
    let started = std::time::Instant::now();
    let results: Vec<Result<PathBuf>> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&s| {
                run(
                    path,
                    Some(s),
                    Some(base.join(format!("seed-{s}"))),
                    true,
                    one,
                )
            })
            .collect()
    });
    for (s, r) in seeds.iter().zip(results) {
        let dir = r.with_context(|| format!("seed {s}"))?;
        if !quiet {
            println!("seed {s:<6} {}", dir.display());
        }
    }
    if !quiet {
        println!(
            "runs       {} seed(s), {} at a time, in {:.2} s wall",
            seeds.len(),
            at_once,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Loads, runs and reports one scenario; returns the results directory.
pub fn run(
    path: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    opts: Options,
) -> Result<PathBuf> {
    let mut sc: Scenario = scenario::load(path)?;
    if let Some(s) = seed {
        sc = sc.with_seed(s);
    }
    let out_dir = out.unwrap_or_else(|| PathBuf::from("results").join(&sc.name));
    let sc = Arc::new(sc);
    let started = std::time::Instant::now();
    let sim = Sim::with_options(sc.clone(), opts)?;
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
            "run        {} events in {:.2} s wall ({:.2} M events/s; {:.1} simulated s per wall s; {} partition(s), windows of {:.3} ms)",
            output.events,
            wall,
            output.events as f64 / wall / 1e6,
            sc.end().as_secs_f64() / wall,
            output.partitions,
            output.lookahead.0 as f64 / 1e6,
        );
        println!("results    {}", out_dir.display());
    }
    Ok(out_dir)
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
