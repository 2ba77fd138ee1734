//! Simulate, then report: turns a [`RunOutput`] into the summary a researcher pastes and the
//! tidy CSV files plots read. Every file is written atomically (temp file + rename), and
//! holds only deterministic values (no wall-clock figures), so that the same scenario and
//! seed give byte-identical files.

pub mod check;
pub mod compare;
mod render;
mod summary;

use crate::scenario::Scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use render::render_files;
pub use summary::{Summary, SummaryRow};

/// The stable id of a run: a hash of the resolved scenario (which includes the seed).
pub fn run_id(sc: &Scenario) -> String {
    format!("{:016x}", crate::rng::fnv1a64(sc.resolved_toml.as_bytes()))
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Writes every file into `dir` (created if needed). Each file appears whole or not at all.
pub fn write_files(dir: &Path, files: &[(&'static str, Vec<u8>)]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let p = dir.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
    }
    Ok(written)
}
