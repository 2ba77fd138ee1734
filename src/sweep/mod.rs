//! Sweeps: a base scenario run at every point of some axes, over some seeds. The plan
//! (every point's validated scenario, before anything runs), one task (a point × seed) run
//! into its own folder all or nothing, and what is collected from finished tasks
//! (`sweep.csv`, `sweep-stats.csv`). Owns the layout of a sweep folder; does not read the
//! clock or decide how many tasks run at once (the CLI does).
//!
//! A sweep folder: `p<point>/seed-<seed>/` holds one run's result files, `sweep.csv` and
//! `sweep-stats.csv` are built from those files only.

mod collect;
mod emit;
mod spec;
mod task;

pub use collect::{collect, Collected};
pub use emit::{k8s_job, slurm_script, Emit, K8s};
pub use spec::{Axis, Mode, Point, SweepSpec};
pub use task::{clean_stale, state, State};

use crate::scenario::{Override, Scenario, ScenarioError, Source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most point × seed runs one sweep may hold.
pub const MAX_TASKS: usize = 100_000;

/// What a sweep could not do. Messages name the sweep file (and line) or the task.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file itself.
    #[error("{}", at(file, *line, msg))]
    At {
        file: String,
        line: Option<usize>,
        msg: String,
    },
    /// A point whose scenario does not validate.
    #[error("{}: point {point} ({values}): {error}", at(file, *line, ""))]
    Point {
        file: String,
        line: Option<usize>,
        point: usize,
        values: String,
        error: Box<ScenarioError>,
    },
    /// Reading or writing a sweep folder.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// A task that could not run, or a result file that is not what gossipsim writes.
    #[error("{0}")]
    Task(String),
    /// A run's folder that could not be reserved, written or verified.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
}

fn at(file: &str, line: Option<usize>, msg: &str) -> String {
    let loc = match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    };
    if msg.is_empty() {
        loc
    } else {
        format!("{loc}: {msg}")
    }
}

/// `A..B` (A to B inclusive) or a comma-separated list of distinct seeds.
pub fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
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
    Ok(seeds)
}

/// A point with its validated scenario (at the base's seed).
#[derive(Debug, Clone)]
pub struct PlannedPoint {
    pub point: Point,
    pub scenario: Arc<Scenario>,
}

/// One run of a sweep: a point at a seed. Task `i` is point `i / seeds` at the
/// `i % seeds`-th seed (the numbering of `--task` and of a job array).
#[derive(Debug, Clone)]
pub struct Task {
    pub index: usize,
    pub point: usize,
    pub seed: u64,
    /// The folder, relative to the sweep folder.
    pub dir: PathBuf,
}

/// A sweep ready to run: every point validated, every task named.
#[derive(Debug)]
pub struct Plan {
    pub spec: SweepSpec,
    /// Keys set on the command line, on every point (before the axes).
    pub sets: Vec<Override>,
    pub points: Vec<PlannedPoint>,
    pub seeds: Vec<u64>,
    pub tasks: Vec<Task>,
}

/// Every point of `spec` with its validated scenario (the sweep's `set`, then `sets`, then
/// the point's own keys on the base); a refused point names the line of its axis.
fn validated_points(
    spec: &SweepSpec,
    sets: &[Override],
    shown: &str,
) -> Result<Vec<PlannedPoint>, SweepError> {
    let mut points = Vec::new();
    for point in spec.points() {
        let all: Vec<Override> = spec
            .set
            .iter()
            .chain(sets)
            .chain(&point.sets)
            .cloned()
            .collect();
        let sc = Source::new(spec.base.clone(), all)
            .load()
            .map_err(|source| {
                // The line of the axis whose value the scenario refused, else the first.
                let axis = spec
                    .axes
                    .iter()
                    .find(|a| {
                        source.file.starts_with(&format!("--set {}=", a.key))
                            || a.with
                                .iter()
                                .any(|(k, _)| source.file.starts_with(&format!("--set {k}=")))
                    })
                    .unwrap_or(&spec.axes[0]);
                SweepError::Point {
                    file: shown.to_string(),
                    line: axis.line,
                    point: point.index,
                    values: values_shown(&point),
                    error: Box::new(source),
                }
            })?;
        points.push(PlannedPoint {
            point,
            scenario: Arc::new(sc),
        });
    }
    Ok(points)
}

impl Plan {
    /// Reads the sweep file and validates the scenario of every point; nothing runs.
    pub fn load(file: &Path, sets: &[Override]) -> Result<Plan, SweepError> {
        let spec = SweepSpec::load(file)?;
        let shown = file.display().to_string();
        let columns = spec.columns();
        for o in sets {
            if let Some(k) = columns.iter().find(|k| o.overlaps(k)) {
                return Err(SweepError::At {
                    file: shown,
                    line: None,
                    msg: format!(
                        "--set {}={}: sets what the axis key \"{k}\" of this sweep sets",
                        o.path, o.value
                    ),
                });
            }
        }
        let points = validated_points(&spec, sets, &shown)?;
        let seeds = spec
            .seeds
            .clone()
            .unwrap_or_else(|| vec![points[0].scenario.seed]);
        if points.len().saturating_mul(seeds.len()) > MAX_TASKS {
            return Err(SweepError::At {
                file: shown,
                line: None,
                msg: format!(
                    "{} point(s) × {} seed(s) is more than {MAX_TASKS} runs",
                    points.len(),
                    seeds.len()
                ),
            });
        }
        let width = (points.len() - 1).to_string().len().max(2);
        let tasks = (0..points.len() * seeds.len())
            .map(|index| {
                let (point, seed) = (index / seeds.len(), seeds[index % seeds.len()]);
                Task {
                    index,
                    point,
                    seed,
                    dir: PathBuf::from(format!("p{point:0width$}")).join(format!("seed-{seed}")),
                }
            })
            .collect();
        Ok(Plan {
            spec,
            sets: sets.to_vec(),
            points,
            seeds,
            tasks,
        })
    }

    /// The scenario task `t` runs: its point's, at its seed.
    pub fn scenario(&self, t: &Task) -> Scenario {
        self.points[t.point].scenario.with_seed(t.seed)
    }

    /// What task `t`'s point sets, as `key=value, …`.
    pub fn values_shown(&self, t: &Task) -> String {
        values_shown(&self.points[t.point].point)
    }

    /// The default folder: results/<sweep name>.
    pub fn default_out(&self) -> PathBuf {
        PathBuf::from("results").join(&self.spec.name)
    }
}

fn values_shown(p: &Point) -> String {
    p.sets
        .iter()
        .map(|o| format!("{}={}", o.path, o.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs task `t` into `out` unless its folder already holds its complete results; the
/// folder appears whole or not at all.
pub fn run_task(
    plan: &Plan,
    t: &Task,
    out: &Path,
    opts: crate::sim::Options,
) -> Result<State, SweepError> {
    let sc = plan.scenario(t);
    task::run(&sc, &out.join(&t.dir), opts)
}
