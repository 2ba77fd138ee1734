//! `gossipsim sweep`: every point × seed of a sweep file, several runs at once, one progress
//! bar over the whole sweep (a line per finished run where stderr is not a terminal),
//! resumable; or one task of it (`--task`, what a cluster's array runs), the merge of
//! whatever finished (`--collect`), or a cluster script (`--emit slurm|k8s`).

use super::threads_or_all;
use crate::estimate::{available_memory, estimate, gib};
use crate::output::{folder, write_file};
use crate::scenario::Override;
use crate::sim::Options;
use crate::sweep::{self, Emit, K8s, Plan, State, Task};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Run a sweep: every point × seed of SWEEP.toml into results/<sweep name>/ (or --out).
#[derive(Args, Debug)]
pub struct SweepArgs {
    sweep: PathBuf,
    /// Output folder (default: results/<sweep name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Runs at once (default: one per core, fewer where memory is short).
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=1024))]
    jobs: Option<u32>,
    /// Threads of each run (default 1; where fewer runs remain than cores, the cores are
    /// shared among them). Results do not depend on it.
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Set a scenario key on every point, on top of the base and the sweep's `set`
    /// (repeatable); not one of the axes.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
    /// Run only task I (0-based, point-major: task = point × seeds + seed index), as a
    /// cluster's array task does; writes no sweep.csv.
    #[arg(long, allow_hyphen_values = true, value_name = "I", conflicts_with_all = ["collect", "emit", "list"])]
    task: Option<usize>,
    /// Merge the finished tasks into sweep.csv and sweep-stats.csv and list the missing ones.
    #[arg(long, conflicts_with_all = ["emit", "list"])]
    collect: bool,
    /// Write a cluster script into the output folder instead of running.
    #[arg(long, value_enum, conflicts_with = "list")]
    emit: Option<Target>,
    /// With --emit slurm: an extra #SBATCH option (repeatable), e.g. --sbatch=--partition=short.
    #[arg(long, value_name = "OPTION", allow_hyphen_values = true)]
    sbatch: Vec<String>,
    /// With --emit k8s: the container image, which must have gossipsim on its PATH.
    #[arg(long, default_value = concat!("gossipsim:", env!("CARGO_PKG_VERSION")))]
    image: String,
    /// With --emit k8s: the PersistentVolumeClaim that holds the working folder.
    #[arg(long, default_value = "gossipsim")]
    claim: String,
    /// With --emit k8s: pods at once.
    #[arg(long, allow_hyphen_values = true, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    parallelism: u32,
    /// Print the tasks (index, folder, point values, state) and run nothing.
    #[arg(long)]
    list: bool,
    /// No progress and no summary on stdout.
    #[arg(long)]
    quiet: bool,
    /// Refuse to start above this estimated peak memory for the runs at once (default:
    /// the memory available now).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::units::parse_size)]
    memory_limit: Option<u64>,
}

/// A cluster scheduler `--emit` writes for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Target {
    /// A Slurm job-array script (sweep.slurm).
    Slurm,
    /// A Kubernetes Indexed Job manifest (sweep-job.yaml).
    K8s,
}

impl SweepArgs {
    pub fn exec(self) -> Result<()> {
        let plan = Plan::load(&self.sweep, &self.set)?;
        let out = self.out.clone().unwrap_or_else(|| plan.default_out());
        if self.list {
            return list(&plan, &out);
        }
        if let Some(i) = self.task {
            return self.one_task(&plan, &out, i);
        }
        if self.collect {
            return collect(&plan, &out, self.quiet, true);
        }
        if let Some(target) = self.emit {
            return self.emit(&plan, &out, target);
        }
        self.run_all(&plan, &out)
    }

    fn one_task(&self, plan: &Plan, out: &Path, i: usize) -> Result<()> {
        let Some(t) = plan.tasks.get(i) else {
            bail!(
                "--task {i}: the sweep has {} task(s), 0 to {}",
                plan.tasks.len(),
                plan.tasks.len() - 1
            );
        };
        let threads = self.threads.unwrap_or(1) as usize;
        let sc = plan.scenario(t);
        crate::estimate::check(&sc, threads, 1, self.memory_limit)?;
        let out = &sweep_folder(out)?;
        sweep::clean_stale(out, std::slice::from_ref(&t.dir));
        let started = Instant::now();
        let before = sweep::run_task(plan, t, out, Options::threads(threads))
            .with_context(|| format!("task {i} ({})", plan.values_shown(t)))?;
        if !self.quiet {
            outln!(
                "task {i} {} {} in {:.2} s: {}",
                out.join(&t.dir).display(),
                outcome(before),
                started.elapsed().as_secs_f64(),
                plan.values_shown(t)
            );
        }
        Ok(())
    }

    /// The memory one run of the largest point is estimated to need on `threads` threads.
    fn largest(plan: &Plan, threads: usize) -> u64 {
        plan.points
            .iter()
            .map(|p| estimate(&p.scenario, threads).total())
            .max()
            .unwrap_or(0)
    }

