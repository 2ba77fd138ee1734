//! Result folders that appear whole or not at all, and say what they hold.
//!
//! A run is written into a temporary folder beside its target (`.<name>.tmp-<host>-<pid>`),
//! with a `manifest.csv` (run id, file, bytes, SHA-256) written last, and then renamed into
//! place; a previous run's folder stays untouched until that moment (it is moved aside to
//! `.<name>.old-<host>-<pid>` and removed once the new one is in place). A process killed
//! half-way leaves only a temporary folder, which the next run into the same parent removes
//! when its process is gone. The location is reserved before the simulation starts, so an
//! unwritable or occupied target is refused at once, not after an hour of simulation.
//! `compare` and `report` read a folder only after [`verify`] found every file as the
//! manifest says.

use super::{invalid, run_id_of, Doing, ReportError, RESULT_FILES};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.csv";
const HEADER: [&str; 4] = ["run_id", "file", "bytes", "sha256"];

/// This host's name, for temporary folder names (a cluster's tasks share a folder).
pub fn host() -> String {
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

fn base_name(dir: &Path) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("run")
        .to_string()
}

fn side(dir: &Path, what: &str) -> PathBuf {
    let parent = parent(dir);
    parent.join(format!(
        ".{}.{what}-{}-{}",
        base_name(dir),
        host(),
        std::process::id()
    ))
}

fn parent(dir: &Path) -> &Path {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The manifest of `files`, as `manifest.csv` holds it.
pub fn manifest(run_id: &str, files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).expect("writing to memory");
    for (name, bytes) in files {
        w.write_record([run_id, name, &bytes.len().to_string(), &sha256(bytes)])
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// A folder reserved for a run's results: its temporary folder exists (so the location is
/// known to be writable). Dropped without [`Reserved::commit`], it removes the temporary.
pub struct Reserved {
    dir: PathBuf,
    tmp: PathBuf,
    force: bool,
    done: bool,
}

/// Whether `dir` may be replaced by a run's results: absent, empty, or a run's folder
/// (it holds a `scenario.resolved.toml`: one that gossipsim wrote, old or new).
fn replaceable(dir: &Path) -> std::io::Result<bool> {
    if !dir.exists() {
        return Ok(true);
    }
    if dir.join("scenario.resolved.toml").is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// Reserves `dir` for a run's results, before anything is simulated. Refuses a target that is
/// not a folder (see [`super::output::folder`]), the current folder or one above it, or a
/// non-empty folder that holds no run (unless `force`); removes the temporaries that dead
/// processes of this host left beside it.
pub fn reserve(dir: &Path, force: bool) -> Result<Reserved, ReportError> {
    let shown = dir.display();
    // A link is followed to its folder (and kept); a file, device, socket or pipe is refused.
    let dir = &super::output::folder(dir)?;
    if let (Ok(d), Ok(cwd)) = (dir.canonicalize(), std::env::current_dir()) {
        if cwd.starts_with(&d) {
            return Err(invalid!(
                "{shown}: is the current folder or one above it; results go into a folder of their own"
            ));
        }
    }
    let ok = replaceable(dir).doing(|| format!("reading {shown}"))?;
    if !ok && !force {
        return Err(invalid!(
            "{shown}: not empty and not a run's folder (no scenario.resolved.toml); choose another --out, or --force to replace it"
        ));
    }
    let parent = parent(dir);
    std::fs::create_dir_all(parent).doing(|| format!("creating {}", parent.display()))?;
    clean_stale(parent, Some(&base_name(dir)));
    let tmp = side(dir, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).doing(|| format!("removing {}", tmp.display()))?;
    }
    std::fs::create_dir(&tmp).doing(|| format!("creating a folder beside {shown}"))?;
    Ok(Reserved {
        dir: dir.to_path_buf(),
        tmp,
        force,
        done: false,
    })
}

impl Reserved {
    /// Writes `files` and their manifest into the temporary folder, then puts it in place of
    /// the target (a previous run there is replaced only now).
    pub fn commit(
        mut self,
        run_id: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Result<PathBuf, ReportError> {
        for (name, bytes) in files {
            let p = self.tmp.join(name);
            write_synced(&p, bytes).doing(|| format!("writing {}", p.display()))?;
        }
        let m = self.tmp.join(MANIFEST);
        write_synced(&m, &manifest(run_id, files)).doing(|| format!("writing {}", m.display()))?;
        let shown = self.dir.display();
        let old = side(&self.dir, "old");
        let had = self.dir.exists();
        if had {
            // Checked again: the target may have changed while the run went on.
            if !replaceable(&self.dir).doing(|| format!("reading {shown}"))? && !self.force {
                return Err(invalid!("{shown}: became a non-empty folder that is not a run's while the run went on; the results are not written (--force replaces it)"));
            }
            std::fs::rename(&self.dir, &old)
                .doing(|| format!("moving the previous {shown} aside"))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.dir) {
            if had {
                let _ = std::fs::rename(&old, &self.dir);
            }
            return Err(e).doing(|| format!("moving the results into {shown}"));
        }
        self.done = true;
        if had {
            std::fs::remove_dir_all(&old).doing(|| format!("removing the previous {shown}"))?;
        }
        Ok(self.dir.clone())
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Removes, in `parent`, the temporary and set-aside folders (of target `name`, or of any
/// target) that processes of this host left when they were killed (their process is gone).
/// Those of other hosts, or of processes still running, are kept: a cluster's tasks may be
/// writing them now. Returns how many it removed.
pub fn clean_stale(parent: &Path, name: Option<&str>) -> usize {
    let me = host();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix('.') else {
            continue;
        };
        let Some((target, owner)) = rest
            .split_once(".tmp-")
            .or_else(|| rest.split_once(".old-"))
        else {
            continue;
        };
        if name.is_some_and(|n| n != target) {
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
    removed
}

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
