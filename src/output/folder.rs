//! Result folders that appear whole or not at all, and say what they hold.
//!
//! A run is written into a temporary folder beside its target (`.<name>.tmp-<host>-<pid>`),
//! with a `manifest.csv` (run id, file, bytes, SHA-256) written last, and then renamed into
//! place; a previous run's folder stays untouched until that moment (it is moved aside to
//! `.<name>.old-<host>-<pid>` and removed once the new one is in place). A process killed
//! half-way leaves only a temporary folder, which the next run into the same parent removes
//! when its process is gone; a process killed between the two renames leaves the previous
//! folder set aside, and the next run puts it back. While a process writes a folder it holds
//! `.<name>.lock` beside it (host and pid), so a second writer is refused, not silently
//! dropped. The location is reserved before the simulation starts, so an unwritable or
//! occupied target is refused at once, not after an hour of simulation. A report folder is
//! written the same way; a folder of several runs (a sweep's, `run --seeds`') is marked as
//! such ([`container`]) and never a run's folder or one holding anything else.
//! `compare` and `report` read a folder only after `report::verify` found every file as the
//! manifest says.

use super::{invalid, Doing, ReportError};
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

/// What a reserved folder holds, and so which folder it may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// A run's results (a folder that holds `scenario.resolved.toml`).
    Run,
    /// A report (a folder that holds `report.html`).
    Report,
}

impl Holds {
    /// The file by which a folder of this kind is known.
    fn mark(self) -> &'static str {
        match self {
            Holds::Run => "scenario.resolved.toml",
            Holds::Report => "report.html",
        }
    }
}

/// A folder reserved for a run's results or a report: its temporary folder exists (so the
/// location is known to be writable) and its lock is held. Dropped without a commit, it
/// removes the temporary and the lock.
pub struct Reserved {
    dir: PathBuf,
    tmp: PathBuf,
    lock: PathBuf,
    holds: Holds,
    force: bool,
    done: bool,
}

/// Whether `dir` may be replaced by what `holds`: absent, empty, or a folder of that kind
/// (one that gossipsim wrote, old or new).
fn replaceable(dir: &Path, holds: Holds) -> std::io::Result<bool> {
    if !dir.exists() {
        return Ok(true);
    }
    if dir.join(holds.mark()).is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// Whether process `pid` of this host is gone (a pid of another host cannot be checked).
fn gone(h: &str, pid: &str) -> bool {
    h == host() && dead(pid)
}

/// Whether `pid` names no process of this host now.
fn dead(pid: &str) -> bool {
    pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists()
}

/// Refuses `dir` (shown as `shown`) when it is the current folder or one above it: results
/// go into a folder of their own, never among the user's files.
fn not_the_current_folder(dir: &Path, shown: &std::path::Display<'_>) -> Result<(), ReportError> {
    if let (Ok(d), Ok(cwd)) = (dir.canonicalize(), std::env::current_dir()) {
        if cwd.starts_with(&d) {
            return Err(invalid!(
                "{shown}: is the current folder or one above it; results go into a folder of their own"
            ));
        }
    }
    Ok(())
}

/// Takes `.<name>.lock` beside `dir`: created only if absent (written `host pid`); one left
/// by a process of this host that is gone is taken over. Refuses while another holds it.
fn lock(dir: &Path) -> Result<PathBuf, ReportError> {
    let path = parent(dir).join(format!(".{}.lock", base_name(dir)));
    let me = format!("{} {}", host(), std::process::id());
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(me.as_bytes())
                    .doing(|| format!("writing {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let owner = std::fs::read_to_string(&path).unwrap_or_default();
                let (h, pid) = owner.trim().split_once(' ').unwrap_or(("", ""));
                if !gone(h, pid) {
                    return Err(invalid!(
                        "{}: another gossipsim (pid {pid} on {h}) is writing it now; wait for it, or remove {} if that process is gone",
                        dir.display(),
                        path.display()
                    ));
                }
                let _ = std::fs::remove_file(&path);
            }
            Err(e) => return Err(e).doing(|| format!("creating {}", path.display())),
        }
    }
    Err(invalid!(
        "{}: its lock {} is taken and released by others in turn; try again",
        dir.display(),
        path.display()
    ))
}

/// Puts back the previous folder of `dir` that a process of this host set aside and was
/// killed before its new folder was in place (`dir` absent, `.<name>.old-<host>-<pid>`
/// beside it, the process gone). Returns whether it did.
fn restore(dir: &Path) -> bool {
    if dir.exists() {
        return false;
    }
    let prefix = format!(".{}.old-", base_name(dir));
    let Ok(entries) = std::fs::read_dir(parent(dir)) else {
        return false;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((h, pid)) = name.strip_prefix(&prefix).and_then(|o| o.rsplit_once('-')) else {
            continue;
        };
        if gone(h, pid) && std::fs::rename(e.path(), dir).is_ok() {
            return true;
        }
    }
    false
}

