//! Bad input of every kind: each exits with one clear message naming the TOML key path (and
//! line), never a panic, and leaves nothing in the output directory.

use gossipsim::scenario::{parse_str, ScenarioError};
use gossipsim::TopicId;
use std::path::Path;
use std::process::Command;

const BASE: &str = r#"nodes = 100
seed = 1
[time]
duration = "30s"
[gossipsub]
preset = "nwaku"
[topology]
kind = "random_dial"
outbound = 5
max_connections = 20
[[traffic]]
class = "chat"
rate = "5/hour"
size = "2000B"
"#;

fn err(src: &str) -> ScenarioError {
    parse_str(
        src,
        "s.toml",
        "s",
        Some(Path::new(env!("CARGO_MANIFEST_DIR"))),
    )
    .expect_err("must be refused")
}

fn check(src: &str, path: &str, line: Option<usize>, words: &str) {
    let e = err(src);
    let text = e.to_string();
    assert_eq!(e.path, path, "{text}");
    assert_eq!(e.line, line, "{text}");
    assert!(
        text.to_lowercase().contains(&words.to_lowercase()),
        "{text:?} should mention {words:?}"
    );
    assert!(!text.contains('\n'), "one line: {text:?}");
    assert!(text.starts_with("s.toml"), "names the file: {text}");
}

#[test]
fn base_is_valid() {
    parse_str(BASE, "s.toml", "s", None).unwrap();
}

#[test]
fn unknown_key() {
    check(
        &BASE.replace("preset = \"nwaku\"", "preset = \"nwaku\"\nmesh_nn = 5"),
        "gossipsub.mesh_nn",
        Some(7),
        "unknown field `mesh_nn`",
    );
    check(
        &format!("colour = 3\n{BASE}"),
        "colour",
        Some(1),
        "unknown field `colour`",
    );
}

#[test]
fn wrong_type() {
    check(
        &BASE.replace("nodes = 100", "nodes = \"many\""),
        "nodes",
        Some(1),
        "invalid type",
    );
    check(
        &BASE.replace("outbound = 5", "outbound = 5.5"),
        "topology.outbound",
        Some(9),
        "invalid type",
    );
}

#[test]
fn bad_unit() {
    check(
        &BASE.replace("duration = \"30s\"", "duration = \"30 parsecs\""),
        "time.duration",
        Some(4),
        "invalid duration",
    );
    check(
        &BASE.replace("size = \"2000B\"", "size = \"2000 bytes\""),
        "traffic[0].size",
        Some(14),
        "invalid size",
    );
    check(
        &BASE.replace("rate = \"5/hour\"", "rate = \"5 per hour\""),
        "traffic[0].rate",
        Some(13),
        "invalid rate",
    );
    check(
        &format!("{BASE}[[node_class]]\nupload = \"fast\"\n"),
        "node_class[0].upload",
        Some(16),
        "invalid bandwidth",
    );
}

#[test]
fn inconsistent_gossipsub_parameters() {
    check(
        &BASE.replace("preset = \"nwaku\"", "preset = \"nwaku\"\nmesh_n_low = 7"),
        "gossipsub.mesh_n",
        Some(5),
        "mesh_n_low <= mesh_n",
    );
    check(
        &BASE.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nmesh_outbound_min = 4",
        ),
        "gossipsub.mesh_outbound_min",
        Some(7),
        "mesh_outbound_min",
    );
    check(
        &BASE.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nhistory_gossip = 9",
        ),
        "gossipsub.history_gossip",
        Some(7),
        "history_length",
    );
    check(
        &BASE.replace("preset = \"nwaku\"", "preset = \"lighthouse\""),
        "gossipsub.preset",
        Some(6),
        "unknown preset",
    );
}

#[test]
fn impossible_topology() {
    let regular = BASE.replace(
        "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
        "kind = \"static_mesh\"\ndegree = 3",
    );
    check(
        &regular.replace("nodes = 100", "nodes = 101"),
        "topology.degree",
        Some(9),
        "odd",
    );
    check(
        &regular.replace("degree = 3", "degree = 100"),
        "topology.degree",
        Some(9),
        "between 1 and nodes - 1",
    );
    check(
        &BASE.replace("outbound = 5", "outbound = 100"),
        "topology.outbound",
        Some(9),
        "between 1 and nodes - 1",
    );
    check(
        &BASE.replace("max_connections = 20", "max_connections = 6"),
        "topology.max_connections",
        Some(10),
        "2 × outbound",
    );
    check(
        &regular.replace("degree = 3", "degree = 4\noutbound = 2"),
        "topology.outbound",
        Some(10),
        "not used",
    );
}

#[test]
fn empty_publisher_set() {
    check(
        &format!("{BASE}publishers = {{ fraction = 0.001 }}\n"),
        "traffic[0].publishers.fraction",
        Some(15),
        "selects no node",
    );
    check(
        &format!("{BASE}publishers = {{ class = \"fleet\" }}\n"),
        "traffic[0].publishers.class",
        Some(15),
        "no node class \"fleet\"",
    );
    let classes = format!("{BASE}publishers = {{ class = \"fleet\" }}\n[[node_class]]\nname = \"desktop\"\nshare = 1000\n[[node_class]]\nname = \"fleet\"\nshare = 0.001\n");
    check(
        &classes,
        "traffic[0].publishers.class",
        Some(15),
        "has no nodes",
    );
}

#[test]
fn missing_or_malformed_data_file() {
    let regions = |file: &str| {
        BASE.replace(
            "[[traffic]]",
            &format!("[latency]\nkind = \"regions\"\nfile = \"{file}\"\n[[traffic]]"),
        )
    };
    check(
        &regions("models/latency/nope.csv"),
        "latency.file",
        Some(13),
        "file not found",
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "region,a,b\na,1,2\nb,3,fast\n").unwrap();
    check(
        &regions(bad.to_str().unwrap()),
        "latency.file",
        Some(13),
        "bad.csv:3: column b: \"fast\" is not a number",
    );
    std::fs::write(&bad, "size_bytes,weight\n100,1\nlots,2\n").unwrap();
    let sizes = BASE.replace(
        "size = \"2000B\"",
        &format!(
            "size = {{ dist = \"empirical\", file = \"{}\" }}",
            bad.display()
        ),
    );
    check(
        &sizes,
        "traffic[0].size.file",
        Some(14),
        "bad.csv:3: size_bytes",
    );
    check(
        &regions("models/latency/aws-regions-rtt.csv")
            .replace("file =", "weights = { mars = 1.0 }\nfile ="),
        "latency.weights.mars",
        Some(13),
        "no region \"mars\"",
    );
}

#[test]
fn zero_or_negative_durations() {
    check(
        &BASE.replace("duration = \"30s\"", "duration = \"0s\""),
        "time.duration",
        Some(4),
        "greater than zero",
    );
    check(
        &BASE.replace("duration = \"30s\"", "duration = \"-5s\""),
        "time.duration",
        Some(4),
        "invalid duration",
    );
    check(
        &BASE.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nheartbeat_interval = \"0ms\"",
        ),
        "gossipsub.heartbeat_interval",
        Some(7),
        "must be at least 10ms, got 0s",
    );
    // A 1 µs heartbeat was accepted and did not finish (issue 32, item 2).
    check(
        &BASE.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nheartbeat_interval = \"1us\"",
        ),
        "gossipsub.heartbeat_interval",
        Some(7),
        "must be at least 10ms",
    );
    // A traffic window that stops before the warm-up ends measures nothing (item 5).
    check(
        &BASE.replace("size = \"2000B\"", "size = \"2000B\"\nstop = \"20s\""),
        "traffic[0].stop",
        Some(15),
        "20s is not after the warm-up ends (30s)",
    );
}

#[test]
fn size_beyond_max_message() {
    check(
        &BASE.replace("size = \"2000B\"", "size = \"200KiB\""),
        "traffic[0].size",
        Some(14),
        "above the max message size 150KiB",
    );
    check(
        &BASE.replace(
            "size = \"2000B\"",
            "size = { dist = \"uniform\", min = \"1KiB\", max = \"1MiB\" }",
        ),
        "traffic[0].size",
        Some(14),
        "above the max message size",
    );
}

