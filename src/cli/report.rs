//! The commands that read finished runs: `compare` (simulated vs the analytical model),
//! `check` (a baseline's pinned numbers) and `report` (figures and an HTML page).

use super::run::{run_checked, Out};
use super::threads_or_all;
use crate::report;
use crate::scenario::{Override, Source};
use crate::sim::Options;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// A relative tolerance: a finite number >= 0.
fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("must be a number >= 0, got \"{s}\"")),
    }
}

/// Simulated vs model, term by term: runs a scenario (or reads a finished run's
/// directory) and writes compare.csv beside the results.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// A scenario file (it is run first) or a results directory.
    target: PathBuf,
    #[arg(long, default_value = "2023", value_parser = ["2023", "2025"])]
    version: String,
    /// Model case (default: case3 without gossip, else case4).
    #[arg(long, value_parser = ["case1", "case2", "case3", "case4", "case5"])]
    case: Option<String>,
    /// Relative difference still counted as agreement.
    #[arg(long, allow_hyphen_values = true, default_value_t = 0.05, value_parser = non_negative)]
    tolerance: f64,
    /// With a scenario: where to write its results.
    #[arg(long)]
    out: Option<PathBuf>,
    /// With a scenario: replace the --out folder even when it holds something other than a run.
    #[arg(long)]
    force: bool,
    /// With a scenario: override its master seed (a whole number, 0 to 2^64 − 1).
    #[arg(long, allow_hyphen_values = true, value_parser = super::run::parse_seed)]
    seed: Option<u64>,
    /// Set a scenario key on top of the file (repeatable), e.g. --set gossipsub.mesh_n=8;
    /// validated like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<Override>,
}

impl CompareArgs {
    pub fn exec(self) -> Result<()> {
        let CompareArgs {
            target,
            version,
            case,
            tolerance,
            out,
            force,
            seed,
            set,
        } = self;
        let dir = if target.is_dir() {
            let given = [
                ("--set", !set.is_empty()),
                ("--seed", seed.is_some()),
                ("--out", out.is_some()),
                ("--force", force),
            ];
            if let Some((flag, _)) = given.iter().find(|g| g.1) {
                anyhow::bail!(
                    "{flag} applies to a scenario file, and {} is a results directory (its run is read as it is)",
                    target.display()
                );
            }
            target
        } else {
            let opts = Options::threads(threads_or_all(None));
            run_checked(
                &Source::new(target, set),
                seed,
                Out { dir: out, force },
                true,
                opts,
                None,
            )?
        };
        let version = crate::model::Version::parse(&version).expect("clap checked the value");
        let case = case.map(|c| crate::model::Case::parse(&c).expect("clap checked the value"));
        let c = report::compare::compare(&dir, version, case, tolerance)?;
        report::compare::write_csv(&dir, &c, tolerance)?;
        out!("{}", c.text);
        outln!("written    {}", dir.join("compare.csv").display());
        Ok(())
    }
}

/// Rerun a baseline's scenarios and fail on any pinned number that moved.
#[derive(Args, Debug)]
pub struct CheckArgs {
    baseline: PathBuf,
    /// Relative change still accepted (0 = exact, the default: runs are deterministic).
    #[arg(long, allow_hyphen_values = true, default_value_t = 0.0, value_parser = non_negative)]
    tolerance: f64,
    /// Rewrite the baseline with the current numbers instead of checking.
    #[arg(long)]
    update: bool,
    /// With --update: also pin this scenario (SCENARIO or SCENARIO:SEED).
    #[arg(long)]
    add: Vec<String>,
}

impl CheckArgs {
    pub fn exec(self) -> Result<()> {
        let CheckArgs {
            baseline,
            tolerance,
            update,
            add,
        } = self;
        if update {
            out!("{}", super::check::update(&baseline, &add)?);
            outln!("written    {}", baseline.display());
            return Ok(());
        }
        if !add.is_empty() {
            anyhow::bail!("--add only goes with --update");
        }
        let r = super::check::check(&baseline, tolerance)?;
        out!("{}", r.text);
        if r.failures > 0 {
            anyhow::bail!("{} pinned number(s) moved; if the change is intended, run `gossipsim check {} --update`", r.failures, baseline.display());
        }
        Ok(())
    }
}

/// Figures (SVG, PNG) and a self-contained report.html for a run's or a sweep's folder.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A run's folder (with summary.csv) or a sweep's (with sweep.csv).
    dir: PathBuf,
    /// Where to write the report (default: DIR/report).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl ReportArgs {
    pub fn exec(self) -> Result<()> {
        let files = report::page::report(&self.dir, self.out.as_deref())?;
        outln!("report     {}", files[0].display());
        outln!(
            "figures    {} file(s) beside it (SVG and PNG)",
            files.len() - 1
        );
        Ok(())
    }
}
