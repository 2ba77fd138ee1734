//! One task's folder: whether it holds the complete results of the scenario it should (so a
//! resumed sweep skips it), and running it so that the folder appears whole or not at all:
//! the run is written into a temporary folder beside it (`.seed-<s>.tmp-<host>-<pid>`) and
//! renamed into place. Temporaries left by a killed process are removed by `clean_stale`.

use super::SweepError;
use crate::report::{self, Summary, RESULT_FILES};
use crate::scenario::Scenario;
use crate::sim::{Options, Sim};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a task's folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every result file, of this very scenario (same resolved scenario, seed included).
    Complete,
    /// Nothing, or only part of a run (a folder written by something else).
    Missing,
    /// A complete run of another scenario (the sweep or its base changed since).
    Stale,
}

/// The state of `dir` for scenario `sc`.
pub fn state(dir: &Path, sc: &Scenario) -> State {
    if !RESULT_FILES.iter().all(|f| dir.join(f).is_file()) {
        return State::Missing;
    }
    match std::fs::read(dir.join("scenario.resolved.toml")) {
        Ok(bytes) if bytes == sc.resolved_toml.as_bytes() => State::Complete,
        Ok(_) => State::Stale,
        Err(_) => State::Missing,
    }
}

/// This host's name, for temporary folder names (tasks of a cluster share a folder).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or_else(|| "host".into())
}

fn temp_prefix(dir: &Path) -> String {
    format!(
        ".{}.tmp-",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("run")
    )
}

/// Runs `sc` into `dir` unless `dir` already holds its complete results. Returns the state
/// before: `Complete` (skipped), `Missing` or `Stale` (ran and replaced).
pub fn run(sc: &Scenario, dir: &Path, opts: Options) -> Result<State, SweepError> {
    let before = state(dir, sc);
    if before == State::Complete {
        return Ok(before);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| SweepError::Io {
        what: format!("creating {}", parent.display()),
        source,
    })?;
    let tmp = parent.join(format!(
        "{}{}-{}",
        temp_prefix(dir),
        host(),
        std::process::id()
    ));
    let result = write_run(sc, &tmp, dir, opts);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| before)
}

fn write_run(sc: &Scenario, tmp: &Path, dir: &Path, opts: Options) -> Result<(), SweepError> {
    let sc = Arc::new(sc.clone());
    let output = Sim::with_options(sc.clone(), opts)
        .map_err(|e| SweepError::Task(format!("{}: {e}", dir.display())))?
        .run(&mut |_, _| {});
    let summary = Summary::new(&sc, &output);
    let files = report::render_files(&sc, &output, &summary);
    let io = |what: String| move |source| SweepError::Io { what, source };
    if tmp.exists() {
        std::fs::remove_dir_all(tmp).map_err(io(format!("removing {}", tmp.display())))?;
    }
    report::write_files(tmp, &files).map_err(io(format!("writing {}", tmp.display())))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(format!("replacing {}", dir.display())))?;
    }
    std::fs::rename(tmp, dir).map_err(io(format!("moving results into {}", dir.display())))
}

/// Removes the temporary folders, under the point folders of `out`, that processes of this
/// host left when they were killed (their process is gone). Those of other hosts, or of
/// processes still running, are kept: a cluster's tasks may be writing them now.
pub fn clean_stale(out: &Path, dirs: &[PathBuf]) -> usize {
    let me = host();
    let mut removed = 0;
    let mut parents: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent().map(|p| out.join(p)))
        .collect();
    parents.dedup();
    for parent in parents {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((_, owner)) = name.split_once(".tmp-") else {
                continue;
            };
            if !name.starts_with('.') {
                continue;
            }
            let Some((h, pid)) = owner.rsplit_once('-') else {
                continue;
            };
            let alive = Path::new("/proc").join(pid).exists();
            if h == me
                && pid.parse::<u32>().is_ok()
                && !alive
                && std::fs::remove_dir_all(e.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    removed
}
