//! A sweep's page: each main metric against each numeric axis, one line per combination of
//! the other axes, the seeds' spread (min to max) as error bars, and the analytical model's
//! curve over the ingress; tables of means with 95% confidence intervals. Reads
//! `sweep.csv`, `sweep-stats.csv` and, for the model, each point's first run folder.

use super::{esc, html, num, scenario_name, table, Chart, Figures, Line, Page, Plot};
use crate::report::{compare, invalid, ReportError};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The metrics drawn, when the runs have them: (metric, title, y label, scale to the label's
/// unit, whether the model has the same quantity).
const METRICS: &[(&str, &str, &str, f64, bool)] = &[
    (
        "bandwidth.in.total.mean_Bps",
        "Ingress per node",
        "kB/s per node (mean)",
        1e-3,
        true,
    ),
    (
        "bandwidth.out.total.mean_Bps",
        "Egress per node",
        "kB/s per node (mean)",
        1e-3,
        false,
    ),
    (
        "bandwidth.in.duplicate.mean_Bps",
        "Duplicate payload in",
        "kB/s per node (mean)",
        1e-3,
        false,
    ),
    (
        "bandwidth.in.ihave.mean_Bps",
        "IHAVE in",
        "kB/s per node (mean)",
        1e-3,
        false,
    ),
    (
        "bandwidth.in.idontwant.mean_Bps",
        "IDONTWANT in",
        "kB/s per node (mean)",
        1e-3,
        false,
    ),
    (
        "duplicates.per_message_per_node",
        "Duplicates per message per node",
        "copies",
        1.0,
        false,
    ),
    (
        "latency.p95_ms",
        "First-arrival latency, p95",
        "ms",
        1.0,
        false,
    ),
    (
        "delivery.ratio",
        "Delivery ratio",
        "delivered / expected",
        1.0,
        false,
    ),
];

/// One row of sweep-stats.csv.
struct Stat {
    point: usize,
    mean: f64,
    min: f64,
    max: f64,
    lo: Option<f64>,
    hi: Option<f64>,
    n: usize,
}

struct Sweep {
    /// The columns of set keys, in order.
    keys: Vec<String>,
    /// Per point: its value of each key.
    values: BTreeMap<usize, Vec<String>>,
    /// Per point: its first seed and run id (sweep.csv's first row of the point).
    first: BTreeMap<usize, (String, String)>,
    stats: BTreeMap<String, Vec<Stat>>,
    seeds: Vec<String>,
    runs: usize,
}

fn read(dir: &Path) -> Result<Sweep, ReportError> {
    let path = dir.join("sweep.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| invalid!("{}: {e}", path.display()))?;
    let head = r
        .headers()
        .map_err(|e| invalid!("{}: {e}", path.display()))?
        .clone();
    let seed_col = head
        .iter()
        .position(|h| h == "seed")
        .ok_or_else(|| invalid!("{}: no column `seed`", path.display()))?;
    if head.get(0) != Some("point") || head.get(seed_col + 1) != Some("run_id") {
        return Err(invalid!(
            "{}: not a sweep table (expected point, the set keys, seed, run_id, metrics)",
            path.display()
        ));
    }
    let keys: Vec<String> = head
        .iter()
        .skip(1)
        .take(seed_col - 1)
        .map(str::to_string)
        .collect();
    let mut values = BTreeMap::new();
    let mut first = BTreeMap::new();
    let mut seeds: Vec<String> = Vec::new();
    let mut runs = 0;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| invalid!("{}: {e}", path.display()))?;
        let point: usize = rec[0].parse().map_err(|_| {
            invalid!(
                "{}:{}: point \"{}\" is not a number",
                path.display(),
                i + 2,
                &rec[0]
            )
        })?;
        values.entry(point).or_insert_with(|| {
            rec.iter()
                .skip(1)
                .take(keys.len())
                .map(str::to_string)
                .collect()
        });
        first
            .entry(point)
            .or_insert_with(|| (rec[seed_col].to_string(), rec[seed_col + 1].to_string()));
        if !seeds.iter().any(|s| s == &rec[seed_col]) {
            seeds.push(rec[seed_col].to_string());
        }
        runs += 1;
    }
    let stats = read_stats(dir, &values)?;
    Ok(Sweep {
        keys,
        values,
        first,
        stats,
        seeds,
        runs,
    })
}

