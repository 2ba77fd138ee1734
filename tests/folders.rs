//! Result folders are all or nothing: a run appears whole (with a manifest) or not at all,
//! replaces only a previous run's folder (or anything, with --force), leaves the previous
//! results in place until it is complete, refuses a bad location before simulating, and
//! `compare` and `report` read only a folder its manifest vouches for.

use gossipsim::output::folder::{host, MANIFEST};
use gossipsim::output::RESULT_FILES;
use std::path::Path;
use std::process::{Command, Output};

const TINY: &str = r#"nodes = 40
seed = 1
[time]
duration = "20s"
[gossipsub]
preset = "nwaku"
[topology]
kind = "random_dial"
outbound = 5
max_connections = 20
[[traffic]]
class = "chat"
rate = "20/hour"
size = "2000B"
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gossipsim"))
}

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().unwrap()
}

fn one_line_error(o: &Output, words: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(words), "{words:?} not in {stderr}");
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_run_folder_holds_its_files_and_a_manifest_and_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    let o = run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut want: Vec<String> = RESULT_FILES.iter().map(ToString::to_string).collect();
    want.push(MANIFEST.into());
    want.sort();
    assert_eq!(names(&d.join("r")), want);
    let manifest = std::fs::read_to_string(d.join("r").join(MANIFEST)).unwrap();
    assert_eq!(manifest.lines().count(), RESULT_FILES.len() + 1);
    assert!(manifest.starts_with("run_id,file,bytes,sha256\n"));
    // compare adds its file; a rerun replaces the whole folder, so it is gone again, and the
    // new folder is the same bytes as the first.
    let o = run_in(d, &["compare", "r"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(d.join("r/compare.csv").is_file());
    let o = run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"]);
    assert!(o.status.success());
    assert_eq!(
        names(&d.join("r")),
        want,
        "no foreign file survives a rerun"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("r").join(MANIFEST)).unwrap(),
        manifest
    );
    assert_eq!(names(d), ["r", "tiny.toml"], "no temporary left beside it");
}

#[test]
fn a_bad_location_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::create_dir(d.join("mine")).unwrap();
    std::fs::write(d.join("mine/notes.txt"), "keep me").unwrap();
    std::fs::write(d.join("afile"), "x").unwrap();
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "mine", "--quiet"]),
        "mine: not empty and not a run's folder",
    );
    assert_eq!(
        std::fs::read_to_string(d.join("mine/notes.txt")).unwrap(),
        "keep me"
    );
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "afile", "--quiet"]),
        "afile: is a file",
    );
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "afile/sub", "--quiet"]),
        "creating afile",
    );
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", ".", "--quiet"]),
        "is the current folder",
    );
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "..", "--quiet"]),
        "is the current folder or one above it",
    );
    // --seeds reserves every seed's folder first: a blocked one stops all before any runs.
    std::fs::create_dir_all(d.join("many/seed-2")).unwrap();
    std::fs::write(d.join("many/seed-2/x"), "x").unwrap();
    std::fs::write(d.join("many/.gossipsim-seeds"), "seeds").unwrap();
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "many", "--seeds", "1..3"]),
        "seed-2: not empty",
    );
    assert_eq!(names(&d.join("many")), [".gossipsim-seeds", "seed-2"]);
    // --force replaces a foreign folder.
    let o = run_in(
        d,
        &["run", "tiny.toml", "--out", "mine", "--quiet", "--force"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!d.join("mine/notes.txt").exists());
    assert!(d.join("mine").join(MANIFEST).is_file());
}

#[test]
fn compare_and_report_refuse_a_folder_its_manifest_does_not_vouch_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    let mesh = std::fs::read(d.join("r/mesh.csv")).unwrap();
    let mut changed = mesh.clone();
    let last = changed.len() - 2;
    changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
    std::fs::write(d.join("r/mesh.csv"), &changed).unwrap();
    for cmd in ["compare", "report"] {
        one_line_error(
            &run_in(d, &[cmd, "r"]),
            "mesh.csv is not the file the run wrote",
        );
    }
    std::fs::write(d.join("r/mesh.csv"), &mesh).unwrap();
    assert!(run_in(d, &["compare", "r"]).status.success());
    std::fs::remove_file(d.join("r/latency.csv")).unwrap();
    one_line_error(&run_in(d, &["compare", "r"]), "latency.csv is listed");
    std::fs::remove_file(d.join("r").join(MANIFEST)).unwrap();
    for cmd in ["compare", "report"] {
        one_line_error(&run_in(d, &[cmd, "r"]), "no manifest.csv");
    }
}

#[test]
fn a_killed_run_keeps_the_previous_results_and_its_temporary_goes_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("long.toml"),
        TINY.replace("duration = \"20s\"", "duration = \"5h\""),
    )
    .unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    let before = std::fs::read(d.join("r").join(MANIFEST)).unwrap();
    let mut child = bin()
        .current_dir(d)
        .args(["run", "long.toml", "--out", "r", "--quiet"])
        .spawn()
        .unwrap();
    let tmp = format!(".r.tmp-{}-{}", host(), child.id());
    // The temporary folder exists once the location is reserved, before simulating.
    for _ in 0..600 {
        if d.join(&tmp).is_dir() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(d.join(&tmp).is_dir(), "{tmp} reserved");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read(d.join("r").join(MANIFEST)).unwrap(), before);
    assert!(run_in(d, &["compare", "r"]).status.success());
    // Another process's temporary (alive: this test's) stays; the dead one goes.
    let alive = format!(".r.tmp-{}-{}", host(), std::process::id());
    std::fs::create_dir(d.join(&alive)).unwrap();
    let other_host = format!(".r.tmp-elsewhere-{}", child.id());
    std::fs::create_dir(d.join(&other_host)).unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    assert!(
        !d.join(&tmp).exists(),
        "the killed run's temporary is removed"
    );
    assert!(d.join(&alive).exists() && d.join(&other_host).exists());
}

