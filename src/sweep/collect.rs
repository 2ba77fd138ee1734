//! From finished tasks to the sweep's tables, reading each task's `summary.csv` only:
//! `sweep.csv` (one row per point × seed: point, axis values, seed, run id, every summary
//! metric) and `sweep-stats.csv` (one row per point × metric: n, mean, std, min, max and a
//! 95% confidence interval of the mean over seeds). Tasks not complete are listed, not
//! guessed.

use super::{state, Plan, State, SweepError, Task};
use std::collections::BTreeMap;
use std::path::Path;

/// What `collect` found and wrote.
#[derive(Debug)]
pub struct Collected {
    /// Tasks with complete results.
    pub complete: usize,
    /// Tasks without (not run, still running, failed or of another scenario).
    pub missing: Vec<Task>,
    pub sweep_csv: Vec<u8>,
    pub stats_csv: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct SummaryRow {
    seed: u64,
    run_id: String,
    metric: String,
    value: String,
}

/// One complete task's summary.
struct Row {
    task: usize,
    run_id: String,
    values: Vec<(usize, String)>,
}

/// Reads every complete task's summary under `out` and renders both tables.
pub fn collect(plan: &Plan, out: &Path) -> Result<Collected, SweepError> {
    let mut metrics: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for t in &plan.tasks {
        let dir = out.join(&t.dir);
        if state(&dir, &plan.scenario(t)) != State::Complete {
            missing.push(t.clone());
            continue;
        }
        let file = dir.join("summary.csv");
        let bad = |e: csv::Error| SweepError::Task(format!("{}: {e}", file.display()));
        let mut reader = csv::Reader::from_path(&file).map_err(bad)?;
        let mut row = Row {
            task: t.index,
            run_id: String::new(),
            values: Vec::new(),
        };
        for r in reader.deserialize::<SummaryRow>() {
            let r = r.map_err(bad)?;
            if r.seed != t.seed {
                return Err(SweepError::Task(format!(
                    "{}: seed {} where task {} runs seed {}",
                    file.display(),
                    r.seed,
                    t.index,
                    t.seed
                )));
            }
            row.run_id = r.run_id;
            let m = *index.entry(r.metric.clone()).or_insert_with(|| {
                metrics.push(r.metric.clone());
                metrics.len() - 1
            });
            row.values.push((m, r.value));
        }
        rows.push(row);
    }
    let sweep_csv = sweep_csv(plan, &metrics, &rows)?;
    let stats_csv = stats_csv(plan, &metrics, &rows)?;
    Ok(Collected {
        complete: rows.len(),
        missing,
        sweep_csv,
        stats_csv,
    })
}

/// An axis value as a cell: a TOML string without its quotes, anything else as written.
fn cell(literal: &str) -> String {
    format!("v = {literal}")
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| d.get("v").and_then(|v| v.as_str()).map(str::to_string))
        .unwrap_or_else(|| literal.to_string())
}

fn axis_cells(plan: &Plan, point: usize) -> impl Iterator<Item = String> + '_ {
    plan.points[point].point.sets.iter().map(|o| cell(&o.value))
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, SweepError> {
    w.into_inner()
        .map_err(|e| SweepError::Task(format!("rendering a table: {e}")))
}

fn csv_err(e: csv::Error) -> SweepError {
    SweepError::Task(format!("rendering a table: {e}"))
}

/// A metric's column: its name, or `summary.<name>` where an axis column has that name
/// (`nodes`).
fn metric_column(plan: &Plan, metric: &str) -> String {
    if plan.spec.columns().contains(&metric) {
        format!("summary.{metric}")
    } else {
        metric.to_string()
    }
}

fn sweep_csv(plan: &Plan, metrics: &[String], rows: &[Row]) -> Result<Vec<u8>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = std::iter::once("point".to_string())
        .chain(plan.spec.columns().into_iter().map(str::to_string))
        .chain(["seed".to_string(), "run_id".to_string()])
        .chain(metrics.iter().map(|m| metric_column(plan, m)));
    w.write_record(head.collect::<Vec<_>>()).map_err(csv_err)?;
    for r in rows {
        let t = &plan.tasks[r.task];
        let mut values = vec![String::new(); metrics.len()];
        for (m, v) in &r.values {
            values[*m].clone_from(v);
        }
        let rec = std::iter::once(t.point.to_string())
            .chain(axis_cells(plan, t.point))
            .chain([t.seed.to_string(), r.run_id.clone()])
            .chain(values);
        w.write_record(rec.collect::<Vec<_>>()).map_err(csv_err)?;
    }
    finish(w)
}