/// `sweep-stats.csv`: per metric, each point's statistics (every point one of `values`').
fn read_stats(
    dir: &Path,
    values: &BTreeMap<usize, Vec<String>>,
) -> Result<BTreeMap<String, Vec<Stat>>, ReportError> {
    let path = dir.join("sweep-stats.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| invalid!("{}: {e}", path.display()))?;
    let h = r
        .headers()
        .map_err(|e| invalid!("{}: {e}", path.display()))?
        .clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .ok_or_else(|| invalid!("{}: no column `{n}`", path.display()))
    };
    let (m, n, mean, min, max, lo, hi) = (
        col("metric")?,
        col("n")?,
        col("mean")?,
        col("min")?,
        col("max")?,
        col("ci95_low")?,
        col("ci95_high")?,
    );
    let mut stats: BTreeMap<String, Vec<Stat>> = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| invalid!("{}: {e}", path.display()))?;
        let bad = || invalid!("{}:{}: not a number", path.display(), i + 2);
        let f = |c: usize| rec[c].parse::<f64>().map_err(|_| bad());
        let opt = |c: usize| rec[c].parse::<f64>().ok();
        let point: usize = rec[0].parse().map_err(|_| bad())?;
        if !values.contains_key(&point) {
            return Err(invalid!(
                "{}:{}: point {point} is not in sweep.csv",
                path.display(),
                i + 2
            ));
        }
        stats.entry(rec[m].to_string()).or_default().push(Stat {
            point,
            n: rec[n].parse().map_err(|_| bad())?,
            mean: f(mean)?,
            min: f(min)?,
            max: f(max)?,
            lo: opt(lo),
            hi: opt(hi),
        });
    }
    Ok(stats)
}

/// A value as a number: plain, or a size ("10KB").
fn number(v: &str) -> Option<f64> {
    v.parse::<f64>()
        .ok()
        .or_else(|| crate::units::parse_size(v).ok().map(|b| b as f64))
}

impl Sweep {
    /// Keys that vary on their own: not constant, and not a one-to-one image of an earlier
    /// key (the keys moving with an axis).
    fn axes(&self) -> Vec<usize> {
        let mut axes: Vec<usize> = Vec::new();
        for k in 0..self.keys.len() {
            let col: Vec<&str> = self.values.values().map(|v| v[k].as_str()).collect();
            let distinct: std::collections::BTreeSet<&str> = col.iter().copied().collect();
            if distinct.len() < 2 {
                continue;
            }
            let follows = axes.iter().any(|&a| {
                let mut map: BTreeMap<&str, &str> = BTreeMap::new();
                self.values
                    .values()
                    .all(|v| *map.entry(v[a].as_str()).or_insert(v[k].as_str()) == v[k])
            });
            if !follows {
                axes.push(k);
            }
        }
        axes
    }

    fn numeric(&self, k: usize) -> bool {
        self.values.values().all(|v| number(&v[k]).is_some())
    }
}