/// A commit killed between its two renames left the previous folder set aside and no
/// folder in place; the next reservation puts the previous one back (issue 32, item 4).
#[test]
fn a_commit_killed_between_its_renames_leaves_the_previous_result_recoverable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    let before = std::fs::read(d.join("r").join(MANIFEST)).unwrap();
    // As a process (now gone) left it: the previous set aside, its new one not yet in place.
    let dead = dead_pid();
    let old = d.join(format!(".r.old-{}-{dead}", host()));
    std::fs::rename(d.join("r"), &old).unwrap();
    std::fs::create_dir(d.join(format!(".r.tmp-{}-{dead}", host()))).unwrap();
    // A reservation given up (a run refused after reserving) leaves the previous in place.
    drop(gossipsim::output::folder::reserve(&d.join("r"), false).unwrap());
    assert_eq!(std::fs::read(d.join("r").join(MANIFEST)).unwrap(), before);
    assert!(!old.exists());
    assert!(run_in(d, &["compare", "r"]).status.success());
    assert_eq!(names(d), ["r", "tiny.toml"], "no litter, no lock left");
}

/// A pid that no process of this host has now.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Two writers of one folder: the second is refused naming the first, while it holds the
/// folder's lock; a lock left by a process that is gone is taken over (item 4).
#[test]
fn a_second_writer_of_a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    let me = format!("{} {}", host(), std::process::id());
    std::fs::write(d.join(".r.lock"), &me).unwrap();
    one_line_error(
        &run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"]),
        &format!("r: another gossipsim (pid {}", std::process::id()),
    );
    assert!(!d.join("r").exists());
    std::fs::write(d.join(".r.lock"), format!("{} {}", host(), dead_pid())).unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    assert!(!d.join(".r.lock").exists(), "released after the commit");
}

/// Folders of several runs follow the single run's rules (item 4): `sweep --out` and
/// `run --seeds --out` refuse the current folder, a run's folder and a folder of a user's
/// files; reports are written whole into a folder of their own.
#[test]
fn sweeps_seeds_and_reports_follow_the_run_folder_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("s.toml"),
        "[sweep]\nbase = \"tiny.toml\"\nset = { \"time.duration\" = \"5s\" }\n[sweep.axes]\nnodes = [30, 40]\n",
    )
    .unwrap();
    assert!(run_in(d, &["run", "tiny.toml", "--out", "r", "--quiet"])
        .status
        .success());
    std::fs::create_dir(d.join("mine")).unwrap();
    std::fs::write(d.join("mine/notes.txt"), "keep me").unwrap();
    for (args, words) in [
        (
            vec!["sweep", "s.toml", "--out", "r", "--quiet"],
            "r: is a run's folder",
        ),
        (
            vec!["sweep", "s.toml", "--out", ".", "--quiet"],
            "is the current folder",
        ),
        (
            vec!["sweep", "s.toml", "--out", "mine", "--quiet"],
            "mine: not empty and not a sweep folder",
        ),
        (
            vec![
                "run",
                "tiny.toml",
                "--seeds",
                "1..2",
                "--out",
                "mine",
                "--quiet",
            ],
            "mine: not empty and not a seeds folder",
        ),
        (
            vec![
                "run",
                "tiny.toml",
                "--seeds",
                "1..2",
                "--out",
                "r",
                "--quiet",
            ],
            "r: is a run's folder",
        ),
        (
            vec![
                "run",
                "tiny.toml",
                "--seeds",
                "1..2",
                "--out",
                ".",
                "--quiet",
            ],
            "is the current folder",
        ),
        (
            vec!["report", "r", "--out", "mine"],
            "mine: not empty and not a report's folder",
        ),
    ] {
        one_line_error(&run_in(d, &args), words);
    }
    assert_eq!(names(&d.join("mine")), ["notes.txt"]);
    assert!(d.join("r/summary.csv").is_file() && !d.join("r/sweep.csv").exists());
    // Where they may go: a fresh folder, then the same folder again.
    for _ in 0..2 {
        let o = run_in(
            d,
            &[
                "run",
                "tiny.toml",
                "--seeds",
                "1..2",
                "--out",
                "many",
                "--quiet",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(
        names(&d.join("many")),
        [".gossipsim-seeds", "seed-1", "seed-2"]
    );
    // A report replaces the previous one whole; a dead writer's temporary goes.
    assert!(run_in(d, &["report", "r"]).status.success());
    std::fs::write(d.join("r/report/stray.png"), "old").unwrap();
    let stale = d.join(format!("r/.report.tmp-{}-{}", host(), dead_pid()));
    std::fs::create_dir(&stale).unwrap();
    let o = run_in(d, &["report", "r"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!d.join("r/report/stray.png").exists(), "replaced whole");
    assert!(d.join("r/report/report.html").is_file());
    assert!(!stale.exists(), "the dead report's temporary is removed");
}