#[test]
fn missing_required_values() {
    check(
        &BASE.replace("nodes = 100\n", ""),
        "nodes",
        None,
        "required",
    );
    check(
        &BASE.replace("rate = \"5/hour\"\n", ""),
        "traffic[0].rate",
        Some(11),
        "missing",
    );
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gossipsim"))
}

#[test]
fn cli_refuses_bad_scenarios_with_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("bad.toml");
    std::fs::write(
        &sc,
        BASE.replace("duration = \"30s\"", "duration = \"soon\""),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let o = bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.toml:4: time.duration: invalid duration \"soon\""),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "nothing written");
    let o = bin()
        .args(["validate", sc.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let o = bin()
        .args(["run", dir.path().join("missing.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read scenario"));
}

#[test]
fn cli_refuses_bad_flags_with_one_line() {
    for args in [
        vec!["run", "x.toml", "--seed", "minus-one"],
        vec!["frobnicate"],
        vec!["run", "x.toml", "--colour"],
        vec!["run", "x.toml", "--seeds", "5..2"],
        vec!["run", "x.toml", "--seeds", "1,x"],
        vec!["run", "x.toml", "--seeds", "1,1"],
        vec!["run", "x.toml", "--seeds", "1..3", "--seed", "4"],
        vec!["run", "x.toml", "--threads", "0"],
        vec!["run", "x.toml", "--memory-limit", "lots"],
        vec!["bench", "x.toml", "--threads", "1,zero"],
    ] {
        let o = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
    // A setting with a line break would lose its second line (issue 32, item 5).
    let o = bin()
        .args(["run", "x.toml", "--set", "nodes=70\nseed=4"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("a setting is one line"), "{stderr}");
}

#[test]
fn cli_run_writes_every_file_and_validate_presets_work() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("tiny.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 40")).unwrap();
    let out_dir = dir.path().join("out");
    let o = bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
            "--seed",
            "9",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bandwidth.csv",
            "delivery.csv",
            "latency-cdf.csv",
            "latency.csv",
            "manifest.csv",
            "mesh.csv",
            "nodes.csv",
            "scenario.resolved.toml",
            "summary.csv"
        ]
    );
    // The resolved scenario runs as-is and carries the overridden seed.
    let resolved = std::fs::read_to_string(out_dir.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("seed = 9"));
    let again = gossipsim::scenario::parse_str(&resolved, "r.toml", "r", None).unwrap();
    assert_eq!(again.resolved_toml, resolved, "resolving is idempotent");
    assert!(bin()
        .args(["validate", sc.to_str().unwrap()])
        .output()
        .unwrap()
        .status
        .success());
    let p = bin().arg("presets").output().unwrap();
    let text = String::from_utf8_lossy(&p.stdout);
    for name in gossipsim::protocol::gossipsub::PRESETS {
        assert!(text.contains(&format!("preset = \"{name}\"")));
    }
}

/// A results directory that cannot be written is reported in one line.
#[test]
fn cli_reports_unwritable_output() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("tiny.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 20")).unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let o = bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--out",
            blocker.join("sub").to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("creating") && stderr.contains("file"),
        "{stderr}"
    );
}