    fn emit(&self, plan: &Plan, out: &Path, target: Target) -> Result<()> {
        if let Some(o) = self.sbatch.iter().find(|o| o.contains(['\n', '\r'])) {
            bail!("--sbatch {o:?}: one option per --sbatch, on one line");
        }
        let threads = self.threads.unwrap_or(1) as usize;
        let need = Self::largest(plan, threads);
        let workdir = std::env::current_dir().context("reading the working folder")?;
        let within = |p: &Path, what: &str| -> Result<PathBuf> {
            let abs = workdir.join(p);
            match target {
                Target::Slurm => Ok(abs),
                Target::K8s => match abs.strip_prefix(&workdir) {
                    Ok(rel) if !rel.components().any(|c| c == std::path::Component::ParentDir) => {
                        Ok(rel.to_path_buf())
                    }
                    _ => bail!(
                        "--emit k8s: the {what} {} is outside the working folder {}, which is all the pods see",
                        p.display(),
                        workdir.display()
                    ),
                },
            }
        };
        let sweep_file = within(&self.sweep, "sweep file")?;
        let out_named = within(out, "output folder")?;
        within(&plan.spec.base, "base scenario")?;
        let bin = std::env::current_exe().context("finding the gossipsim binary")?;
        let e = Emit {
            name: &plan.spec.name,
            tasks: plan.tasks.len(),
            bin: &bin,
            workdir: &workdir,
            sweep_file: &sweep_file,
            out: &out_named,
            sets: &plan.sets,
            threads,
            memory: need.saturating_add(need / 2),
        };
        let (file, text, next) = match target {
            Target::Slurm => (
                "sweep.slurm",
                sweep::slurm_script(&e, &self.sbatch),
                "sbatch",
            ),
            Target::K8s => {
                let k = K8s {
                    image: &self.image,
                    claim: &self.claim,
                    parallelism: self.parallelism as usize,
                };
                ("sweep-job.yaml", sweep::k8s_job(&e, &k), "kubectl apply -f")
            }
        };
        sweep_folder(out)?;
        // Slurm does not create the folder of its --output files.
        let made = match target {
            Target::Slurm => out.join("slurm"),
            Target::K8s => out.to_path_buf(),
        };
        std::fs::create_dir_all(&made).with_context(|| format!("creating {}", made.display()))?;
        let path = out.join(file);
        write_file(&path, text.as_bytes())?;
        if !self.quiet {
            outln!(
                "{} task(s), each up to {} of memory; submit: {next} {}",
                plan.tasks.len(),
                gib(e.memory),
                path.display()
            );
            outln!(
                "then: gossipsim sweep {} --out {} --collect",
                self.sweep.display(),
                out.display()
            );
        }
        Ok(())
    }

    fn run_all(&self, plan: &Plan, out: &Path) -> Result<()> {
        let out = &sweep_folder(out)?;
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let dirs: Vec<PathBuf> = plan.tasks.iter().map(|t| t.dir.clone()).collect();
        sweep::clean_stale(out, &dirs);
        let pending = pending_longest_first(plan, out);
        let done_before = plan.tasks.len() - pending.len();
        let cores = threads_or_all(None);
        let jobs = self.jobs(plan, pending.len(), cores)?;
        let threads = match self.threads {
            Some(t) => t as usize,
            None => (cores / jobs.max(1)).max(1),
        };
        let bar = progress(plan.tasks.len(), done_before, self.quiet);
        let started = Instant::now();
        let next = AtomicUsize::new(0);
        let (send, recv) = std::sync::mpsc::channel();
        let mut failures: Vec<String> = Vec::new();
        let mut ran = 0;
        std::thread::scope(|s| {
            for _ in 0..jobs {
                let (send, next, pending) = (send.clone(), &next, &pending);
                s.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = pending.get(i) else { break };
                    let t0 = Instant::now();
                    let r = sweep::run_task(plan, t, out, Options::threads(threads));
                    if send.send((*t, r, t0.elapsed().as_secs_f64())).is_err() {
                        break;
                    }
                });
            }
            drop(send);
            let mut finished = done_before;
            for (t, r, secs) in recv {
                finished += 1;
                let what = match &r {
                    Ok(_) => format!("ran in {secs:.2} s"),
                    Err(e) => format!("FAILED: {e}"),
                };
                match r {
                    Ok(_) => ran += 1,
                    Err(e) => failures.push(format!("task {} ({}): {e}", t.index, t.dir.display())),
                }
                match &bar {
                    Some(b) => {
                        b.set_position(finished as u64);
                        b.set_message(format!("{} failed", failures.len()));
                    }
                    None if !self.quiet => eprintln!(
                        "[{finished}/{}] {} {}: {what}",
                        plan.tasks.len(),
                        t.dir.display(),
                        plan.values_shown(t)
                    ),
                    None => {}
                }
            }
        });
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        collect(plan, out, self.quiet, false)?;
        if !self.quiet {
            outln!(
                "sweep      {} run(s): {ran} ran, {done_before} already complete, {} failed; {jobs} at a time, {threads} thread(s) each, {:.2} s wall",
                plan.tasks.len(),
                failures.len(),
                started.elapsed().as_secs_f64()
            );
            outln!("results    {}", out.display());
        }
        all_ran(plan, &failures)
    }

    /// Runs at once: `--jobs`, checked against memory, or as many as there are cores and
    /// memory for.
    fn jobs(&self, plan: &Plan, pending: usize, cores: usize) -> Result<usize> {
        let threads = self.threads.map_or(1, |t| t as usize);
        let per_run = Self::largest(plan, threads).max(1);
        let (limit, of) = match (self.memory_limit, available_memory()) {
            (Some(l), _) => (Some(l), "--memory-limit"),
            (None, Some((a, why))) => (Some(a), why),
            (None, None) => (None, "available memory"),
        };
        let fit = limit.map_or(usize::MAX, |l| {
            usize::try_from(l / per_run).unwrap_or(usize::MAX)
        });
        let want = match self.jobs {
            Some(j) => j as usize,
            None => (cores / threads).max(1).min(pending.max(1)).min(fit.max(1)),
        };
        if fit < want {
            bail!(
                "{}: {want} run(s) at once of the largest point need an estimated {}, more than the {of} of {}; use --jobs {} or fewer nodes",
                plan.spec.file.display(),
                gib(per_run.saturating_mul(want as u64)),
                gib(limit.unwrap_or(0)),
                fit
            );
        }
        Ok(want)
    }
}