/// The sweep's page.
pub(super) fn page(dir: &Path) -> Result<Page, ReportError> {
    let s = read(dir)?;
    let axes = s.axes();
    let model = model_ingress(dir, &s)?;
    let mut figures = Figures::default();
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>{} point(s) × seed(s) {} = {} run(s). Error bars: the spread over seeds (min to max); the tables give the 95% confidence interval of the mean (Student's t).</p>",
        s.values.len(),
        esc(&s.seeds.join(", ")),
        s.runs,
    );
    body.push_str("<h2>Points</h2>\n");
    let mut rows = Vec::new();
    for (p, v) in &s.values {
        let mut r = vec![p.to_string()];
        r.extend(v.iter().map(|x| esc(x)));
        let (seed, id) = &s.first[p];
        r.push(format!("{} · <code>{}</code>", esc(seed), esc(id)));
        rows.push(r);
    }
    let mut head: Vec<&str> = vec!["point"];
    head.extend(s.keys.iter().map(|k| short_key(k)));
    head.push("first seed · run id");
    body.push_str(&table(&head, &rows));
    for &(metric, title, unit, scale, has_model) in METRICS {
        let Some(stats) = s.stats.get(metric) else {
            continue;
        };
        let _ = writeln!(body, "<h2>{}</h2>", esc(title));
        for &a in axes.iter().filter(|&&a| s.numeric(a)) {
            let c = chart(
                &s,
                &axes,
                a,
                metric,
                title,
                unit,
                scale,
                stats,
                has_model.then_some(&model),
            );
            let cap = format!(
                "{title} against {}, one line per value of the other axes{}.",
                s.keys[a],
                if has_model {
                    "; dashed: the analytical model (2023, its default case)"
                } else {
                    ""
                }
            );
            body.push_str(&figures.add(c, &cap)?);
        }
        body.push_str(&stats_table(&s, stats, unit, scale));
    }
    let base = s
        .first
        .keys()
        .next()
        .and_then(|&p| {
            std::fs::read_to_string(run_dir(dir, &s, p).join("scenario.resolved.toml")).ok()
        })
        .and_then(|t| scenario_name(&t))
        .unwrap_or_else(|| "?".into());
    let axes_named: Vec<&str> = axes.iter().map(|&a| s.keys[a].as_str()).collect();
    Ok(Page {
        html: html(
            &format!(
                "gossipsim sweep report: {base} over {}",
                axes_named.join(" × ")
            ),
            &body,
        ),
        figures,
    })
}

/// The folder of point `p`'s first run (the layout `gossipsim sweep` writes).
fn run_dir(dir: &Path, s: &Sweep, p: usize) -> PathBuf {
    // Point folders are numbered to the width of the largest point of the sweep, which
    // sweep.csv does not hold when the last points are missing.
    let seed = format!("seed-{}", s.first[&p].0);
    let at = |width: usize| dir.join(format!("p{p:0width$}")).join(&seed);
    (2..=6)
        .map(at)
        .find(|d| d.is_dir())
        .unwrap_or_else(|| at(2))
}

/// The model's per-node ingress of each point, B/s, from its first run's folder.
fn model_ingress(dir: &Path, s: &Sweep) -> Result<BTreeMap<usize, f64>, ReportError> {
    let mut out = BTreeMap::new();
    for p in s.first.keys() {
        let c = compare::compare(
            &run_dir(dir, s, *p),
            crate::model::Version::V2023,
            None,
            0.05,
        )?;
        let mbh: f64 = c
            .rows
            .iter()
            .filter(|r| r.metric.starts_with("topic:") && r.kind == "total" && r.direction == "in")
            .map(|r| r.model)
            .sum();
        out.insert(*p, mbh * 1e6 / 3600.0);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments, reason = "one figure's every input, named")]