/// Mean, sample standard deviation, min, max and the 95% confidence interval of the mean
/// (Student's t with n − 1 degrees of freedom); std and interval need two values.
pub fn stats(xs: &[f64]) -> [Option<f64>; 6] {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = xs.len() as f64;
    if xs.is_empty() {
        return [None; 6];
    }
    let mean = xs.iter().sum::<f64>() / n;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (std, lo, hi) = if xs.len() < 2 {
        (None, None, None)
    } else {
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let std = var.sqrt();
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .expect("n - 1 >= 1 degrees of freedom")
            .inverse_cdf(0.975);
        let half = t * std / n.sqrt();
        (Some(std), Some(mean - half), Some(mean + half))
    };
    [Some(mean), std, Some(min), Some(max), lo, hi]
}

fn stats_csv(plan: &Plan, metrics: &[String], rows: &[Row]) -> Result<Vec<u8>, SweepError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = std::iter::once("point").chain(plan.spec.columns()).chain([
        "metric",
        "n",
        "mean",
        "std",
        "min",
        "max",
        "ci95_low",
        "ci95_high",
    ]);
    w.write_record(head.collect::<Vec<_>>()).map_err(csv_err)?;
    let mut by_point: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_point
            .entry(plan.tasks[r.task].point)
            .or_default()
            .push(r);
    }
    for (point, rows) in by_point {
        let mut per_metric: Vec<Vec<f64>> = vec![Vec::new(); metrics.len()];
        for r in &rows {
            for (m, v) in &r.values {
                let x: f64 = v.parse().map_err(|_| {
                    SweepError::Task(format!(
                        "{}: metric {} is \"{v}\", not a number",
                        plan.tasks[r.task].dir.join("summary.csv").display(),
                        metrics[*m]
                    ))
                })?;
                per_metric[*m].push(x);
            }
        }
        for (m, xs) in per_metric.iter().enumerate() {
            if xs.is_empty() {
                continue;
            }
            let cells = stats(xs).map(|s| s.map_or(String::new(), |x| format!("{x:.6}")));
            let rec = std::iter::once(point.to_string())
                .chain(axis_cells(plan, point))
                .chain([metrics[m].clone(), xs.len().to_string()])
                .chain(cells);
            w.write_record(rec.collect::<Vec<_>>()).map_err(csv_err)?;
        }
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_closed_forms() {
        // 2, 4, 6: mean 4, s = 2, t(0.975, 2) = 4.302653, half width 4.302653 * 2 / sqrt(3).
        let [mean, std, min, max, lo, hi] = stats(&[2.0, 4.0, 6.0]);
        assert_eq!(
            (mean, std, min, max),
            (Some(4.0), Some(2.0), Some(2.0), Some(6.0))
        );
        let half = 4.302_652_729_911_275 * 2.0 / 3f64.sqrt();
        assert!((lo.unwrap() - (4.0 - half)).abs() < 1e-9, "{lo:?}");
        assert!((hi.unwrap() - (4.0 + half)).abs() < 1e-9, "{hi:?}");
        assert_eq!(
            stats(&[7.0]),
            [Some(7.0), None, Some(7.0), Some(7.0), None, None]
        );
        let same = stats(&[3.0; 4]);
        assert_eq!(
            (same[1], same[4], same[5]),
            (Some(0.0), Some(3.0), Some(3.0))
        );
    }

    #[test]
    fn cells_drop_the_quotes_of_strings_only() {
        assert_eq!(cell("\"10KB\""), "10KB");
        assert_eq!(cell("8"), "8");
        assert_eq!(cell("{ dist = \"fixed\" }"), "{ dist = \"fixed\" }");
    }
}