fn outcome(before: State) -> &'static str {
    match before {
        State::Complete => "already complete",
        State::Missing => "ran",
        State::Stale => "ran (replacing the results of another scenario)",
    }
}

fn progress(len: usize, done: usize, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr_with_hz(4));
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} sweep {pos}/{len} runs [{bar:30}] {msg} · {elapsed} · ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    b.set_position(done as u64);
    b.reset_eta();
    b.set_message("0 failed");
    Some(b)
}

fn list(plan: &Plan, out: &Path) -> Result<()> {
    use std::fmt::Write as _;
    let mut text = String::from("task,dir,seed,state,values\n");
    for t in &plan.tasks {
        let st = match sweep::state(&out.join(&t.dir), &plan.scenario(t)) {
            State::Complete => "complete",
            State::Missing => "missing",
            State::Stale => "stale",
        };
        let _ = writeln!(
            text,
            "{},{},{},{st},\"{}\"",
            t.index,
            t.dir.display(),
            t.seed,
            plan.values_shown(t).replace('"', "\"\"")
        );
    }
    out!("{text}");
    Ok(())
}

/// The sweep's folder, made (and marked) where absent or empty: never a run's folder or
/// one that holds a user's files.
fn sweep_folder(out: &Path) -> Result<PathBuf> {
    Ok(folder::container(out, "sweep", false)?)
}

/// Writes sweep.csv and sweep-stats.csv from the finished tasks; `report` lists the missing.
fn collect(plan: &Plan, out: &Path, quiet: bool, report: bool) -> Result<()> {
    let c = sweep::collect(plan, out)?;
    let out = &sweep_folder(out)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let tables = [("sweep.csv", c.sweep_csv), ("sweep-stats.csv", c.stats_csv)];
    // The tables, then the manifest that `report` verifies them by.
    let id = crate::output::run_id_of(&String::from_utf8_lossy(&tables[0].1));
    let manifest = folder::manifest(&id, &tables);
    for (name, bytes) in tables.iter().chain([&(folder::MANIFEST, manifest)]) {
        let p = out.join(name);
        write_file(&p, bytes)?;
    }
    if report && !quiet {
        outln!(
            "collected  {} of {} run(s) into {}",
            c.complete,
            plan.tasks.len(),
            out.join("sweep.csv").display()
        );
        if !c.missing.is_empty() {
            let shown: Vec<String> = c
                .missing
                .iter()
                .take(20)
                .map(|t| format!("{} ({})", t.index, t.dir.display()))
                .collect();
            let more = c.missing.len().saturating_sub(20);
            outln!(
                "missing    {} task(s): {}{}",
                c.missing.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

/// An error naming every failed run of `plan`, if any failed.
fn all_ran(plan: &Plan, failures: &[String]) -> Result<()> {
    if !failures.is_empty() {
        bail!(
            "{} of {} run(s) failed: {}",
            failures.len(),
            plan.tasks.len(),
            failures.join("; ")
        );
    }
    Ok(())
}

/// The tasks of `plan` not complete in `out`, the longest first (by nodes × simulated time
/// × mesh degree, a proxy for events), so that the last runs to finish are short ones.
fn pending_longest_first<'p>(plan: &'p Plan, out: &Path) -> Vec<&'p Task> {
    let mut pending: Vec<&Task> = plan
        .tasks
        .iter()
        .filter(|t| sweep::state(&out.join(&t.dir), &plan.scenario(t)) != State::Complete)
        .collect();
    pending.sort_by_key(|t| {
        let sc = &plan.points[t.point].scenario;
        let degree = sc.node_classes.iter().map(|c| c.gossipsub.mesh_n).max();
        std::cmp::Reverse(
            u128::from(sc.nodes) * u128::from(sc.end().0) * degree.unwrap_or(1) as u128,
        )
    });
    pending
}
