//! `gossipsim report` through the binary: a small run's and a small sweep's report hold every
//! figure (SVG inline and on disk, PNG beside), fetch nothing from a network, come out the
//! same bytes twice, and have PNGs that are pictures (not blank); and, where Chromium is
//! installed (required in CI: `GOSSIPSIM_REQUIRE_CHROMIUM=1`), the page renders in headless
//! Chromium to a screenshot that is not blank.

use gossipsim::output::folder;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gossipsim");

fn gossipsim(args: &[&str]) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "gossipsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A smoke run cut to 10 s.
fn small_run(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    let smoke = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/smoke.toml");
    gossipsim(&[
        "run",
        smoke,
        "--set",
        "time.duration=\"10s\"",
        "--set",
        "time.warmup=\"10s\"",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    run
}

/// (share of pixels that are not white, distinct colours) of a PNG.
fn ink(png_bytes: &[u8]) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let mut colours = std::collections::BTreeSet::new();
    let mut inked = 0usize;
    let n = px.len() / channels;
    for p in px.chunks(channels) {
        let rgb = (p[0], p[1], p[2]);
        if rgb != (255, 255, 255) {
            inked += 1;
        }
        if colours.len() < 1000 {
            colours.insert(rgb);
        }
    }
    (inked as f64 / n as f64, colours.len())
}

fn check_report(report: &Path, figures: &[&str]) -> Vec<u8> {
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for f in figures {
        assert!(html.contains(&format!("<figure id=\"{f}\">")), "{f} inline");
        let svg = std::fs::read_to_string(report.join(format!("{f}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{f}.svg");
        let (share, colours) = ink(&std::fs::read(report.join(format!("{f}.png"))).unwrap());
        assert!(
            share > 0.02 && colours > 4,
            "{f}.png is a picture: {share} inked, {colours} colours"
        );
    }
    // Self-contained: nothing loaded from elsewhere (the SVG namespace is a name, not a fetch).
    for bad in ["src=\"http", "href=\"http", "<script", "<link", "url(http"] {
        assert!(!html.contains(bad), "report.html loads {bad}");
    }
    html.into_bytes()
}

#[test]
fn a_run_report_has_every_figure_and_the_same_bytes_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    gossipsim(&[
        "report",
        run.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    gossipsim(&[
        "report",
        run.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    let figures = [
        "bandwidth-by-kind",
        "bandwidth-by-application-class",
        "ingress-cdf",
        "latency-cdf",
        "delivery",
        "model-terms",
    ];
    let html = check_report(&a, &figures);
    let text = String::from_utf8_lossy(&html);
    let id = std::fs::read_to_string(run.join("summary.csv")).unwrap();
    let run_id = id.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(text.contains(run_id), "the page names the run id");
    assert!(
        text.contains("[gossipsub]"),
        "the page holds the resolved scenario"
    );
    for f in std::fs::read_dir(&a).unwrap() {
        let name = f.unwrap().file_name();
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b.join(&name)).unwrap(),
            "{name:?} the same twice"
        );
    }
}

#[test]
fn a_sweep_report_draws_each_metric_against_each_axis() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slurm/sweep.toml");
    let out = tmp.path().join("sweep");
    gossipsim(&["sweep", sweep, "--out", out.to_str().unwrap(), "--quiet"]);
    gossipsim(&["report", out.to_str().unwrap()]);
    let html = check_report(
        &out.join("report"),
        &[
            "bandwidth-in-total-mean-bps-vs-gossipsub-mesh-n",
            "bandwidth-in-total-mean-bps-vs-nodes",
            "latency-p95-ms-vs-nodes",
        ],
    );
    let text = String::from_utf8_lossy(&html);
    // mesh_outbound_min moves with mesh_n: not an axis of its own.
    assert!(
        !text.contains("vs-gossipsub-mesh-outbound-min"),
        "keys moving with an axis are not axes"
    );
    assert!(
        text.contains("(model)"),
        "the model's curve is drawn over the ingress"
    );
}

#[test]
fn a_folder_without_results_is_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["report", tmp.path().to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("neither a run's folder"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// The headless browser CI installs (Debian's `chromium`), if any.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("GOSSIPSIM_REQUIRE_CHROMIUM").is_none(),
            "GOSSIPSIM_REQUIRE_CHROMIUM is set and no chromium was found"
        );
        eprintln!("skipped: no chromium on PATH");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path());
    gossipsim(&["report", run.to_str().unwrap()]);
    let shot = tmp.path().join("shot.png");
    let page = format!("file://{}", run.join("report/report.html").display());
    let out = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            &format!("--screenshot={}", shot.display()),
            &page,
        ])
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (share, colours) = ink(&std::fs::read(&shot).unwrap());
    assert!(
        share > 0.05 && colours > 20,
        "the screenshot is not blank: {share} of pixels inked, {colours} colours"
    );
}

/// Tables that are not what `sweep` writes are refused in one line naming the file, never a
/// panic.
#[test]
fn bad_sweep_tables_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let stats_head = "point,k,metric,n,mean,std,min,max,ci95_low,ci95_high\n";
    let cases = [
        ("point,seed\n0,1\n", stats_head, "not a sweep table"),
        (
            "point,k,seed,run_id\nx,1,1,a\n",
            stats_head,
            "is not a number",
        ),
        (
            "point,k,seed,run_id\n0,1,1,a,5\n",
            stats_head,
            "found record with 5 fields",
        ),
        (
            "point,k,seed,run_id\n0,1,1,a\n",
            "point,k,metric,n,mean,std,min,max,ci95_low,ci95_high\n9,1,m,1,1,,1,1,,\n",
            "point 9 is not in sweep.csv",
        ),
    ];
    for (sweep, stats, words) in cases {
        std::fs::write(tmp.path().join("sweep.csv"), sweep).unwrap();
        std::fs::write(tmp.path().join("sweep-stats.csv"), stats).unwrap();
        // With a manifest that vouches for them: the tables themselves are what is wrong.
        let tables = [
            ("sweep.csv", sweep.as_bytes().to_vec()),
            ("sweep-stats.csv", stats.as_bytes().to_vec()),
        ];
        std::fs::write(
            tmp.path().join(folder::MANIFEST),
            folder::manifest("0", &tables),
        )
        .unwrap();
        let out = Command::new(BIN)
            .args(["report", tmp.path().to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{sweep:?}: {err}");
        assert!(
            err.contains(words),
            "{sweep:?}: {err:?} should say {words:?}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}
