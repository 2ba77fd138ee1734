//! One output-path policy for every file the program writes (issue 32, item 1): only regular
//! files are replaced (through a temporary file and a rename); `-` and a named pipe are
//! written through; a symbolic link is followed, never replaced; a device node, a socket or a
//! folder where a file should go is refused in one line naming it. Every special file is made
//! by the test in its own temporary folder.

use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;
use std::process::{Command, Output};

const TINY: &str = r#"nodes = 30
seed = 3
[time]
duration = "10s"
[gossipsub]
preset = "nwaku"
[topology]
kind = "random_dial"
outbound = 4
max_connections = 20
[[traffic]]
class = "chat"
rate = "60/hour"
size = "1000B"
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gossipsim"))
}

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().unwrap()
}

fn refused(o: &Output, words: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(words), "{words:?} not in {stderr}");
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn mkfifo(p: &Path) {
    let s = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(s.success(), "mkfifo {}", p.display());
}

/// Runs gossipsim with `args` while a thread reads `fifo`; returns its output and what was
/// read. Should gossipsim never open the pipe (it failed, or wrote elsewhere), the pipe is
/// opened and closed here, so that the reader sees its end and the test fails instead of
/// waiting for ever; non-blocking, so that it does nothing once the reader is gone.
fn through_pipe(d: &Path, fifo: &Path, args: &[&str]) -> (Output, String) {
    use std::os::unix::fs::OpenOptionsExt as _;
    /// Linux's O_NONBLOCK (no libc crate here).
    const O_NONBLOCK: i32 = 0o4000;
    let reader = {
        let fifo = fifo.to_path_buf();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = run_in(d, args);
    drop(
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(fifo),
    );
    (o, reader.join().unwrap())
}

fn is_fifo(p: &Path) -> bool {
    std::fs::symlink_metadata(p).unwrap().file_type().is_fifo()
}

/// A character device node like /dev/full (1, 7), made in `dir` where this process may
/// (root, or CAP_MKNOD); `None` elsewhere.
fn full_device(dir: &Path) -> Option<std::path::PathBuf> {
    let p = dir.join("full");
    let made = Command::new("mknod")
        .arg(&p)
        .args(["c", "1", "7"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    made.then_some(p)
}

#[test]
fn topology_out_writes_regular_files_streams_and_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    let plain = run_in(d, &["topology", "tiny.toml"]);
    let csv = ok(&plain);
    assert!(csv.starts_with("dialer,listener\n"));

    // `-` and /dev/stdout are standard output.
    assert_eq!(ok(&run_in(d, &["topology", "tiny.toml", "-o", "-"])), csv);
    assert_eq!(
        ok(&run_in(d, &["topology", "tiny.toml", "-o", "/dev/stdout"])),
        csv
    );

    // A named pipe is written through, and stays a pipe.
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    let (o, read) = through_pipe(d, &fifo, &["topology", "tiny.toml", "-o", "pipe"]);
    ok(&o);
    assert_eq!(read, csv);
    assert!(is_fifo(&fifo), "the pipe was replaced");

    // A link is followed: the file it names gets the bytes, the link stays a link.
    std::fs::create_dir(d.join("real")).unwrap();
    std::fs::write(d.join("real/edges.csv"), "old").unwrap();
    std::os::unix::fs::symlink("real/edges.csv", d.join("link.csv")).unwrap();
    ok(&run_in(d, &["topology", "tiny.toml", "-o", "link.csv"]));
    assert!(std::fs::symlink_metadata(d.join("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(d.join("real/edges.csv")).unwrap(),
        csv
    );
    // A link to nothing is refused.
    std::os::unix::fs::symlink("gone/edges.csv", d.join("dangling.csv")).unwrap();
    refused(
        &run_in(d, &["topology", "tiny.toml", "-o", "dangling.csv"]),
        "dangling.csv: is a symbolic link to nothing",
    );
    // Folders, sockets and devices (also behind a link) are refused by name and left alone.
    refused(
        &run_in(d, &["topology", "tiny.toml", "-o", "real"]),
        "real: is a folder",
    );
    let _sock = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
    refused(
        &run_in(d, &["topology", "tiny.toml", "-o", "sock"]),
        "sock: is a socket",
    );
    std::os::unix::fs::symlink("/dev/null", d.join("null-link")).unwrap();
    refused(
        &run_in(d, &["topology", "tiny.toml", "-o", "null-link"]),
        "null-link: is a character device (through a link to /dev/null)",
    );
    if let Some(full) = full_device(d) {
        refused(
            &run_in(d, &["topology", "tiny.toml", "-o", "full"]),
            "full: is a character device",
        );
        assert!(std::fs::symlink_metadata(&full)
            .unwrap()
            .file_type()
            .is_char_device());
    } else {
        eprintln!("note: mknod is not permitted here; the device-node case ran through /dev/null's link only");
    }
    let mut left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    left.sort();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn run_compare_and_check_follow_the_same_policy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();

    // A link to a folder: the results go into its target, the link stays.
    std::fs::create_dir(d.join("store")).unwrap();
    std::os::unix::fs::symlink("store", d.join("r")).unwrap();
    ok(&run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"]));
    assert!(std::fs::symlink_metadata(d.join("r"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(d.join("store/summary.csv").is_file());
    // Again, replacing the previous run behind the link.
    ok(&run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"]));
    assert!(std::fs::symlink_metadata(d.join("r"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(d.join("store/manifest.csv").is_file());

    // A pipe or a socket as a run's folder is refused by name.
    mkfifo(&d.join("pipe"));
    refused(
        &run_in(d, &["run", "tiny.toml", "--out", "pipe", "--quiet"]),
        "pipe: is a named pipe, not a folder for results",
    );
    assert!(is_fifo(&d.join("pipe")));

    // compare.csv that is a link to a device: refused, the device untouched.
    std::os::unix::fs::symlink("/dev/null", d.join("store/compare.csv")).unwrap();
    refused(&run_in(d, &["compare", "r"]), "is a character device");

    // check --update: a link to a baseline updates the file it names; a pipe is written
    // through (it is no baseline to read, so the pins start from --add).
    std::fs::create_dir(d.join("pins")).unwrap();
    std::os::unix::fs::symlink("pins/base.csv", d.join("base.csv")).unwrap();
    ok(&run_in(
        d,
        &["check", "pins/base.csv", "--update", "--add", "tiny.toml"],
    ));
    std::fs::write(
        d.join("pins/base.csv"),
        std::fs::read_to_string(d.join("pins/base.csv"))
            .unwrap()
            .replace(",3,", ",4,"),
    )
    .unwrap();
    ok(&run_in(
        d,
        &["check", "base.csv", "--update", "--add", "tiny.toml"],
    ));
    let pinned = std::fs::read_to_string(d.join("pins/base.csv")).unwrap();
    // The rerun through the link pinned seed 4 (read from the file) beside seed 3 (--add).
    assert!(
        pinned.contains("tiny.toml,3,") && pinned.contains("tiny.toml,4,"),
        "{pinned}"
    );
    assert!(std::fs::symlink_metadata(d.join("base.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    let fifo = d.join("base-pipe");
    mkfifo(&fifo);
    let (o, through) = through_pipe(
        d,
        &fifo,
        &["check", "base-pipe", "--update", "--add", "tiny.toml"],
    );
    ok(&o);
    assert!(
        through.contains("tiny.toml,3,") && !through.contains("tiny.toml,4,"),
        "{through}"
    );
    assert!(is_fifo(&fifo));
}
