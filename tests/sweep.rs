//! `gossipsim sweep` end to end, through the binary: the tables are the same bytes whatever
//! the jobs, threads and working folder, and whether the runs went through `--task` +
//! `--collect` or one local sweep; a resumed sweep skips complete runs and reruns those of
//! another scenario; the rows are in point and seed order with the point's values; bad
//! sweep files are one line and create nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gossipsim");

/// A 2 × 2 × 2-seed sweep of the smoke scenario cut to 60-90 nodes and 5 s (D_out moving
/// with D).
fn sweep_file(dir: &Path) -> PathBuf {
    let smoke = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml");
    let p = dir.join("small.toml");
    std::fs::write(
        &p,
        format!(
            "[sweep]\nname = \"small\"\nbase = \"{smoke}\"\nseeds = [3, 1]\nset = {{ \"time.warmup\" = \"5s\", \"time.duration\" = \"5s\" }}\n\n[sweep.axes]\n\"gossipsub.mesh_n\" = [6, 7]\nnodes = [60, 90]\n\n[sweep.with.\"gossipsub.mesh_n\"]\n\"gossipsub.mesh_outbound_min\" = [3, 2]\n"
        ),
    )
    .unwrap();
    p
}

fn gossipsim(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gossipsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tables(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("sweep.csv")).unwrap(),
        std::fs::read(dir.join("sweep-stats.csv")).unwrap(),
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn sweep_tables_do_not_depend_on_how_or_where_the_runs_went() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let f = file.to_str().unwrap();
    let a = tmp.path().join("a");
    gossipsim(
        tmp.path(),
        &["sweep", f, "--out", "a", "--jobs", "1", "--threads", "1"],
    );
    let other = tmp.path().join("elsewhere");
    std::fs::create_dir(&other).unwrap();
    let b = tmp.path().join("b");
    gossipsim(
        &other,
        &[
            "sweep",
            f,
            "--out",
            b.to_str().unwrap(),
            "--jobs",
            "2",
            "--threads",
            "2",
        ],
    );
    assert_eq!(
        tables(&a),
        tables(&b),
        "jobs, threads and folder change nothing"
    );

    // The cluster's way: every task alone (in reverse order), then --collect.
    let c = tmp.path().join("c");
    let cs = c.to_str().unwrap();
    let first = gossipsim(tmp.path(), &["sweep", f, "--out", cs, "--collect"]);
    assert!(
        stdout(&first).contains("missing    8 task(s)"),
        "{}",
        stdout(&first)
    );
    for i in (0..8).rev() {
        gossipsim(
            tmp.path(),
            &["sweep", f, "--out", cs, "--task", &i.to_string()],
        );
    }
    let done = gossipsim(tmp.path(), &["sweep", f, "--out", cs, "--collect"]);
    assert!(
        stdout(&done).contains("collected  8 of 8"),
        "{}",
        stdout(&done)
    );
    assert!(!stdout(&done).contains("missing"), "{}", stdout(&done));
    assert_eq!(tables(&a), tables(&c), "--task + --collect = a local sweep");

    // Rows: point-major in the file's seed order, with the values each point set.
    let text = String::from_utf8(tables(&a).0).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][..7],
        [
            "point",
            "gossipsub.mesh_n",
            "gossipsub.mesh_outbound_min",
            "nodes",
            "seed",
            "run_id",
            "summary.nodes"
        ]
    );
    let keys: Vec<String> = rows[1..].iter().map(|r| r[..5].join(" ")).collect();
    assert_eq!(
        keys,
        [
            "0 6 3 60 3",
            "0 6 3 60 1",
            "1 6 3 90 3",
            "1 6 3 90 1",
            "2 7 2 60 3",
            "2 7 2 60 1",
            "3 7 2 90 3",
            "3 7 2 90 1"
        ]
    );
    assert!(
        rows[1..].iter().all(|r| r[3] == r[6]),
        "nodes set = nodes run"
    );
    let ids: std::collections::BTreeSet<&str> = rows[1..].iter().map(|r| r[5]).collect();
    assert_eq!(ids.len(), 8, "every run its own run id");

    // Stats: one row per point × metric, over both seeds.
    let stats = String::from_utf8(tables(&a).1).unwrap();
    let messages: Vec<&str> = stats
        .lines()
        .filter(|l| l.split(',').nth(4) == Some("messages_measured"))
        .collect();
    assert_eq!(messages.len(), 4, "{stats}");
    assert!(messages.iter().all(|l| l.split(',').nth(5) == Some("2")));
}