/// A resolved scenario carries its data files' data inline: it reads the same and has the
/// same run id whichever folder the scenario was run from, and loads again from anywhere,
/// e.g. for `compare`.
#[test]
fn resolved_scenario_stands_alone_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/m.csv"),
        "region,a,b\na,2,80\nb,80,2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("data/s.csv"),
        "size_bytes,weight\n100,1\n900,3\n",
    )
    .unwrap();
    let src = BASE
        .replace("nodes = 100", "nodes = 30")
        .replace(
            "[[traffic]]",
            "[latency]\nkind = \"regions\"\nfile = \"../data/m.csv\"\n[[traffic]]",
        )
        .replace(
            "size = \"2000B\"",
            "size = { dist = \"empirical\", file = \"../data/s.csv\" }",
        );
    std::fs::write(dir.path().join("sub/s.toml"), src).unwrap();
    let run_in = |cwd: &Path, scenario: &str, out: &Path| {
        let o = bin()
            .current_dir(cwd)
            .args(["run", scenario, "--out", out.to_str().unwrap(), "--quiet"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap()
    };
    let here = run_in(dir.path(), "sub/s.toml", &dir.path().join("out"));
    let sub = run_in(&dir.path().join("sub"), "s.toml", &dir.path().join("out2"));
    assert_eq!(here, sub, "the same resolved scenario from either folder");
    assert!(
        here.contains("rtt_ms = [[2.0, 80.0], [80.0, 2.0]]"),
        "{here}"
    );
    assert!(here.contains("sizes = [100, 900]"), "{here}");
    for f in ["summary.csv", "nodes.csv"] {
        let a = std::fs::read(dir.path().join("out").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("out2").join(f)).unwrap();
        assert!(a == b, "{f} differs by folder");
    }
    // The resolved scenario reruns as is from elsewhere, and compare reads it there.
    let elsewhere = tempfile::tempdir().unwrap();
    let again = run_in(
        elsewhere.path(),
        dir.path()
            .join("out/scenario.resolved.toml")
            .to_str()
            .unwrap(),
        &elsewhere.path().join("o"),
    );
    assert_eq!(again, here);
    let o = bin()
        .current_dir(elsewhere.path())
        .args(["compare", dir.path().join("out").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A run whose estimated memory exceeds the limit is refused before anything is built or
/// written, with the estimate and its main terms in one line.
#[test]
fn cli_refuses_a_run_that_would_not_fit_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("big.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 16000000")).unwrap();
    let out_dir = dir.path().join("out");
    for extra in [vec![], vec!["--memory-limit", "1GiB"]] {
        let mut args = vec![
            "run",
            sc.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("16000000 node(s) need an estimated") && stderr.contains(" GiB"),
            "{stderr}"
        );
        assert!(!out_dir.exists(), "nothing written");
    }
}

/// `--seeds` runs each seed into its own directory, in parallel, with the same files as a
/// single run of that seed.
#[test]
fn cli_seeds_run_in_parallel_each_as_its_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("tiny.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 30")).unwrap();
    let many = dir.path().join("many");
    let one = dir.path().join("one");
    let ok = |args: &[&str]| {
        let o = bin().args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let s = sc.to_str().unwrap();
    ok(&[
        "run",
        s,
        "--seeds",
        "3..5",
        "--threads",
        "2",
        "--quiet",
        "--out",
        many.to_str().unwrap(),
    ]);
    ok(&[
        "run",
        s,
        "--seed",
        "4",
        "--threads",
        "1",
        "--quiet",
        "--out",
        one.to_str().unwrap(),
    ]);
    for f in ["summary.csv", "bandwidth.csv", "nodes.csv", "latency.csv"] {
        let a = std::fs::read(many.join("seed-4").join(f)).unwrap();
        assert_eq!(a, std::fs::read(one.join(f)).unwrap(), "{f}");
        assert_ne!(
            a,
            std::fs::read(many.join("seed-3").join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(many.join("seed-5").join("summary.csv").exists());
}

/// `bench` runs each thread count in a child and writes one CSV row each; the output hash
/// is the same at 1 and 2 threads.
#[test]
fn cli_bench_rows_and_equal_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("tiny.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 40")).unwrap();
    let csv = dir.path().join("bench.csv");
    let o = bin()
        .args([
            "bench",
            sc.to_str().unwrap(),
            "--threads",
            "1,2",
            "--duration",
            "5s",
            "--csv",
            csv.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!((rows[0][3], rows[1][3]), ("1", "2"), "threads column");
    assert_eq!(
        rows[0][12], rows[1][12],
        "same output hash at 1 and 2 threads"
    );
    assert!(
        rows.iter().all(|r| r[7].parse::<u64>().unwrap() > 0),
        "events counted"
    );
}

/// `BASE` with two node classes, `a` and `fleet`, the latter ending with `class` (its line
/// is 19).
fn with_fleet(class: &str) -> String {
    format!("{BASE}[[node_class]]\nname = \"a\"\n[[node_class]]\nname = \"fleet\"\n{class}\n")
}

/// A node class's own stack and parameters are validated like the scenario's, with the
/// class's key path in the message.
#[test]
fn bad_class_gossipsub() {
    check(
        &with_fleet("gossipsub = { mesh_n = 12 }"),
        "node_class[1].gossipsub.mesh_n",
        Some(19),
        "mesh_n_low <= mesh_n <= mesh_n_high, got 4 <= 12 <= 8",
    );
    check(
        &with_fleet("gossipsub = { mesh_nn = 12 }"),
        "node_class[1].gossipsub.mesh_nn",
        Some(19),
        "unknown field `mesh_nn`",
    );
    check(
        &with_fleet("gossipsub = { preset = \"go-libp2p\" }"),
        "node_class[1].gossipsub.preset",
        Some(19),
        "node_class[1].preset",
    );
    check(
        &with_fleet("preset = \"nwaku-2099\""),
        "node_class[1].preset",
        Some(19),
        "unknown preset \"nwaku-2099\"",
    );
    // A message the scenario's stack takes but a class's does not (rust-libp2p: 64 KiB).
    check(
        &with_fleet("preset = \"rust-libp2p\"").replace("size = \"2000B\"", "size = \"100KiB\""),
        "traffic[0].size",
        Some(14),
        "node_class[1] \"fleet\": gossipsub.max_transmit_size of preset rust-libp2p",
    );
}

/// A class's own dials and cap: only with random_dial, and a cap no lower than its dials.
#[test]
fn bad_class_dials() {
    check(
        &with_fleet("outbound = 40\nmax_connections = 30"),
        "node_class[1].max_connections",
        Some(20),
        "must be >= the class's outbound (40), got 30",
    );
    check(
        &with_fleet("outbound = 100"),
        "node_class[1].outbound",
        Some(19),
        "between 1 and nodes - 1 (99), got 100",
    );
    let regular = with_fleet("outbound = 20").replace(
        "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
        "kind = \"random_regular\"\ndegree = 6",
    );
    check(
        &regular,
        "node_class[1].outbound",
        Some(18),
        "only with topology.kind = \"random_dial\"",
    );
}

/// A class's own topics name declared topics once each; its own regions exist in the
/// latency matrix; a topic's rule cannot pick a class that lists other topics, and every
/// topic needs a node.
#[test]
fn bad_class_topics_and_regions() {
    check(
        &with_fleet("topics = [\"nope\"]"),
        "node_class[1].topics[0]",
        Some(19),
        "no topic \"nope\" (declare it in [[topic]])",
    );
    check(
        &with_fleet("topics = [\"/waku/2/rs/16/32\", \"/waku/2/rs/16/32\"]"),
        "node_class[1].topics[1]",
        Some(19),
        "listed twice",
    );
    check(
        &with_fleet("regions = { eu-west = 1.0 }"),
        "node_class[1].regions",
        Some(19),
        "only with latency.kind = \"regions\"",
    );
    let regional = format!(
        "{}[latency]\nkind = \"regions\"\nfile = \"models/latency/aws-regions-rtt.csv\"\n",
        with_fleet("regions = { mars = 1.0 }")
    );
    check(
        &regional,
        "node_class[1].regions.mars",
        Some(19),
        "no region \"mars\"",
    );
    let topics =
        "[[topic]]\nname = \"a\"\n[[topic]]\nname = \"b\"\nsubscribers = { class = \"fleet\" }\n";
    check(
        &format!("{}{topics}", with_fleet("topics = [\"a\"]")),
        "topic[1].subscribers.class",
        Some(24),
        "node class \"fleet\" lists its own topics and \"b\" is not among them",
    );
    let both = with_fleet("topics = [\"a\"]").replace(
        "name = \"a\"\n[[node_class]]",
        "name = \"a\"\ntopics = [\"a\"]\n[[node_class]]",
    );
    check(
        &format!("{both}{topics}").replace("subscribers = { class = \"fleet\" }\n", ""),
        "topic[1].subscribers",
        Some(23),
        "no node is in topic \"b\"",
    );
}

/// A scenario with a fleet (in topic a) serving a light class: BASE, then `fleet` and
/// `light` lines on the two classes.
fn with_light(fleet: &str, light: &str) -> String {
    format!("{BASE}[[topic]]\nname = \"a\"\n[[node_class]]\nname = \"fleet\"\n{fleet}\n[[node_class]]\nname = \"mobile\"\nrole = \"light\"\n{light}\n")
}

/// Light classes: a role's keys only, a service class that relays, lists its topics and
/// covers the clients' topics, has the nodes and the filter slots for every client's
/// service peers; lightpush peers within the service peers; only where nodes dial.
#[test]
fn bad_light_clients() {
    let ok = with_light("topics = [\"a\"]", "service = \"fleet\"");
    parse_str(&ok, "s.toml", "s", None).unwrap();
    let cases = [
        (with_light("topics = [\"a\"]", ""), "node_class[1].service", "missing: a light class (or a relay class with `light_topics`) needs the class that serves it"),
        (with_light("topics = [\"a\"]", "service = \"cloud\""), "node_class[1].service", "no node class \"cloud\""),
        (with_light("topics = [\"a\"]", "service = \"mobile\""), "node_class[1].service", "is a light class"),
        (with_light("", "service = \"fleet\""), "node_class[1].service", "must list its own `topics`"),
        (
            with_light("topics = []", "service = \"fleet\"\ntopics = [\"a\"]"),
            "node_class[1].service",
            "class \"fleet\" is not in topic \"a\"",
        ),
        (with_light("topics = [\"a\"]", "service = \"fleet\"\nservice_peers = 60"), "node_class[1].service_peers", "between 1 and the 50 node(s)"),
        (
            with_light("topics = [\"a\"]", "service = \"fleet\"\nservice_peers = 1\nlightpush_peers = 2"),
            "node_class[1].lightpush_peers",
            "between 1 and service_peers (1), got 2",
        ),
        (with_light("topics = [\"a\"]", "service = \"fleet\"\nfilter_ping = \"0s\""), "node_class[1].filter_ping", "must be at least 1s, got 0s"),
        // A nanosecond's pings grew past 15 GiB in two minutes (issue 32, item 2).
        (with_light("topics = [\"a\"]", "service = \"fleet\"\nfilter_ping = \"1ns\""), "node_class[1].filter_ping", "must be at least 1s"),
        (
            with_light("topics = [\"a\"]\nfilter_slots = 1", "service = \"fleet\""),
            "node_class[0].filter_slots",
            "100 light-client subscriptions (clients × service_peers) need a filter slot each, and class \"fleet\" has 50 node(s) × 1 slot(s) = 50",
        ),
        (with_light("topics = [\"a\"]", "service = \"fleet\"\ngossipsub = { mesh_n = 8 }"), "node_class[1].gossipsub", "a light node runs no relay"),
        (with_light("topics = [\"a\"]", "service = \"fleet\"\nfilter_slots = 4"), "node_class[1].filter_slots", "a light node runs no relay"),
        (with_light("topics = [\"a\"]\nservice_peers = 2", "service = \"fleet\""), "node_class[0].service_peers", "only for role = \"light\""),
        (with_light("topics = [\"a\"]\nrole = \"archive\"", "service = \"fleet\""), "node_class[0].role", "\"archive\" is not one of \"relay\", \"light\", \"store\""),
        (
            with_light("topics = [\"a\"]", "service = \"fleet\"").replace(
                "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
                "kind = \"random_regular\"\ndegree = 6",
            ),
            "node_class[1].role",
            "light nodes need a topology where nodes dial",
        ),
    ];
    for (src, path, words) in cases {
        assert!(refused(&src, path, words).line.is_some(), "{path}: a line");
    }
}

/// `src` is refused at key `path` in one line that mentions `words`; the error.
fn refused(src: &str, path: &str, words: &str) -> ScenarioError {
    let e = err(src);
    let text = e.to_string();
    assert_eq!(e.path, path, "{text}");
    assert!(text.contains(words), "{text:?} should mention {words:?}");
    assert!(!text.contains('\n'), "{text:?}: one line");
    e
}

fn with_store(store: &str, client: &str) -> String {
    format!("{BASE}[[topic]]\nname = \"a\"\n[[topic]]\nname = \"b\"\nsubscribers = {{ class = \"desktop\" }}\n[[node_class]]\nname = \"archive\"\nrole = \"store\"\n{store}\n[[node_class]]\nname = \"desktop\"\n{client}\n")
}

/// Store classes and their clients: the store keys on the roles that take them, a store
/// class that exists, has the store role and nodes, lists its topics and keeps every topic
/// its clients may be in; the interval and page within their bounds; a run short enough
/// for the window bounds.
#[test]
fn bad_store() {
    let ok = with_store("topics = [\"a\", \"b\"]", "store = \"archive\"");
    parse_str(&ok, "s.toml", "s", None).unwrap();
    let cases = [
        (
            with_store("topics = [\"a\", \"b\"]", "store = \"cloud\""),
            "node_class[1].store",
            "no node class \"cloud\"",
        ),
        (
            with_store("topics = [\"a\", \"b\"]", "store = \"desktop\""),
            "node_class[1].store",
            "the class asked must have role = \"store\"",
        ),
        (
            with_store("", "store = \"archive\""),
            "node_class[1].store",
            "must list its own `topics`",
        ),
        (
            with_store("topics = [\"a\"]", "store = \"archive\""),
            "node_class[1].store",
            "a store query on topic \"b\", which no node of store class \"archive\" keeps",
        ),
        (
            with_store(
                "topics = [\"a\", \"b\"]",
                "store = \"archive\"\nstore_page = 101",
            ),
            "node_class[1].store_page",
            "between 1 and 100",
        ),
        (
            with_store(
                "topics = [\"a\", \"b\"]",
                "store = \"archive\"\nstore_page = 0",
            ),
            "node_class[1].store_page",
            "between 1 and 100",
        ),
        (
            with_store(
                "topics = [\"a\", \"b\"]",
                "store = \"archive\"\nstore_interval = \"0s\"",
            ),
            "node_class[1].store_interval",
            "must be at least 1s, got 0s",
        ),
        (
            with_store(
                "topics = [\"a\", \"b\"]",
                "store = \"archive\"\nstore_interval = \"999ms\"",
            ),
            "node_class[1].store_interval",
            "must be at least 1s, got 999ms",
        ),
        (
            with_store("topics = [\"a\", \"b\"]", "store_page = 10"),
            "node_class[1].store_page",
            "only with `store`",
        ),
        (
            with_store("topics = [\"a\", \"b\"]", "retention = \"1h\""),
            "node_class[1].retention",
            "only for role = \"store\"",
        ),
        (
            with_store("topics = [\"a\", \"b\"]\nretention = \"0s\"", ""),
            "node_class[0].retention",
            "greater than zero",
        ),
        (
            with_store("topics = [\"a\", \"b\"]\nstore = \"archive\"", ""),
            "node_class[0].store",
            "a store node keeps its own history",
        ),
        (
            with_store("topics = [\"a\", \"b\"]\nservice = \"archive\"", ""),
            "node_class[0].service",
            "only for role = \"light\"",
        ),
        (
            with_store("topics = [\"a\", \"b\"]", "store = \"archive\"")
                .replace("duration = \"30s\"", "duration = \"1300h\""),
            "time.duration",
            "a run with store queries ends within 49 days",
        ),
    ];
    for (src, path, words) in cases {
        refused(&src, path, words);
    }
}

fn with_model(model: &str) -> String {
    let base = BASE.replace(
        "[[traffic]]\nclass = \"chat\"",
        "[[traffic]]\nclass = \"own\"",
    );
    format!("{base}[[topic]]\nname = \"c\"\n[[topic]]\nname = \"k\"\n[traffic_model]\n{model}\n")
}

/// `[traffic_model]`: a shipped name or a file, its shards mapped onto declared topics,
/// overrides and skips of classes it has; the model's own errors name the model file;
/// segments within the max message size.
#[test]
fn bad_traffic_model() {
    let ok = with_model("name = \"status-2023\"\ntopics = { community = \"c\", control = \"k\" }");
    let sc = parse_str(
        &ok.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nmax_transmit_size = \"1MiB\"",
        ),
        "s.toml",
        "s",
        None,
    )
    .unwrap();
    assert_eq!(sc.traffic.len(), 10, "its own and the model's nine");
    let cases = [
        (
            with_model("name = \"status-2030\""),
            "s.toml",
            "traffic_model.name",
            "no shipped model \"status-2030\" (shipped: status-2023",
        ),
        (
            with_model("file = \"nowhere.toml\""),
            "s.toml",
            "traffic_model.file",
            "file not found",
        ),
        (
            with_model("name = \"status-2023\"\nfile = \"x.toml\""),
            "s.toml",
            "traffic_model.file",
            "not both",
        ),
        (
            with_model("members = 10"),
            "s.toml",
            "traffic_model",
            "missing: `name`",
        ),
        (
            with_model("name = \"status-2023\"\ntopics = { lobby = \"c\" }"),
            "s.toml",
            "traffic_model.topics.lobby",
            "the model has no shard \"lobby\" (shards: community, control, one_to_one)",
        ),
        (
            with_model("name = \"status-2023\"\ntopics = { control = \"z\" }"),
            "s.toml",
            "traffic_model.topics.control",
            "no topic \"z\"",
        ),
        (
            with_model("name = \"status-2023\"\nskip = [\"gifs\"]"),
            "s.toml",
            "traffic_model.skip[0]",
            "the model has no class \"gifs\"",
        ),
        (
            with_model("name = \"status-2023\"\nrates = { chat = \"0/hour\" }"),
            "s.toml",
            "traffic_model.rates.chat",
            "must be greater than zero",
        ),
        (
            with_model("name = \"status-2023\"\nmembers = 0"),
            "s.toml",
            "traffic_model.members",
            "must be greater than zero",
        ),
        (
            with_model("name = \"status-2023\"\npublishers = { class = \"cloud\" }"),
            "s.toml",
            "traffic_model.publishers.class",
            "no node class \"cloud\"",
        ),
        (
            with_model("name = \"status-2023\""),
            "models/traffic/status-2023.toml",
            "traffic[3].size",
            "is above the max message size 150KiB",
        ),
        (
            with_model("name = \"status-2023\"").replace("class = \"own\"", "class = \"chat\""),
            "s.toml",
            "traffic_model",
            "the model's class \"chat\" is also a [[traffic]] class",
        ),
    ];
    for (src, file, path, words) in cases {
        let src = if path == "traffic[3].size" {
            src
        } else {
            src.replace(
                "preset = \"nwaku\"",
                "preset = \"nwaku\"\nmax_transmit_size = \"1MiB\"",
            )
        };
        let e = err(&src);
        let text = e.to_string();
        assert_eq!((e.file.as_str(), e.path.as_str()), (file, path), "{text}");
        assert!(text.contains(words), "{text:?} should mention {words:?}");
        assert!(!text.contains('\n'));
    }
    // A model file of the user's: its errors name it and its line.
    let dir = std::env::temp_dir().join(format!("gossipsim-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("m.toml"), "[[traffic]]\nclass = \"x\"\nshard = \"a\"\nrate = \"1/hour\"\nsize = \"10B\"\nsegment = \"0B\"\n").unwrap();
    std::fs::write(
        dir.join("n.toml"),
        "[[traffic]]\nclass = \"x\"\nrate = \"1/hour\"\nsizes = \"10B\"\n",
    )
    .unwrap();
    for (f, path, words, line) in [
        (
            "m.toml",
            "traffic[0].segment",
            "must be greater than zero",
            6,
        ),
        ("n.toml", "traffic[0].sizes", "unknown field `sizes`", 4),
    ] {
        let src = with_model(&format!("file = \"{f}\""));
        let e = parse_str(&src, "s.toml", "s", Some(&dir)).unwrap_err();
        assert!(e.file.ends_with(f), "{e}");
        assert_eq!((e.path.as_str(), e.line), (path, Some(line)), "{e}");
        assert!(e.to_string().contains(words), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    // Segments: only with a size, parity within [0, 1].
    for (extra, path, words) in [
        ("parity = 0.1", "traffic[0].parity", "only with `segment`"),
        (
            "segment = \"1000B\"\nparity = 2.0",
            "traffic[0].parity",
            "must be within [0, 1]",
        ),
    ] {
        let e = err(&BASE.replace("rate = \"5/hour\"", &format!("rate = \"5/hour\"\n{extra}")));
        assert_eq!(e.path, path, "{e}");
        assert!(e.to_string().contains(words), "{e}");
    }
}

/// `light_topics`: on a relay class beside its `topics`, with a service, no overlap.
#[test]
fn bad_light_topics() {
    let two = format!("{BASE}[[topic]]\nname = \"a\"\n[[topic]]\nname = \"k\"\n[[node_class]]\nname = \"fleet\"\nshare = 0.2\ntopics = [\"a\", \"k\"]\n[[node_class]]\nname = \"desktop\"\n");
    let ok = format!("{two}topics = [\"a\"]\nlight_topics = [\"k\"]\nservice = \"fleet\"\n");
    let sc = parse_str(&ok, "s.toml", "s", None).unwrap();
    assert_eq!(
        sc.node_classes[1].topics,
        Some(vec![TopicId(0), TopicId(1)])
    );
    let cases = [
        (format!("{two}topics = [\"a\"]\nlight_topics = [\"k\"]\n"), "node_class[1].service", "missing: a light class (or a relay class with `light_topics`)"),
        (format!("{two}light_topics = [\"k\"]\nservice = \"fleet\"\n"), "node_class[1].light_topics", "list the topics this class relays in `topics` too"),
        (format!("{two}topics = [\"a\"]\nlight_topics = [\"a\"]\nservice = \"fleet\"\n"), "node_class[1].light_topics", "topic \"a\" is in `topics` too"),
        (format!("{two}topics = [\"a\"]\nlight_topics = [\"z\"]\nservice = \"fleet\"\n"), "node_class[1].light_topics[0]", "no topic \"z\""),
        (format!("{two}topics = [\"a\"]\nservice = \"fleet\"\n"), "node_class[1].service", "only for role = \"light\", or a relay class with `light_topics`"),
        (format!("{two}role = \"light\"\ntopics = [\"a\"]\nlight_topics = [\"k\"]\nservice = \"fleet\"\n"), "node_class[1].light_topics", "a light class follows all its topics by filter"),
        (
            format!("{BASE}[[topic]]\nname = \"a\"\n[[topic]]\nname = \"k\"\n[[node_class]]\nname = \"fleet\"\nshare = 0.2\ntopics = [\"a\"]\n[[node_class]]\nname = \"desktop\"\ntopics = [\"a\"]\nlight_topics = [\"k\"]\nservice = \"fleet\"\n"),
            "node_class[1].service",
            "class \"fleet\" is not in topic \"k\"",
        ),
        (
            // Its own service, for a topic it follows by filter itself: no one relays it
            // (found by tests/fuzz.rs: two deliveries counted of none expected).
            format!("{BASE}[[topic]]\nname = \"a\"\n[[topic]]\nname = \"k\"\n[[node_class]]\nname = \"desktop\"\ntopics = [\"a\"]\nlight_topics = [\"k\"]\nservice = \"desktop\"\n"),
            "node_class[0].service",
            "class \"desktop\" follows topic \"k\" by filter itself",
        ),
        (
            format!("{two}topics = [\"a\"]\nlight_topics = [\"k\"]\nservice = \"fleet\"\n[[node_class]]\nname = \"mobile\"\nrole = \"light\"\ntopics = [\"k\"]\nservice = \"desktop\"\n"),
            "node_class[2].service",
            "class \"desktop\" follows topic \"k\" by filter itself",
        ),
    ];
    for (src, path, words) in cases {
        refused(&src, path, words);
    }
}

/// Node sets of several classes: each class named once, with nodes.
#[test]
fn bad_class_lists() {
    let two = BASE.replace(
        "[[traffic]]",
        "[[node_class]]\nname = \"a\"\n[[node_class]]\nname = \"b\"\n[[traffic]]",
    );
    let ok = two.replace(
        "size = \"2000B\"",
        "size = \"2000B\"\npublishers = { classes = [\"b\", \"a\"] }",
    );
    let sc = parse_str(&ok, "s.toml", "s", None).unwrap();
    assert_eq!(
        sc.traffic[0].publishers,
        gossipsim::scenario::Selector::Classes(vec![0, 1])
    );
    assert!(
        sc.resolved_toml.contains("classes = [\"a\", \"b\"]"),
        "{}",
        sc.resolved_toml
    );
    for (set, path, words) in [
        (
            "{ classes = [\"a\", \"a\"] }",
            "traffic[0].publishers.classes[1]",
            "listed twice",
        ),
        (
            "{ classes = [\"a\", \"z\"] }",
            "traffic[0].publishers.classes[1]",
            "no node class \"z\"",
        ),
        (
            "{ classes = [] }",
            "traffic[0].publishers.classes",
            "lists no class",
        ),
        (
            "{ class = \"a\", classes = [\"b\"] }",
            "traffic[0].publishers",
            "exactly one of `fraction`, `class` or `classes`",
        ),
    ] {
        let e = err(&two.replace(
            "size = \"2000B\"",
            &format!("size = \"2000B\"\npublishers = {set}"),
        ));
        assert_eq!(e.path, path, "{e}");
        assert!(e.to_string().contains(words), "{e}");
    }
}

/// `--set` on the command line: applied and recorded in the resolved scenario; a bad value
/// names the setting in one line and writes nothing.
#[test]
fn cli_sets_keys_on_top_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(&sc, BASE).unwrap();
    let out_dir = dir.path().join("out");
    let o = bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--quiet",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .args([
            "--set",
            "nodes=60",
            "--set",
            "traffic[0].size=\"3KB\"",
            "--set",
            "gossipsub.mesh_n=8",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let resolved = std::fs::read_to_string(out_dir.join("scenario.resolved.toml")).unwrap();
    for want in ["nodes = 60", "size = \"3000B\"", "mesh_n = 8"] {
        assert!(resolved.contains(want), "{want} in {resolved}");
    }
    let bad_out = dir.path().join("bad");
    let o = bin()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--quiet",
            "--out",
            bad_out.to_str().unwrap(),
        ])
        .args(["--set", "gossipsub.mesh_n=0"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: --set gossipsub.mesh_n=0: gossipsub.mesh_n:"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!bad_out.exists(), "nothing written");
}

/// Inline data (what a resolved scenario writes): a square matrix of latencies >= 0 over
/// distinct regions; sizes with one weight >= 0 each, some positive; not beside a file.
#[test]
fn bad_inline_data() {
    let lat = |body: &str| {
        BASE.replace(
            "[[traffic]]",
            &format!("[latency]\nkind = \"regions\"\n{body}\n[[traffic]]"),
        )
    };
    let ok = lat("regions = [\"a\", \"b\"]\nrtt_ms = [[2.0, 80.0], [80.0, 2.0]]");
    parse_str(&ok, "s.toml", "s", None).unwrap();
    let size = |t: &str| {
        BASE.replace(
            "size = \"2000B\"",
            &format!("size = {{ dist = \"empirical\", {t} }}"),
        )
    };
    parse_str(
        &size("sizes = [10, 20], weights = [1.0, 0.0]"),
        "s.toml",
        "s",
        None,
    )
    .unwrap();
    let cases = [
        (lat("regions = [\"a\", \"b\"]\nrtt_ms = [[2.0, 80.0]]"), "latency.rtt_ms", "1 rows for 2 regions"),
        (lat("regions = [\"a\", \"b\"]\nrtt_ms = [[2.0, 80.0], [80.0]]"), "latency.rtt_ms[1]", "1 entries for 2 regions"),
        (lat("regions = [\"a\", \"b\"]\nrtt_ms = [[2.0, -1.0], [80.0, 2.0]]"), "latency.rtt_ms[0][1]", "must be >= 0"),
        (lat("regions = [\"a\", \"a\"]\nrtt_ms = [[2.0, 1.0], [1.0, 2.0]]"), "latency.regions[1]", "listed twice"),
        (lat("regions = [\"a\"]"), "latency.rtt_ms", "missing"),
        (lat("file = \"models/latency/aws-regions-rtt.csv\"\nregions = [\"a\"]\nrtt_ms = [[1.0]]"), "latency.file", "not both"),
        (size("sizes = [10], weights = [1.0, 2.0]"), "traffic[0].size.weights", "one weight per size"),
        (size("sizes = [10], weights = [0.0]"), "traffic[0].size.weights", "no size with a positive weight"),
        (size("sizes = [10, 20], weights = [1.0, -2.0]"), "traffic[0].size.weights[1]", "must be >= 0"),
        (size("sizes = [10]"), "traffic[0].size.file", "missing"),
    ];
    for (src, path, words) in cases {
        refused(&src, path, words);
    }
}

/// Every command that prints, with its stdout a pipe nobody reads (`gossipsim presets |
/// head -1` once panicked): no panic, no error message, and exit 0 (the reader stopped; the
/// work was done).
#[test]
fn every_command_survives_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let smoke = format!("{root}/scenarios/smoke.toml");
    let sweep = format!("{root}/tests/slurm/sweep.toml");
    let run = dir.path().join("run");
    let (run_s, sweep_out) = (run.to_str().unwrap(), dir.path().join("sweep"));
    let seeds = dir.path().join("seeds");
    let short = [
        "--set",
        "time.warmup=\"5s\"",
        "--set",
        "time.duration=\"5s\"",
    ];
    let commands: Vec<Vec<&str>> = vec![
        vec!["presets"],
        vec!["presets", "--markdown"],
        vec!["validate", &smoke],
        vec!["model", &smoke],
        vec!["topology", &smoke],
        [&["run", smoke.as_str(), "--out", run_s][..], &short[..]].concat(),
        [
            &[
                "run",
                smoke.as_str(),
                "--seeds",
                "1..2",
                "--out",
                seeds.to_str().unwrap(),
            ][..],
            &short[..],
        ]
        .concat(),
        vec!["compare", run_s],
        vec!["report", run_s],
        vec!["sweep", &sweep, "--list"],
        vec!["sweep", &sweep, "--out", sweep_out.to_str().unwrap()],
        vec![
            "sweep",
            &sweep,
            "--out",
            sweep_out.to_str().unwrap(),
            "--collect",
        ],
        vec![
            "sweep",
            &sweep,
            "--out",
            sweep_out.to_str().unwrap(),
            "--task",
            "0",
        ],
        vec![
            "sweep",
            &sweep,
            "--out",
            sweep_out.to_str().unwrap(),
            "--emit",
            "slurm",
        ],
        [&[
            "bench",
            smoke.as_str(),
            "--threads",
            "1",
            "--warmup",
            "2s",
            "--duration",
            "2s",
        ][..]]
        .concat(),
    ];
    for args in &commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bin()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// Any u64 is a seed: one above 2^63 − 1 (beyond TOML's integers) runs, is written as a
/// string in the resolved scenario, and reruns from it to the same results; a negative or
/// non-numeric seed, in the file, in --set or in --seed, is one line saying what a seed is.
#[test]
fn every_u64_is_a_seed_and_nothing_else_is() {
    let max = BASE.replace("seed = 1", "seed = \"18446744073709551615\"");
    let sc = parse_str(&max, "s.toml", "s", None).unwrap();
    assert_eq!(sc.seed, u64::MAX);
    assert!(sc.resolved_toml.contains("seed = \"18446744073709551615\""));
    let again = parse_str(&sc.resolved_toml, "r.toml", "r", None).unwrap();
    assert_eq!(again.resolved_toml, sc.resolved_toml);
    assert_eq!(sc.with_seed(7).seed, 7);
    for bad in ["seed = -1", "seed = \"x\"", "seed = 1.5"] {
        let e = err(&BASE.replace("seed = 1", bad));
        assert_eq!(e.path, "seed", "{bad}: {e}");
        assert!(
            e.to_string()
                .contains("a whole number from 0 to 18446744073709551615"),
            "{bad}: {e}"
        );
    }
    let smoke = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml");
    for args in [
        vec!["run", smoke, "--seed", "-1"],
        vec!["run", smoke, "--seed", "18446744073709551616"],
        vec!["validate", smoke, "--set", "seed=-1"],
    ] {
        let out = bin().args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text.contains("a seed is a whole number from 0 to 18446744073709551615"),
            "{args:?}: {text}"
        );
        assert_eq!(
            text.trim_end().lines().count(),
            1,
            "{args:?}: one line: {text}"
        );
    }
}

/// TOML syntax errors are one line: the parser's "expected …" joins its message.
#[test]
fn toml_syntax_errors_are_one_line() {
    for src in [
        "nodes = \n",
        "[time\n",
        "nodes = 5\nnodes = 6\n",
        "x = [1,\n",
    ] {
        let e = err(src);
        assert!(!e.to_string().contains('\n'), "{src:?}: {e}");
        assert!(e.line.is_some(), "{src:?}: a line: {e}");
    }
}

/// Values beyond what the engine represents are refused, naming the key and the limit, never
/// wrapped (issue 16, item 1).
#[test]
fn values_beyond_the_engine_are_refused_naming_key_and_limit() {
    let huge = [
        (
            BASE.replace("duration = \"30s\"", "duration = \"400000h\""),
            "time.duration",
            "longest the engine represents",
        ),
        (
            BASE.replace("size = \"2000B\"", "size = \"99999999999GiB\""),
            "traffic[0].size",
            "largest the engine represents",
        ),
        (
            format!("{BASE}[wire]\ncontent_topic_len = 4294967295\n"),
            "wire.content_topic_len",
            "largest the engine sizes (4096)",
        ),
        (
            format!("{BASE}[wire]\nmeta_len = 4294967040\n"),
            "wire.meta_len",
            "largest the engine sizes",
        ),
        (
            BASE.replace(
                "preset = \"nwaku\"",
                "preset = \"nwaku\"\nmax_transmit_size = \"1GiB\"",
            ),
            "gossipsub.max_transmit_size",
            "above the largest the engine sizes (16MiB",
        ),
        (
            BASE.replace(
                "preset = \"nwaku\"",
                "preset = \"nwaku\"\nmax_transmit_size = \"16MiB\"\nmax_ihave_length = 5000",
            )
            .replace("size = \"2000B\"", "size = \"10MiB\""),
            "traffic[0].size",
            "beyond the 4 GiB the engine sizes one RPC in",
        ),
        (
            format!("{BASE}[[node_class]]\nname = \"a\"\nshare = 1e308\n[[node_class]]\nname = \"b\"\nshare = 1e308\n"),
            "node_class",
            "more than a 64-bit float holds",
        ),
        (
            BASE.replace(
                "size = \"2000B\"",
                "size = { dist = \"empirical\", sizes = [100, 200], weights = [1e308, 1e308] }",
            ),
            "traffic[0].size.weights",
            "more than a 64-bit float holds",
        ),
        (
            BASE.replace(
                "[topology]",
                "[latency]\nkind = \"regions\"\nregions = [\"a\", \"b\"]\nrtt_ms = [[1, 1e300], [1, 1]]\n[topology]",
            ),
            "latency.rtt_ms[0][1]",
            "longest latency the engine represents",
        ),
        (
            BASE.replace(
                "[topology]",
                "[latency]\nkind = \"regions\"\nregions = [\"a\", \"b\"]\nrtt_ms = [[1, 1], [1, 1]]\nweights = { a = 1e308, b = 1e308 }\n[topology]",
            ),
            "latency.weights",
            "more than a 64-bit float holds",
        ),
        (
            format!("{BASE}[[node_class]]\nname = \"x\"\nupload = \"99999999999999Gbit/s\"\n"),
            "node_class[0].upload",
            "fastest link the engine represents",
        ),
    ];
    for (src, path, words) in huge {
        refused(&src, path, words);
    }
}

/// A link of a nanosecond between partitions would make a window of a nanosecond, met by
/// every thread billions of times in a run (issue 32, item 2): below the shortest window
/// worth stepping in parallel a run goes on one partition, finishes, and writes what one
/// thread writes.
#[test]
fn a_nanosecond_link_does_not_make_nanosecond_windows() {
    let src = BASE.replace("nodes = 100", "nodes = 30").replace(
        "[topology]",
        "[latency]\nkind = \"fixed\"\nvalue = \"1ns\"\n[topology]",
    );
    let s = std::sync::Arc::new(parse_str(&src, "s.toml", "s", None).unwrap());
    let one = gossipsim::Sim::new(s.clone(), 1)
        .unwrap()
        .run(&mut |_, _| {});
    let two = gossipsim::Sim::new(s.clone(), 2)
        .unwrap()
        .run(&mut |_, _| {});
    let files = |o: &gossipsim::RunOutput| {
        let sum = gossipsim::output::Summary::new(&s, o);
        gossipsim::output::render_files(&s, o, &sum)
    };
    assert_eq!(files(&one), files(&two));
}

/// A derived instant beyond any run's end (a latency of decades, a huge backlog on a slow
/// link) means the copy never arrives within the run: nothing wraps into an early arrival,
/// and 1 and 2 threads agree.
#[test]
fn instants_beyond_the_end_never_arrive_and_never_wrap() {
    let sc = |latency: &str, upload: &str| {
        let src = BASE
            .replace("nodes = 100", "nodes = 30")
            .replace("[topology]", &format!("[latency]\n{latency}\n[topology]"))
            + &format!("[[node_class]]\nname = \"n\"\nupload = \"{upload}\"\n");
        std::sync::Arc::new(parse_str(&src, "s.toml", "s", None).unwrap_or_else(|e| panic!("{e}")))
    };
    // A lognormal with a huge sigma: some draws are beyond 2^64 ns (they wrapped into
    // near-instant arrivals before, and overflowed in a debug build), most are not.
    let fixed = "kind = \"fixed\"\nvalue = \"300000h\"";
    let tail = "kind = \"lognormal\"\nmedian = \"20ms\"\nsigma = 40.0";
    for (lat, up, none) in [
        (fixed, "100Mbit/s", true),
        ("kind = \"fixed\"\nvalue = \"10ms\"", "1bit/s", true),
        (tail, "100Mbit/s", false),
    ] {
        let s = sc(lat, up);
        let one = gossipsim::Sim::new(s.clone(), 1)
            .unwrap()
            .run(&mut |_, _| {});
        let two = gossipsim::Sim::new(s.clone(), 2)
            .unwrap()
            .run(&mut |_, _| {});
        if none {
            assert!(
                one.delivery.msgs.iter().all(|m| m.delivered == 0),
                "{lat} {up}: nothing arrives"
            );
        }
        for m in &one.delivery.msgs {
            assert!(m.delivered <= m.expected);
            assert!(
                m.latency_max_ns <= s.end().0,
                "{lat}: no arrival after the end, or before its publication"
            );
        }
        let files = |o: &gossipsim::RunOutput| {
            let sm = gossipsim::output::Summary::new(&s, o);
            gossipsim::output::render_files(&s, o, &sm)
        };
        assert_eq!(files(&one), files(&two), "{lat} {up}");
    }
}

/// `validate` runs every check `run` does before simulating: the topology built with the
/// run's own draws (a 97-regular graph on 100 nodes cannot be drawn), and the memory gate,
/// which takes the address-space limit into account (issue 16, items 4 and 5).
#[test]
fn validate_refuses_what_run_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("rr.toml");
    std::fs::write(
        &sc,
        BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            "kind = \"random_regular\"\ndegree = 97",
        ),
    )
    .unwrap();
    let path = sc.to_str().unwrap();
    for (cmd, args) in [
        ("validate", vec!["validate", path]),
        ("run", vec!["run", path, "--quiet"]),
    ] {
        let o = bin().args(&args).current_dir(dir.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {stderr}");
        assert!(
            stderr.contains("could not build a 97-regular graph"),
            "{cmd}: {stderr}"
        );
        assert!(o.stdout.is_empty(), "{cmd} says nothing is ok");
    }
    let big = format!(
        "{}/scenarios/status-community-10k.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let o = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -v 600000 && exec \"$0\" validate {big}"),
        ])
        .arg(env!("CARGO_BIN_EXE_gossipsim"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("RLIMIT_AS"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// `--threads` far above the cores is cut to them with a note, same files; a device file or
/// an oversized file as input is refused in one line, not read forever (issue 16, item 6).
#[test]
fn threads_above_the_cores_and_unreadable_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("tiny.toml");
    std::fs::write(&sc, BASE.replace("nodes = 100", "nodes = 30")).unwrap();
    let s = sc.to_str().unwrap();
    let run = |threads: &str, out: &str| {
        bin()
            .current_dir(dir.path())
            .args(["run", s, "--quiet", "--threads", threads, "--out", out])
            .output()
            .unwrap()
    };
    let many = run("1000", "many");
    assert!(many.status.success());
    let note = String::from_utf8_lossy(&many.stderr);
    assert!(note.contains("--threads 1000 is more than the"), "{note}");
    assert!(run("1", "one").status.success());
    assert_eq!(
        std::fs::read(dir.path().join("many/manifest.csv")).unwrap(),
        std::fs::read(dir.path().join("one/manifest.csv")).unwrap()
    );
    let big = dir.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(65 << 20).unwrap();
    for (path, words) in [
        ("/dev/zero", "not a regular file"),
        (big.to_str().unwrap(), "larger than the 64 MiB"),
    ] {
        for cmd in ["validate", "run"] {
            let o = bin().args([cmd, path]).output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{cmd} {path}: {stderr}");
            assert!(stderr.contains(words), "{cmd} {path}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
    }
}

/// More topics than 16-bit ids hold is refused in one line, at once (the duplicate-name
/// checks are linear, so 65536 names take no time).
#[test]
fn more_topics_than_sixteen_bit_ids_are_refused() {
    use std::fmt::Write;
    let mut src = BASE.to_string();
    for i in 0..=u32::from(u16::MAX) {
        let _ = write!(src, "[[topic]]\nname = \"t{i}\"\n");
    }
    refused(
        &src,
        "topic",
        "65536 topics, more than the 65535 a run may have",
    );
}

/// A replayed topology (`kind = "file"`): the header, each row's indices (numbers, nodes,
/// no loop, no connection twice, either way round) named by line, every node connected,
/// the dial keys refused, `file` or inline `edges` and not both.
#[test]
fn bad_replayed_topology() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("edges.csv");
    let file = |rows: &str| {
        let text: String = (0..100u32)
            .map(|v| format!("{v},{}\n", (v + 1) % 100))
            .collect();
        std::fs::write(&f, format!("{rows}{text}")).unwrap();
        BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            &format!("kind = \"file\"\nfile = \"{}\"", f.display()),
        )
    };
    parse_str(&file("dialer,listener\n"), "s.toml", "s", None).unwrap();
    for (rows, words) in [
        (
            "listener,dialer\n",
            "edges.csv:1: header must be `dialer,listener`",
        ),
        (
            "dialer,listener\n3,x\n",
            "edges.csv:2: listener: \"x\" is not a node index",
        ),
        (
            "dialer,listener\n-1,2\n",
            "edges.csv:2: dialer: \"-1\" is not a node index",
        ),
        (
            "dialer,listener\n0,100\n",
            "edges.csv:2: listener 100 is not a node (nodes are 0 to 99)",
        ),
        (
            "dialer,listener\n7,7\n",
            "edges.csv:2: node 7 connects to itself",
        ),
        // Row 1 joins 2 and 1; line 4 (the file's 1,2) is the same connection the other
        // way round.
        (
            "dialer,listener\n2,1\n",
            "edges.csv:4: nodes 1 and 2 are connected twice (first at line 2)",
        ),
        ("dialer,listener\n1,2,3\n", "edges.csv:2"),
    ] {
        check(&file(rows), "topology.file", Some(9), words);
    }
    // A list that leaves a node out.
    std::fs::write(&f, "dialer,listener\n0,1\n1,2\n").unwrap();
    let src = BASE.replace(
        "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
        &format!("kind = \"file\"\nfile = \"{}\"", f.display()),
    );
    check(
        &src,
        "topology.file",
        Some(9),
        "node 3 has no connection (2 connections on 100 nodes",
    );
    let inline = |edges: &str, more: &str| {
        BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            &format!("kind = \"file\"\nedges = {edges}\n{more}"),
        )
    };
    let ring: Vec<String> = (0..100)
        .map(|v| format!("[{v}, {}]", (v + 1) % 100))
        .collect();
    let ring = format!("[{}]", ring.join(", "));
    parse_str(&inline(&ring, ""), "s.toml", "s", None).unwrap();
    refused(
        &inline(&ring.replacen("[0, 1]", "[0, 0]", 1), ""),
        "topology.edges[0]",
        "node 0 connects to itself",
    );
    refused(
        &inline("[[0, 1]]", ""),
        "topology.edges",
        "node 2 has no connection",
    );
    refused(
        &inline(&ring, "outbound = 3"),
        "topology.outbound",
        "not used by kind \"file\"",
    );
    refused(
        &inline(&ring, "degree = 3"),
        "topology.degree",
        "not used by kind \"file\"",
    );
    refused(
        &inline(&ring, "file = \"x.csv\""),
        "topology.file",
        "not both",
    );
    refused(
        &BASE.replace("kind = \"random_dial\"", "kind = \"file\"\n"),
        "topology.outbound",
        "not used by kind \"file\"",
    );
    refused(
        &BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            "kind = \"file\"",
        ),
        "topology.file",
        "missing",
    );
    refused(
        &BASE.replace("outbound = 5", "outbound = 5\nedges = [[0, 1]]"),
        "topology.edges",
        "not used by kind \"random_dial\"",
    );
}

/// `[[traffic]] start` / `stop` and `wire.envelope`: a stop not after its start, a start
/// past the measured period, an unknown envelope, Waku fields with no Waku envelope.
#[test]
fn bad_traffic_window_and_envelope() {
    let t = |keys: &str| BASE.replace("size = \"2000B\"", &format!("size = \"2000B\"\n{keys}"));
    parse_str(&t("start = \"5s\"\nstop = \"40s\""), "s.toml", "s", None).unwrap();
    refused(
        &t("start = \"5s\"\nstop = \"5s\""),
        "traffic[0].stop",
        "must be after start (5s)",
    );
    refused(
        &t("start = \"2min\""),
        "traffic[0].start",
        "is not before the measured period ends (1min: warmup + duration)",
    );
    let w = |keys: &str| format!("{BASE}[wire]\n{keys}\n");
    parse_str(&w("envelope = \"none\""), "s.toml", "s", None).unwrap();
    refused(
        &w("envelope = \"raw\""),
        "wire.envelope",
        "\"raw\" is not one of \"waku\", \"none\"",
    );
    refused(
        &w("envelope = \"none\"\nrln_proof = true"),
        "wire.rln_proof",
        "not used with wire.envelope = \"none\"",
    );
}

/// Inputs that were partly ignored are refused in one line (issue 32, item 5): an inline
/// connection of three numbers (cut to two), `compare DIR` with flags that only a scenario
/// takes, `--parallelism 0` (taken as 1) and `model --nodes 0` (printed -inf).
#[test]
fn partly_ignored_inputs_are_refused() {
    refused(
        &BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            "kind = \"file\"\nedges = [[0, 1, 2]]",
        ),
        "topology.edges[0]",
        "a connection is [dialer, listener], got 3 number(s)",
    );
    // Under shard_aware, a relay class in no topic connects to no one: publishers drawn
    // there published into nothing (delivery 0.92, no word).
    let isolated = format!(
        "{}[[node_class]]\nname = \"in\"\ntopics = [\"/waku/2/rs/16/32\"]\n[[node_class]]\nname = \"out\"\ntopics = []\n",
        BASE.replace("kind = \"random_dial\"", "kind = \"shard_aware\"")
    );
    refused(
        &isolated,
        "traffic[0].publishers",
        "may pick nodes of class \"out\", which is in no topic",
    );
    parse_str(
        &isolated.replace(
            "size = \"2000B\"",
            "size = \"2000B\"\npublishers = { class = \"in\" }",
        ),
        "s.toml",
        "s",
        None,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tiny.toml"),
        BASE.replace("nodes = 100", "nodes = 20"),
    )
    .unwrap();
    let o = bin()
        .current_dir(d)
        .args(["run", "tiny.toml", "--out", "r", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (flags, words) in [
        (vec!["--seed", "5"], "--seed applies to a scenario file"),
        (vec!["--out", "x"], "--out applies to a scenario file"),
        (vec!["--force"], "--force applies to a scenario file"),
    ] {
        let mut args = vec!["compare", "r"];
        args.extend(flags);
        let o = bin().current_dir(d).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(!d.join("x").exists() && !d.join("r/compare.csv").exists());
    }
    for args in [
        vec!["model", "tiny.toml", "--nodes", "0"],
        vec!["sweep", "s.toml", "--emit", "k8s", "--parallelism", "0"],
    ] {
        let o = bin().current_dir(d).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(args[args.len() - 2]), "{args:?}: {stderr}");
    }
}

/// Names that metric keys carry between dots are restricted, so that every key splits back
/// into its parts (issue 32, item 5): class names letters, digits, `_` and `-` (not first);
/// topic names without dots, spaces, commas or control characters.
#[test]
fn names_in_metric_keys_are_restricted() {
    for (name, words) in [
        ("", "\"\" cannot name a node class"),
        ("-", "\"-\" cannot name a node class"),
        ("fleet.eu", "\"fleet.eu\" cannot name a node class"),
        ("a b", "cannot name a node class"),
    ] {
        refused(
            &format!("{BASE}[[node_class]]\nname = \"{name}\"\n"),
            "node_class[0].name",
            words,
        );
    }
    refused(
        &BASE.replace("class = \"chat\"", "class = \"chat.v2\""),
        "traffic[0].class",
        "\"chat.v2\" cannot name a traffic class",
    );
    refused(
        &format!("{BASE}[[topic]]\nname = \"/waku/2/rs/16.32\"\n"),
        "topic[0].name",
        "cannot name a topic: it holds '.'",
    );
    parse_str(
        &format!(
            "{BASE}[[topic]]\nname = \"/waku/2/rs/16/32\"\n[[node_class]]\nname = \"fleet-eu_1\"\n"
        ),
        "s.toml",
        "s",
        None,
    )
    .unwrap();
}

/// Messages that say what is wrong (issue 32, item 5): a data file that is a folder or a
/// device is named as such (it said "file not found"); a message too large without a Waku
/// envelope is not said to be in one; a negative number for a numeric flag is out of range,
/// not an unexpected argument.
#[test]
fn messages_name_what_is_wrong() {
    let file = |f: &str| {
        BASE.replace(
            "kind = \"random_dial\"\noutbound = 5\nmax_connections = 20",
            &format!("kind = \"file\"\nfile = \"{f}\""),
        )
    };
    refused(
        &file("tests"),
        "topology.file",
        "is a folder, not a data file",
    );
    refused(
        &file("/dev/zero"),
        "topology.file",
        "is not a regular file (a device, pipe or socket), not a data file",
    );
    let e = refused(
        &BASE
            .replace("size = \"2000B\"", "size = \"200KiB\"")
            .replace("[topology]", "[wire]\nenvelope = \"none\"\n[topology]"),
        "traffic[0].size",
        "as the message's data",
    );
    assert!(!e.to_string().contains("Waku"), "{e}");
    // A number too large for any integer is named by its key (it named none).
    check(
        &BASE.replace(
            "preset = \"nwaku\"",
            "preset = \"nwaku\"\nmesh_n = 99999999999999999999",
        ),
        "gossipsub.mesh_n",
        Some(7),
        "number too large to fit in target type (TOML integers are at most 2^63 - 1)",
    );
    // A model's size per member scaled past 2^53 B wrapped silently (saturated).
    let e = err(&with_model(
        "name = \"status-2023\"\ntopics = { community = \"c\", control = \"k\" }\nmembers = 4000000000000",
    ))
    .to_string();
    assert!(
        e.contains("size_per_member") && e.contains("above the largest size the engine represents"),
        "{e}"
    );
    for args in [
        vec!["run", "x.toml", "--threads", "-1"],
        vec!["compare", "x.toml", "--tolerance", "-1"],
        vec!["sweep", "x.toml", "--jobs", "-2"],
    ] {
        let o = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid value '-"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("unexpected argument"),
            "{args:?}: {stderr}"
        );
    }
}
