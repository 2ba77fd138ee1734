//! Where the program may write: one policy for every file and folder it writes.
//!
//! A file is written only as a regular file, through a temporary file in the same folder and
//! a rename, so that a reader never sees half of it. A path the user names may instead be
//! standard output (`-`, `/dev/stdout`) or a named pipe that a reader holds open: those are
//! written through, with no rename, since a stream is what the user asked for. A symbolic link
//! is followed to the file it names (the link itself is never replaced); a device node, a
//! socket or a folder where a file should go is refused by name. A rename over any of those
//! would replace them: run as root, `-o /dev/full` replaced the machine's `/dev/full`.

use super::{invalid, Doing, ReportError};
use std::fs::FileType;
use std::io::Write as _;
use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};

/// Where the bytes for a path go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// The process's standard output (`-`, `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`).
    Stdout,
    /// A named pipe, written through as it is.
    Pipe(PathBuf),
    /// A regular file, existing or not, at this path (links followed): replaced by a rename.
    File(PathBuf),
}

/// The names that mean standard output.
const STDOUT_NAMES: [&str; 4] = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/// What a file type is, in words, for a refusal; `None` for the types that may be written.
fn refused_kind(t: FileType) -> Option<&'static str> {
    if t.is_dir() {
        Some("a folder")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_file() || t.is_fifo() {
        None
    } else {
        Some("not a regular file")
    }
}

/// Follows `path` if it is a symbolic link (every link on the way), so that what is written
/// or replaced is the file it names, never the link; `None` where `path` does not exist.
fn resolve_link(path: &Path) -> Result<Option<(PathBuf, std::fs::Metadata)>, ReportError> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        // A path under a file: creating it is what fails, and says so.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e).doing(|| format!("{shown}: cannot be read")),
    };
    if !meta.file_type().is_symlink() {
        return Ok(Some((path.to_path_buf(), meta)));
    }
    let target = std::fs::canonicalize(path).map_err(|e| {
        invalid!("{shown}: is a symbolic link to nothing that can be written ({e}); give the file itself")
    })?;
    let meta = std::fs::metadata(&target).doing(|| format!("{shown}: cannot be read"))?;
    Ok(Some((target, meta)))
}

/// Where a file written at `path` goes, or a one-line refusal naming the path and what it is.
pub fn dest(path: &Path) -> Result<Dest, ReportError> {
    if path.to_str().is_some_and(|p| STDOUT_NAMES.contains(&p)) {
        return Ok(Dest::Stdout);
    }
    let shown = path.display();
    let Some((target, meta)) = resolve_link(path)? else {
        return Ok(Dest::File(path.to_path_buf()));
    };
    if let Some(kind) = refused_kind(meta.file_type()) {
        let via = if target == path {
            String::new()
        } else {
            format!(" (through a link to {})", target.display())
        };
        return Err(invalid!(
            "{shown}: is {kind}{via}; gossipsim writes only regular files (or `-` for standard output)"
        ));
    }
    if meta.file_type().is_fifo() {
        return Ok(Dest::Pipe(target));
    }
    Ok(Dest::File(target))
}

/// Writes `bytes` to the file at `path` under the policy of [`dest`]: a regular file through
/// a temporary file in its folder and a rename; standard output or a named pipe written
/// through. Every error names the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let shown = path.display();
    match dest(path)? {
        Dest::Stdout => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)
                .and_then(|()| o.flush())
                .doing(|| "writing to standard output".to_string())
        }
        Dest::Pipe(p) => std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .and_then(|mut f| f.write_all(bytes))
            .doing(|| format!("writing {shown}")),
        Dest::File(p) => replace(path, &p, bytes),
    }
}

/// Writes `bytes` to a temporary file beside `target` and renames it over `target`, checking
/// again just before the rename that `target` is still a regular file or absent.
fn replace(asked: &Path, target: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let shown = asked.display();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target.file_name().and_then(|s| s.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })()
    .doing(|| format!("writing {shown}"))
    .and_then(|()| {
        // The target may have changed while the bytes were written.
        match std::fs::symlink_metadata(target) {
            Ok(m) if !m.file_type().is_file() => Err(invalid!(
                "{shown}: became {} while it was written; nothing replaced",
                refused_kind(m.file_type()).unwrap_or("a link or a pipe")
            )),
            _ => std::fs::rename(&tmp, target).doing(|| format!("writing {shown}")),
        }
    });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// The folder that results for `dir` go into: `dir` itself, or where a symbolic link `dir`
/// leads (the link is kept, its target filled). A path that is something other than a folder
/// (a file, a device, a socket, a pipe, a link to nothing) is refused naming what it is.
pub fn folder(dir: &Path) -> Result<PathBuf, ReportError> {
    let shown = dir.display();
    let Some((target, meta)) = resolve_link(dir)? else {
        return Ok(dir.to_path_buf());
    };
    let t = meta.file_type();
    if t.is_dir() {
        return Ok(target);
    }
    let kind = if t.is_file() {
        "a file"
    } else if t.is_fifo() {
        "a named pipe"
    } else {
        refused_kind(t).unwrap_or("not a folder")
    };
    Err(invalid!("{shown}: is {kind}, not a folder for results"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_of_destination() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        assert_eq!(dest(Path::new("-")).unwrap(), Dest::Stdout);
        assert_eq!(dest(Path::new("/dev/stdout")).unwrap(), Dest::Stdout);
        let f = p.join("a.csv");
        assert_eq!(dest(&f).unwrap(), Dest::File(f.clone()));
        std::fs::write(&f, "x").unwrap();
        assert_eq!(dest(&f).unwrap(), Dest::File(f.clone()));
        let link = p.join("link.csv");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let real = f.canonicalize().unwrap();
        assert_eq!(dest(&link).unwrap(), Dest::File(real.clone()));
        write_file(&link, b"y").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"y");
        let e = dest(p).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        let e = dest(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(e.contains("character device"), "{e}");
        let dangling = p.join("dangling");
        std::os::unix::fs::symlink(p.join("nowhere/x"), &dangling).unwrap();
        let e = dest(&dangling).unwrap_err().to_string();
        assert!(e.contains("symbolic link to nothing"), "{e}");
        assert_eq!(folder(&p.join("new")).unwrap(), p.join("new"));
        let e = folder(&f).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
    }
}
