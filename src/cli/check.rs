//! Regression check of a run's numbers against a baseline: reruns each (scenario, seed) of the
//! baseline in memory and reports every metric that moved beyond the tolerance. Runs are
//! deterministic and bit-identical across platforms, so the default tolerance is zero: any
//! move is a behaviour change, to be explained or accepted with `--update`.

use crate::output::Summary;
use crate::output::{invalid, Doing, ReportError};
use crate::scenario;
use crate::sim::Sim;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

type Result<T> = std::result::Result<T, ReportError>;

/// One pinned number.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineRow {
    pub scenario: String,
    pub seed: u64,
    pub version: String,
    pub metric: String,
    pub value: String,
}

const HEADER: [&str; 5] = ["scenario", "seed", "gossipsim_version", "metric", "value"];

/// Metrics that describe the engine rather than the network (an extra internal event is not
/// a behaviour change) are not pinned.
fn pinned(metric: &str) -> bool {
    metric != "events"
}

pub fn read_baseline(path: &Path) -> Result<Vec<BaselineRow>> {
    let file = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .doing(|| format!("reading baseline {file}"))?;
    let h = rdr
        .headers()
        .doing(|| format!("{file}: reading the header"))?
        .clone();
    if h.iter().collect::<Vec<_>>() != HEADER {
        return Err(invalid!("{file}:1: header must be `{}`", HEADER.join(",")));
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.doing(|| format!("{file}: malformed row"))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let seed = rec[1]
            .parse()
            .doing(|| format!("{file}:{line}: seed \"{}\" is not a whole number", &rec[1]))?;
        if rec[4].parse::<f64>().is_err() {
            return Err(invalid!(
                "{file}:{line}: value \"{}\" is not a number",
                &rec[4]
            ));
        }
        rows.push(BaselineRow {
            scenario: rec[0].into(),
            seed,
            version: rec[2].into(),
            metric: rec[3].into(),
            value: rec[4].into(),
        });
    }
    Ok(rows)
}

/// Runs `scenario` with `seed` and returns its summary rows (metric, value).
pub fn measure(scenario: &str, seed: u64) -> Result<Vec<(String, String)>> {
    let sc = scenario::load(Path::new(scenario))?.with_seed(seed);
    // The gate `run` goes through: a pinned run that would not fit is refused, not killed.
    crate::estimate::check(&sc, 1, 1, None)
        .map_err(|e| invalid!("rerunning {scenario} (seed {seed}): {e}"))?;
    let sc = Arc::new(sc);
    let out = Sim::new(sc.clone(), 1)?.run(&mut |_, _| {});
    let s = Summary::new(&sc, &out);
    Ok(s.rows
        .into_iter()
        .filter(|r| pinned(&r.metric))
        .map(|r| (r.metric, r.value))
        .collect())
}

/// The (scenario, seed) pairs of a baseline, in first-seen order.
fn runs(rows: &[BaselineRow]) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = Vec::new();
    for r in rows {
        if !v
            .iter()
            .any(|(s, seed)| *s == r.scenario && *seed == r.seed)
        {
            v.push((r.scenario.clone(), r.seed));
        }
    }
    v
}

pub struct CheckReport {
    pub text: String,
    pub failures: usize,
}

/// Checks every run of the baseline; a metric fails when |new − old| > tolerance × |old|
/// (or, at zero tolerance, when its printed value differs).
pub fn check(path: &Path, tolerance: f64) -> Result<CheckReport> {
    let rows = read_baseline(path)?;
    if rows.is_empty() {
        return Err(invalid!(
            "{}: the baseline has no rows (create it with --update --add SCENARIO)",
            path.display()
        ));
    }
    let mut text = String::new();
    let mut failures = 0;
    for (sc, seed) in runs(&rows) {
        let now = measure(&sc, seed).doing(|| format!("rerunning {sc} (seed {seed})"))?;
        let mut moved = Vec::new();
        let mut missing = Vec::new();
        let pinned_rows: Vec<&BaselineRow> = rows
            .iter()
            .filter(|r| r.scenario == sc && r.seed == seed)
            .collect();
        for r in &pinned_rows {
            let Some((_, v)) = now.iter().find(|(m, _)| *m == r.metric) else {
                missing.push(r.metric.clone());
                continue;
            };
            let (old, new): (f64, f64) = (
                r.value.parse().expect("checked when read"),
                v.parse().expect("summary values are numbers"),
            );
            let ok = if tolerance == 0.0 {
                r.value == *v
            } else {
                (new - old).abs() <= tolerance * old.abs()
            };
            if !ok {
                moved.push((
                    r.metric.clone(),
                    r.value.clone(),
                    v.clone(),
                    if old == 0.0 {
                        f64::INFINITY
                    } else {
                        (new - old) / old
                    },
                ));
            }
        }
        if moved.is_empty() && missing.is_empty() {
            let _ = writeln!(
                text,
                "ok    {sc} (seed {seed}): {} metrics match",
                pinned_rows.len()
            );
            continue;
        }
        failures += moved.len() + missing.len();
        let _ = writeln!(
            text,
            "FAIL  {sc} (seed {seed}): {} of {} metrics moved beyond ±{}%",
            moved.len() + missing.len(),
            pinned_rows.len(),
            tolerance * 100.0
        );
        for (m, old, new, rel) in moved {
            let rel = if rel.is_finite() {
                format!("{:+.3}%", rel * 100.0)
            } else {
                "from 0".into()
            };
            let _ = writeln!(text, "      {m:<48} {old:>16} → {new:<16} ({rel})");
        }
        for m in missing {
            let _ = writeln!(text, "      {m:<48} no longer reported");
        }
    }
    Ok(CheckReport { text, failures })
}

/// Rewrites the baseline with current numbers for its runs plus `add` (scenario[:seed]).
pub fn update(path: &Path, add: &[String]) -> Result<String> {
    let mut list = if path.is_file() {
        runs(&read_baseline(path)?)
    } else {
        Vec::new()
    };
    for a in add {
        let (sc, seed) = match a.rsplit_once(':') {
            Some((s, n)) if n.parse::<u64>().is_ok() => {
                (s.to_string(), n.parse().expect("checked"))
            }
            _ => (a.clone(), scenario::load(Path::new(a))?.seed),
        };
        if !list.contains(&(sc.clone(), seed)) {
            list.push((sc, seed));
        }
    }
    if list.is_empty() {
        return Err(invalid!("nothing to pin: give --add SCENARIO[:SEED]"));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    let mut text = String::new();
    for (sc, seed) in &list {
        let rows = measure(sc, *seed).doing(|| format!("running {sc} (seed {seed})"))?;
        let _ = writeln!(text, "pinned {sc} (seed {seed}): {} metrics", rows.len());
        for (m, v) in rows {
            w.write_record([
                sc.as_str(),
                &seed.to_string(),
                env!("CARGO_PKG_VERSION"),
                &m,
                &v,
            ])?;
        }
    }
    let body = w.into_inner().expect("writing to memory");
    let mut bytes = b"# gossipsim regression baseline: the summary numbers of each (scenario, seed) below.\n# Rewritten deliberately with `gossipsim check BASELINE --update`; checked in CI with `gossipsim check BASELINE`.\n".to_vec();
    bytes.extend_from_slice(&body);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).doing(|| format!("creating {}", dir.display()))?;
    }
    crate::output::write_file(path, &bytes)?;
    Ok(text)
}