fn chart(
    s: &Sweep,
    axes: &[usize],
    a: usize,
    metric: &str,
    title: &str,
    unit: &str,
    scale: f64,
    stats: &[Stat],
    model: Option<&BTreeMap<usize, f64>>,
) -> Chart {
    let others: Vec<usize> = axes.iter().copied().filter(|&o| o != a).collect();
    let groups = groups(s, &others);
    let xs: Vec<f64> = s.values.values().filter_map(|v| number(&v[a])).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, 0f64), |(l, h), &x| (l.min(x), h.max(x)));
    let log_x = lo > 0.0 && hi / lo >= 20.0;
    let mut lines = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let mut pts: Vec<(f64, &Stat)> = stats
            .iter()
            .filter(|st| {
                let v = &s.values[&st.point];
                others.iter().zip(g).all(|(&o, x)| &v[o] == x)
            })
            .filter_map(|st| number(&s.values[&st.point][a]).map(|x| (x, st)))
            .collect();
        pts.sort_by(|x, y| x.0.total_cmp(&y.0));
        let name = group_name(s, &others, g);
        lines.push(Line {
            name: name.clone(),
            points: pts.iter().map(|(x, st)| (*x, st.mean * scale)).collect(),
            errors: Some(
                pts.iter()
                    .map(|(_, st)| (st.min * scale, st.max * scale))
                    .collect(),
            ),
            model: false,
            colour: gi,
        });
        if let Some(m) = model {
            lines.push(Line {
                name: format!("{name} (model)"),
                points: pts
                    .iter()
                    .filter_map(|(x, st)| m.get(&st.point).map(|v| (*x, v * scale)))
                    .collect(),
                errors: None,
                model: true,
                colour: gi,
            });
        }
    }
    Chart {
        name: format!("{}-vs-{}", slug(metric), slug(&s.keys[a])),
        title: format!("{title} vs {}", short_key(&s.keys[a])),
        y_label: unit.to_string(),
        y_top: None,
        plot: Plot::Lines {
            x_label: if s.values.values().all(|v| v[a].parse::<f64>().is_ok()) {
                s.keys[a].clone()
            } else {
                format!("{} (bytes)", s.keys[a])
            },
            log_x,
            steps: false,
            markers: true,
            lines,
        },
    }
}

/// The combinations of the other axes' values (`others`), in the order points show them:
/// one line each.
fn groups(s: &Sweep, others: &[usize]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for v in s.values.values() {
        let g: Vec<String> = others.iter().map(|&o| v[o].clone()).collect();
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
}

/// A line's name: its values of the other axes (`others`), or "simulated" when there are
/// none.
fn group_name(s: &Sweep, others: &[usize], g: &[String]) -> String {
    if others.is_empty() {
        return "simulated".to_string();
    }
    others
        .iter()
        .zip(g)
        .map(|(&o, x)| format!("{}={x}", short_key(&s.keys[o])))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last part of a key path (`gossipsub.mesh_n` → `mesh_n`).
fn short_key(k: &str) -> &str {
    k.rsplit('.').next().unwrap_or(k)
}

/// A file-name-safe form of `s`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn stats_table(s: &Sweep, stats: &[Stat], unit: &str, scale: f64) -> String {
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|st| {
            let mut r = vec![st.point.to_string()];
            r.extend(s.values[&st.point].iter().map(|x| esc(x)));
            let d = if scale < 1.0 { 3 } else { 4 };
            r.push(num(st.mean * scale, d));
            r.push(match (st.lo, st.hi) {
                (Some(l), Some(h)) => format!("{} – {}", num(l * scale, d), num(h * scale, d)),
                _ => "—".into(),
            });
            r.push(format!(
                "{} – {}",
                num(st.min * scale, d),
                num(st.max * scale, d)
            ));
            r.push(st.n.to_string());
            r
        })
        .collect();
    let mean = format!("mean ({unit})");
    let mut head: Vec<&str> = vec!["point"];
    head.extend(s.keys.iter().map(|k| short_key(k)));
    head.extend([mean.as_str(), "95% CI", "min – max", "seeds"]);
    table(&head, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_moving_with_an_axis_are_not_axes() {
        let values: BTreeMap<usize, Vec<String>> = [
            (0, ["4", "3", "1000", "x"]),
            (1, ["4", "3", "2000", "x"]),
            (2, ["6", "4", "1000", "x"]),
            (3, ["6", "4", "2000", "x"]),
        ]
        .into_iter()
        .map(|(p, v)| (p, v.iter().map(|s| (*s).to_string()).collect()))
        .collect();
        let s = Sweep {
            keys: vec!["d".into(), "d_low".into(), "nodes".into(), "c".into()],
            values,
            first: BTreeMap::new(),
            stats: BTreeMap::new(),
            seeds: vec![],
            runs: 0,
        };
        assert_eq!(s.axes(), [0, 2]);
        assert_eq!(number("10KB"), Some(10_000.0));
        assert_eq!(number("off"), None);
        assert_eq!(
            slug("bandwidth.in.total.mean_Bps"),
            "bandwidth-in-total-mean-bps"
        );
    }
}
