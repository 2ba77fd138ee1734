//! One task's folder: whether it holds the complete results of the scenario it should (so a
//! resumed sweep skips it), and running it so that the folder appears whole or not at all:
//! the run is written into a temporary folder beside it (`.seed-<s>.tmp-<host>-<pid>`) and
//! renamed into place ([`folder`]). Temporaries left by a killed process are removed by
//! `clean_stale`.

use super::SweepError;
use crate::output::{self, folder, Summary};
use crate::scenario::Scenario;
use crate::sim::{Options, Sim};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a task's folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every result file, of this very scenario (same resolved scenario, seed included), as
    /// its manifest says.
    Complete,
    /// Nothing, or not a finished run (no manifest, or files that differ from it).
    Missing,
    /// A complete run of another scenario (the sweep or its base changed since).
    Stale,
}

/// The state of `dir` for scenario `sc`.
pub fn state(dir: &Path, sc: &Scenario) -> State {
    match crate::report::verify::verify_run(dir) {
        Err(_) => State::Missing,
        Ok(id) if id == output::run_id(sc) => State::Complete,
        Ok(_) => State::Stale,
    }
}

/// Runs `sc` into `dir` unless `dir` already holds its complete results. Returns the state
/// before: `Complete` (skipped), `Missing` or `Stale` (ran and replaced).
pub fn run(sc: &Scenario, dir: &Path, opts: Options) -> Result<State, SweepError> {
    let before = state(dir, sc);
    if before == State::Complete {
        return Ok(before);
    }
    // The sweep owns its task folders: whatever is there is replaced.
    let target = folder::reserve(dir, true)?;
    let sc = Arc::new(sc.clone());
    let output = Sim::with_options(sc.clone(), opts)
        .map_err(|e| SweepError::Task(format!("{}: {e}", dir.display())))?
        .run(&mut |_, _| {});
    let summary = Summary::new(&sc, &output);
    let files = output::render_files(&sc, &output, &summary);
    target.commit(&output::run_id(&sc), &files)?;
    Ok(before)
}

/// Removes the temporary folders, under the point folders of `out`, that processes of this
/// host left when they were killed (see [`folder::clean_stale`]).
pub fn clean_stale(out: &Path, dirs: &[PathBuf]) -> usize {
    let mut parents: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent().map(|p| out.join(p)))
        .collect();
    parents.dedup();
    parents.iter().map(|p| folder::clean_stale(p, None)).sum()
}
