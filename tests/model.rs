//! The analytical model against the simulator: where a scenario reproduces the model's
//! assumptions exactly (static d-regular mesh, forward to d−1, no gossip: case 3), the
//! simulated payload must equal the model to within 0.5%. Plus `compare` and `check` end to
//! end through the binary.

use gossipsim::model::{Case, Version};
use gossipsim::output::{folder, render_files, run_id, Summary};
use gossipsim::report::compare::{by_key, compare};
use gossipsim::Sim;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn run_to(scenario: &str, dir: &Path) {
    let sc = gossipsim::scenario::load(Path::new(scenario)).unwrap();
    let sc = Arc::new(sc);
    let out = Sim::new(sc.clone(), 1).unwrap().run(&mut |_, _| {});
    let s = Summary::new(&sc, &out);
    folder::reserve(dir, true)
        .unwrap()
        .commit(&run_id(&sc), &render_files(&sc, &out, &s))
        .unwrap();
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn case3_payload_matches_the_model_within_half_a_percent() {
    let dir = tempfile::tempdir().unwrap();
    run_to(&scenario("ci-case3-1k.toml"), dir.path());
    for v in [Version::V2023, Version::V2025] {
        let c = compare(dir.path(), v, Some(Case::Case3), 0.005).unwrap();
        let rows = by_key(&c);
        let key = |k: &str| rows[&("topic:/waku/2/rs/16/32".to_string(), k.to_string())];
        let (msgs_sim, msgs_model) = key("messages");
        assert_eq!(
            msgs_sim, msgs_model,
            "periodic arrivals: exactly R·N·T messages"
        );
        let (sim, model) = key("payload_mesh");
        let rel = (sim - model) / model;
        assert!(
            rel.abs() < 0.005,
            "model {}: simulated {sim} vs model {model} ({:+.4}%)",
            v.name(),
            rel * 100.0
        );
        // Nothing else is on the wire but framing and the initial SUBSCRIBEs (before the window).
        assert_eq!(key("ihave").0, 0.0);
        assert_eq!(key("idontwant").0, 0.0);
        assert!(key("framing").0 > 0.0);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gossipsim"))
}

#[test]
fn model_command_prints_the_reference_values() {
    let o = bin()
        .args(["model", &scenario("status-community-10k.toml")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    for v in [
        "500.00", "817.25", "1634.50", "500.01", "563.01", "400.42", "3.63",
    ] {
        assert!(text.contains(v), "missing {v} in\n{text}");
    }
}

#[test]
fn compare_writes_compare_csv_for_a_results_directory() {
    let dir = tempfile::tempdir().unwrap();
    run_to(&scenario("smoke.toml"), dir.path());
    let o = bin()
        .args(["compare", dir.path().to_str().unwrap(), "--version", "2025"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("compare.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("metric,kind,direction,simulated,model,rel_err,within_tolerance"),
        "{header}"
    );
    for kind in [
        "payload_mesh",
        "payload_iwant",
        "framing",
        "ihave",
        "iwant",
        "idontwant",
        "total",
    ] {
        assert!(
            csv.lines().any(|l| l.split(',').nth(1) == Some(kind)),
            "no {kind} row"
        );
    }
    // A directory that is not a run is refused in one line.
    let o = bin()
        .args(["compare", env!("CARGO_MANIFEST_DIR")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim().lines().count(), 1);
}

#[test]
fn check_passes_unchanged_and_fails_on_a_changed_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("pinned.toml");
    let smoke = std::fs::read_to_string(scenario("smoke.toml")).unwrap();
    std::fs::write(&sc, &smoke).unwrap();
    let baseline = dir.path().join("baseline.csv");
    let (b, s) = (baseline.to_str().unwrap(), sc.to_str().unwrap());
    let o = bin()
        .args(["check", b, "--update", "--add", s])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin().args(["check", b]).output().unwrap();
    assert!(
        o.status.success(),
        "unchanged passes: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Deliberately change one parameter: D_high 8 → 12.
    std::fs::write(
        &sc,
        smoke.replace("preset = \"nwaku\"", "preset = \"nwaku\"\nmesh_n_high = 12"),
    )
    .unwrap();
    let o = bin().args(["check", b]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL") && out.contains("bandwidth.in.ihave.mean_Bps"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--update"));
    // A tolerance wider than every move accepts it (the IHAVE change is well under 10x).
    let o = bin()
        .args(["check", b, "--tolerance", "10"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