/// Reserves `dir` for a run's results, before anything is simulated. Refuses a target that is
/// not a folder (see [`super::path::folder`]), the current folder or one above it, or a
/// non-empty folder that holds no run (unless `force`); removes the temporaries that dead
/// processes of this host left beside it.
pub fn reserve(dir: &Path, force: bool) -> Result<Reserved, ReportError> {
    reserve_for(dir, Holds::Run, force)
}

/// [`reserve`] for what `holds`.
pub fn reserve_for(dir: &Path, holds: Holds, force: bool) -> Result<Reserved, ReportError> {
    let shown = dir.display();
    // A link is followed to its folder (and kept); a file, device, socket or pipe is refused.
    let dir = &super::path::folder(dir)?;
    not_the_current_folder(dir, &shown)?;
    let parent = parent(dir);
    std::fs::create_dir_all(parent).doing(|| format!("creating {}", parent.display()))?;
    let lock = lock(dir)?;
    let unlock = |e: ReportError| {
        let _ = std::fs::remove_file(&lock);
        e
    };
    restore(dir);
    let ok = replaceable(dir, holds)
        .doing(|| format!("reading {shown}"))
        .map_err(unlock)?;
    if !ok && !force {
        let what = match holds {
            Holds::Run => "a run's folder",
            Holds::Report => "a report's folder",
        };
        return Err(unlock(invalid!(
            "{shown}: not empty and not {what} (no {}); choose another --out, or --force to replace it",
            holds.mark()
        )));
    }
    clean_stale(parent, Some(&base_name(dir)));
    let tmp = side(dir, "tmp");
    let made = (|| {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).doing(|| format!("removing {}", tmp.display()))?;
        }
        std::fs::create_dir(&tmp).doing(|| format!("creating a folder beside {shown}"))
    })();
    made.map_err(unlock)?;
    Ok(Reserved {
        dir: dir.to_path_buf(),
        tmp,
        lock,
        holds,
        force,
        done: false,
    })
}

impl Reserved {
    /// Writes `files` and their manifest into the temporary folder, then puts it in place of
    /// the target (a previous run there is replaced only now).
    pub fn commit(self, run_id: &str, files: &[(&str, Vec<u8>)]) -> Result<PathBuf, ReportError> {
        let m = manifest(run_id, files);
        self.commit_with(files, Some(&m))
    }

    /// Writes `files` (no manifest) into the temporary folder and puts it in place.
    pub fn commit_files(self, files: &[(&str, Vec<u8>)]) -> Result<PathBuf, ReportError> {
        self.commit_with(files, None)
    }

    fn commit_with(
        mut self,
        files: &[(&str, Vec<u8>)],
        manifest: Option<&[u8]>,
    ) -> Result<PathBuf, ReportError> {
        for (name, bytes) in files {
            let p = self.tmp.join(name);
            write_synced(&p, bytes).doing(|| format!("writing {}", p.display()))?;
        }
        if let Some(m) = manifest {
            let p = self.tmp.join(MANIFEST);
            write_synced(&p, m).doing(|| format!("writing {}", p.display()))?;
        }
        let shown = self.dir.display();
        let old = side(&self.dir, "old");
        let had = self.dir.exists();
        if had {
            // Checked again: the target may have changed while the run went on.
            if !replaceable(&self.dir, self.holds).doing(|| format!("reading {shown}"))?
                && !self.force
            {
                return Err(invalid!("{shown}: became a non-empty folder of something else while it was written; nothing replaced (--force replaces it)"));
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
        let _ = std::fs::remove_file(&self.lock);
    }
}

/// A folder of several runs in folders of their own: a sweep's (`kind` "sweep") or
/// `run --seeds`' ("seeds"). Known by its mark, `.gossipsim-<kind>`, written when it is made.
/// Refuses the current folder or one above it, a run's folder, and any other non-empty
/// folder without the mark (a folder of the other kind included) (unless `force`, which marks it); returns the
/// folder (a link followed).
pub fn container(dir: &Path, kind: &str, force: bool) -> Result<PathBuf, ReportError> {
    let shown = dir.display();
    let dir = super::path::folder(dir)?;
    not_the_current_folder(&dir, &shown)?;
    let mark = dir.join(format!(".gossipsim-{kind}"));
    if mark.is_file() {
        return Ok(dir);
    }
    if dir.join(Holds::Run.mark()).is_file() {
        return Err(invalid!(
            "{shown}: is a run's folder; the runs of a {kind} folder go into a folder of their own (choose another --out)"
        ));
    }
    let empty = !dir.exists()
        || std::fs::read_dir(&dir)
            .doing(|| format!("reading {shown}"))?
            .next()
            .is_none();
    if !empty && !force {
        return Err(invalid!(
            "{shown}: not empty and not a {kind} folder gossipsim made (no .gossipsim-{kind}); choose another --out{}",
            if kind == "seeds" { ", or --force to use it" } else { "" }
        ));
    }
    std::fs::create_dir_all(&dir).doing(|| format!("creating {shown}"))?;
    write_synced(&mark, kind.as_bytes()).doing(|| format!("writing {}", mark.display()))?;
    Ok(dir)
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
        if h == me && dead(pid) && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
