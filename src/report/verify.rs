//! Whether a result folder is what its manifest says: every file it lists, byte for byte
//! (SHA-256), and every file a reader needs listed. `compare`, `report` and a resumed sweep
//! read a folder only after this.

use super::{invalid, Doing, ReportError};
use crate::output::folder::{sha256, MANIFEST};
use crate::output::{run_id_of, RESULT_FILES};
use std::path::Path;

/// One row of a manifest.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Entry {
    pub run_id: String,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Checks that `dir` holds every file its manifest lists, byte for byte, and that the
/// manifest lists every file in `required`. Returns the manifest's rows.
pub fn verify(dir: &Path, required: &[&str]) -> Result<Vec<Entry>, ReportError> {
    let shown = dir.display();
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        return Err(invalid!(
            "{shown}: no {MANIFEST}: not a finished gossipsim folder (cut short, or written by a gossipsim before manifests); rerun it"
        ));
    }
    let mut r = csv::Reader::from_path(&path).doing(|| format!("reading {}", path.display()))?;
    let mut rows: Vec<Entry> = Vec::new();
    for row in r.deserialize() {
        let e: Entry = row.map_err(|e| {
            let line = e
                .position()
                .map_or(String::new(), |p| format!(":{}", p.line()));
            invalid!("{}{line}: {e}", path.display())
        })?;
        if e.file.contains(['/', '\\']) || e.file.starts_with('.') {
            return Err(invalid!(
                "{}: lists `{}`, which is not a file of this folder",
                path.display(),
                e.file
            ));
        }
        rows.push(e);
    }
    for f in required {
        if !rows.iter().any(|e| e.file == *f) {
            return Err(invalid!("{shown}: {MANIFEST} does not list {f}; rerun it"));
        }
    }
    for e in &rows {
        let p = dir.join(&e.file);
        let bytes = std::fs::read(&p).map_err(|err| {
            invalid!(
                "{shown}: {} is listed in {MANIFEST} but cannot be read ({err}); rerun it",
                e.file
            )
        })?;
        if bytes.len() as u64 != e.bytes || sha256(&bytes) != e.sha256 {
            return Err(invalid!(
                "{shown}: {} is not the file the run wrote ({} bytes, {MANIFEST} says {}; or its SHA-256 differs): the folder changed after the run; rerun it",
                e.file,
                bytes.len(),
                e.bytes
            ));
        }
    }
    Ok(rows)
}

/// [`verify`] for a run's folder: every result file, one run id, and that id the resolved
/// scenario's.
pub fn verify_run(dir: &Path) -> Result<String, ReportError> {
    let rows = verify(dir, &RESULT_FILES)?;
    let id = rows[0].run_id.clone();
    if rows.iter().any(|e| e.run_id != id) {
        return Err(invalid!(
            "{}: {MANIFEST} names more than one run id",
            dir.display()
        ));
    }
    let resolved = std::fs::read_to_string(dir.join("scenario.resolved.toml"))
        .doing(|| format!("reading {}", dir.join("scenario.resolved.toml").display()))?;
    let actual = run_id_of(&resolved);
    if actual != id {
        return Err(invalid!(
            "{}: {MANIFEST} says run {id}, its scenario.resolved.toml is run {actual}",
            dir.display()
        ));
    }
    Ok(id)
}