#[test]
fn a_resumed_sweep_runs_only_what_is_missing_or_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let f = file.to_str().unwrap();
    let out = tmp.path().join("r");
    let o = out.to_str().unwrap();
    gossipsim(tmp.path(), &["sweep", f, "--out", o]);
    let before = tables(&out);
    let again = gossipsim(tmp.path(), &["sweep", f, "--out", o]);
    assert!(
        stdout(&again).contains("0 ran, 8 already complete, 0 failed"),
        "{}",
        stdout(&again)
    );
    // A run cut short (a file gone) and a temporary a killed process left are put right.
    std::fs::remove_file(out.join("p01/seed-3/mesh.csv")).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let stale = out.join(format!("p01/.seed-3.tmp-{}-4000000", host.trim()));
    std::fs::create_dir(&stale).unwrap();
    let fixed = gossipsim(tmp.path(), &["sweep", f, "--out", o]);
    assert!(
        stdout(&fixed).contains("1 ran, 7 already complete"),
        "{}",
        stdout(&fixed)
    );
    assert!(!stale.exists(), "the dead process's temporary is removed");
    assert_eq!(tables(&out), before);
    // Another scenario for every point: every run again, and other numbers.
    let changed = gossipsim(
        tmp.path(),
        &["sweep", f, "--out", o, "--set", "time.duration=\"6s\""],
    );
    assert!(
        stdout(&changed).contains("8 ran, 0 already complete"),
        "{}",
        stdout(&changed)
    );
    assert_ne!(tables(&out).0, before.0);
    let left: Vec<String> = std::fs::read_dir(out.join("p01"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "only the two seed folders: {left:?}");
}

#[test]
fn bad_sweeps_are_one_line_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path());
    let good = std::fs::read_to_string(&file).unwrap();
    let cases = [
        // A point the scenario refuses: the axis's line, the point, its values, the reason.
        (
            good.replace("[6, 7]", "[6, 9]"),
            vec![],
            "small.toml:8: point 2 (gossipsub.mesh_n=9, gossipsub.mesh_outbound_min=2, nodes=60)",
        ),
        (
            good.replace("seeds = [3, 1]", "seeds = [3, 3]"),
            vec![],
            "names a seed twice",
        ),
        (
            good.replace("base = \"", "base = \"/nonexistent"),
            vec![],
            "cannot read scenario",
        ),
        (
            good.clone(),
            vec!["--set", "nodes=70"],
            "--set nodes=70: sets what the axis key \"nodes\" of this sweep sets",
        ),
        // One key in other spellings, or a table beside a key in it (issue 32, item 3).
        (
            good.clone(),
            vec!["--set", "gossipsub={ mesh_n = 8 }"],
            "sets what the axis key \"gossipsub.mesh_n\"",
        ),
        (
            good.replace("nodes = [60, 90]", "nodes = [60, 90]\n\"traffic[0].size\" = [\"1KB\"]\n\"traffic[00].size\" = [\"2KB\"]"),
            vec![],
            "keys \"traffic[0].size\" and \"traffic[00].size\" set one value",
        ),
        (
            good.replace("nodes = [60, 90]", "nodes = [60, 90]\ngossipsub = [{ mesh_n = 8 }]"),
            vec![],
            "keys \"gossipsub.mesh_n\" and \"gossipsub\" set one value",
        ),
        (
            good.replace("\"time.duration\" = \"5s\"", "\"time.duration\" = \"5s\", \"gossipsub\" = { mesh_n = 8 }"),
            vec![],
            "sweep.set.\"gossipsub\": sets what the axis key \"gossipsub.mesh_n\" sets",
        ),
        (
            good.clone(),
            vec!["--task", "8"],
            "--task 8: the sweep has 8 task(s)",
        ),
        (
            good.replace("[sweep.axes]", "[sweep.axis]"),
            vec![],
            "sweep.axis: unknown key",
        ),
    ];
    for (src, extra, words) in cases {
        std::fs::write(&file, &src).unwrap();
        let mut args = vec!["sweep", file.to_str().unwrap(), "--out", "x"];
        args.extend(extra);
        let out = Command::new(BIN)
            .current_dir(tmp.path())
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(words),
            "{args:?}: {err:?} should say {words:?}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
        assert!(!tmp.path().join("x").exists(), "{args:?}: nothing created");
    }
    // A sweep file given where a scenario is expected says what it is.
    let out = Command::new(BIN)
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("this is a sweep file"), "{err}");
}
