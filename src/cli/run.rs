//! `gossipsim run`: one scenario, or one run per seed in parallel; progress on a terminal,
//! the summary on stdout, the result files in a folder.

use super::threads_or_all;
use crate::output::{self, folder, Summary};
use crate::scenario::{Override, Scenario, Source};
use crate::sim::{Options, Sim};
use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// Run a scenario and write results/<scenario>/ (or --out).
#[derive(Args, Debug)]
pub struct RunArgs {
    scenario: PathBuf,
    /// Set a scenario key on top of the file (repeatable), e.g. --set gossipsub.mesh_n=8
    /// --set 'traffic[0].size="10KB"'; validated like the file, kept in the resolved scenario.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
    /// Override the scenario's master seed (a whole number, 0 to 2^64 − 1).
    #[arg(long, conflicts_with = "seeds", allow_hyphen_values = true, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Independent runs, one per seed, in parallel ("1..8" = 1 to 8, or "1,5,9");
    /// each writes <out>/seed-<seed>/.
    #[arg(long, value_parser = parse_seeds)]
    seeds: Option<Seeds>,
    /// Output directory (default: results/<scenario name>). A previous run's folder there is
    /// replaced when the new results are complete; any other non-empty folder is refused.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the --out folder even when it is not empty and holds no run.
    #[arg(long)]
    force: bool,
    /// No progress bar and no summary on stdout.
    #[arg(long)]
    quiet: bool,
    /// Worker threads (default: the cores idle now, at least one): for one run, its partitions; with --seeds,
    /// runs at once; at most the cores this process may use (more are cut, with a note).
    /// Results do not depend on it.
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Refuse to start above this estimated peak memory (e.g. "8GiB"; default: the
    /// memory available now).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_size)]
    memory_limit: Option<u64>,
    /// Deliver every RPC the plain way, settling nothing on its arrival and carrying
    /// every one in the RPC slab: slower, same result files (the events count aside). For
    /// checking the engine's shortcuts.
    #[arg(long)]
    no_shortcuts: bool,
}

impl RunArgs {
    pub fn exec(self) -> Result<()> {
        let opts = Options {
            threads: threads_or_all(self.threads),
            shortcuts: !self.no_shortcuts,
        };
        let path = &Source::new(self.scenario, self.set);
        let (quiet, limit) = (self.quiet, self.memory_limit);
        let out = Out {
            dir: self.out,
            force: self.force,
        };
        match self.seeds {
            None => run_checked(path, self.seed, out, quiet, opts, limit).map(|_| ()),
            Some(Seeds(seeds)) => run_seeds(path, &seeds, out, quiet, opts, limit),
        }
    }
}

/// Where results go: `--out` (default results/<scenario name>) and `--force`.
#[derive(Debug, Clone, Default)]
pub(super) struct Out {
    pub dir: Option<PathBuf>,
    pub force: bool,
}

impl Out {
    fn dir_for(&self, sc: &Scenario) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(&sc.name))
    }
}

/// The seeds of `--seeds`.
#[derive(Debug, Clone)]
pub struct Seeds(Vec<u64>);

/// One seed: any u64, and a message that says so.
pub(super) fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "a seed is a whole number from 0 to {}, got \"{s}\"",
            u64::MAX
        )
    })
}

fn parse_seeds(s: &str) -> Result<Seeds, String> {
    crate::sweep::parse_seeds(s).map(Seeds)
}

/// `run` for one seed: loads the scenario, checks its memory estimate, runs and reports.
pub(super) fn run_checked(
    path: &Source,
    seed: Option<u64>,
    out: Out,
    quiet: bool,
    opts: Options,
    memory_limit: Option<u64>,
) -> Result<PathBuf> {
    let sc = seeded(path, seed)?;
    crate::estimate::check(&sc, opts.threads, 1, memory_limit)?;
    let target = folder::reserve(&out.dir_for(&sc), out.force)?;
    run(sc, target, quiet, opts)
}

/// The scenario of `path`, with `seed` as its master seed when given.
fn seeded(path: &Source, seed: Option<u64>) -> Result<Scenario> {
    let sc: Scenario = path.load()?;
    Ok(match seed {
        Some(s) => sc.with_seed(s),
        None => sc,
    })
}

/// Independent runs of one scenario, one per seed, `opts.threads` at a time (each on one
/// thread: runs, not partitions, are the unit of parallel work here).
fn run_seeds(
    path: &Source,
    seeds: &[u64],
    out: Out,
    quiet: bool,
    opts: Options,
    memory_limit: Option<u64>,
) -> Result<()> {
    use rayon::prelude::*;
    let sc: Scenario = path.load()?;
    let at_once = opts.threads.min(seeds.len()).max(1);
    let one = Options { threads: 1, ..opts };
    crate::estimate::check(&sc, 1, at_once, memory_limit)?;
    // A folder of seed folders: never a run's folder or one holding a user's files.
    let base = folder::container(&out.dir_for(&sc), "seeds", out.force)?;
    // Every seed's folder is reserved before the first run starts.
    let targets = seeds
        .iter()
        .map(|s| folder::reserve(&base.join(format!("seed-{s}")), out.force))
        .collect::<Result<Vec<_>, _>>()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(at_once)
        .build()
        .context("starting worker threads")?;
    let started = std::time::Instant::now();
    let results: Vec<Result<PathBuf>> = pool.install(|| {
        seeds
            .par_iter()
            .zip(targets)
            .map(|(&s, target)| run(sc.with_seed(s), target, true, one))
            .collect()
    });
    for (s, r) in seeds.iter().zip(results) {
        let dir = r.with_context(|| format!("seed {s}"))?;
        if !quiet {
            outln!("seed {s:<6} {}", dir.display());
        }
    }
    if !quiet {
        outln!(
            "runs       {} seed(s), {} at a time, in {:.2} s wall",
            seeds.len(),
            at_once,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Runs and reports one scenario into its reserved folder; returns the results directory.
fn run(sc: Scenario, target: folder::Reserved, quiet: bool, opts: Options) -> Result<PathBuf> {
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
    let files = output::render_files(&sc, &output, &summary);
    let out_dir = target.commit(&output::run_id(&sc), &files)?;
    if !quiet {
        out!("{}", summary.text);
        outln!(
            "run        {} events in {:.2} s wall ({:.2} M events/s; {:.1} simulated s per wall s; {} partition(s), windows of {:.3} ms)",
            output.events,
            wall,
            output.events as f64 / wall / 1e6,
            sc.end().as_secs_f64() / wall,
            output.partitions,
            output.lookahead.0 as f64 / 1e6,
        );
        outln!("results    {}", out_dir.display());
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
