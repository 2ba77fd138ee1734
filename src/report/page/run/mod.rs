//! One run's page: its key numbers and per-class table, bandwidth by kind (stacked, in and out,
//! per node class), by application class, the CDF of per-node ingress, the first-arrival
//! latency CDF and delivery per topic, simulated vs model term by term, and the resolved
//! scenario. Reads the run's CSV files only; the model side is `compare`'s, on the same files.
//! The charts are built in `charts`.

mod charts;

use super::{esc, html, num, rows, scenario_name, table, Figures, Page};
use crate::report::{compare, ReportError};
use charts::{by_app_class, by_kind, delivery, ingress_cdf, latency_cdf, model_terms};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(serde::Deserialize)]
struct SummaryRow {
    seed: u64,
    run_id: String,
    metric: String,
    value: f64,
}

#[derive(serde::Deserialize)]
struct NodeRow {
    node: u32,
    class: String,
    bytes_in: u64,
    bytes_out: u64,
}

#[derive(serde::Deserialize)]
struct BandwidthRow {
    node: u32,
    direction: String,
    kind: String,
    class: String,
    bytes: u64,
}

#[derive(serde::Deserialize)]
struct DeliveryRow {
    topic: String,
    node_class: String,
    receivers: u32,
    expected: u64,
    delivered: u64,
    delivery_ratio: f64,
    latency_p50_ms: f64,
    latency_p95_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
}

#[derive(serde::Deserialize)]
struct CdfRow {
    topic: String,
    node_class: String,
    quantile: f64,
    latency_ms: f64,
}

/// What the page is built from.
struct Run {
    summary: BTreeMap<String, f64>,
    seed: u64,
    run_id: String,
    nodes: Vec<NodeRow>,
    bandwidth: Vec<BandwidthRow>,
    delivery: Vec<DeliveryRow>,
    cdf: Vec<CdfRow>,
    resolved: String,
    /// Node classes in the order nodes.csv first names them.
    classes: Vec<String>,
}

impl Run {
    fn read(dir: &Path) -> Result<Run, ReportError> {
        let summary: Vec<SummaryRow> = rows(dir, "summary.csv")?;
        let Some(first) = summary.first() else {
            return Err(crate::report::invalid!(
                "{}: no rows",
                dir.join("summary.csv").display()
            ));
        };
        let (seed, run_id) = (first.seed, first.run_id.clone());
        let nodes: Vec<NodeRow> = rows(dir, "nodes.csv")?;
        let mut classes: Vec<String> = Vec::new();
        for n in &nodes {
            if !classes.contains(&n.class) {
                classes.push(n.class.clone());
            }
        }
        let resolved_path = dir.join("scenario.resolved.toml");
        let resolved = std::fs::read_to_string(&resolved_path)
            .map_err(|e| crate::report::invalid!("{}: {e}", resolved_path.display()))?;
        Ok(Run {
            summary: summary.into_iter().map(|r| (r.metric, r.value)).collect(),
            seed,
            run_id,
            bandwidth: rows(dir, "bandwidth.csv")?,
            delivery: rows(dir, "delivery.csv")?,
            cdf: rows(dir, "latency-cdf.csv")?,
            nodes,
            resolved,
            classes,
        })
    }

    fn metric(&self, m: &str) -> f64 {
        self.summary.get(m).copied().unwrap_or(f64::NAN)
    }

    fn seconds(&self) -> f64 {
        self.metric("measure_seconds").max(1e-9)
    }

    /// Nodes per class, in `classes` order.
    fn class_sizes(&self) -> Vec<f64> {
        self.classes
            .iter()
            .map(|c| self.nodes.iter().filter(|n| &n.class == c).count() as f64)
            .collect()
    }

    fn class_of(&self) -> Vec<usize> {
        let mut of = vec![0; self.nodes.len()];
        for n in &self.nodes {
            if let Some(slot) = of.get_mut(n.node as usize) {
                *slot = self.classes.iter().position(|c| c == &n.class).unwrap_or(0);
            }
        }
        of
    }
}

/// The run's page.
pub(super) fn page(dir: &Path) -> Result<Page, ReportError> {
    let r = Run::read(dir)?;
    let name = scenario_name(&r.resolved).unwrap_or_else(|| "run".into());
    let charts = vec![
        by_kind(&r),
        by_app_class(&r),
        ingress_cdf(&r),
        latency_cdf(&r),
        delivery(&r),
    ];
    let model = compare::compare(dir, crate::model::Version::V2023, None, 0.05)?;
    let model_chart = model_terms(&model);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>Run <code>{}</code> · seed {} · {} nodes · {} s measured · {} messages measured</p>",
        esc(&r.run_id),
        r.seed,
        r.metric("nodes"),
        r.metric("measure_seconds"),
        r.metric("messages_measured"),
    );
    body.push_str("<h2>Key numbers</h2>\n");
    body.push_str(&key_numbers(&r));
    body.push_str("<h2>Bandwidth per node</h2>\n");
    body.push_str(&per_class(&r));
    let captions = [
        "Mean bytes per second per node over the measured window, by kind, for each node class and direction (in = received, out = sent).",
        "Mean bytes per second per node by application class (the traffic class of the message; “-” is gossipsub's own control traffic: GRAFT, PRUNE, SUBSCRIBE).",
        "Share of nodes whose ingress is at most x, per node class.",
        "First-arrival latency over every (message, receiver) of measured messages, per topic and receiver class.",
        "Share of expected deliveries made, per topic and receiver class.",
    ];
    let mut figures = Figures::default();
    for (c, cap) in charts.into_iter().zip(captions) {
        body.push_str(&figures.add(c, cap)?);
    }
    body.push_str("<h2>Delivery and latency</h2>\n");
    body.push_str(&delivery_table(&r));
    body.push_str("<h2>Simulated vs the analytical model</h2>\n");
    let _ = writeln!(
        body,
        "<p>Per-node ingress in MB/h by the model's terms (model 2023, its default case for this scenario), as <code>gossipsim compare</code> computes it from this folder.</p>"
    );
    body.push_str(&figures.add(
        model_chart,
        "Simulated (left) and model (right) per-node ingress by term, all topics.",
    )?);
    body.push_str(&compare_table(&model));
    body.push_str("<h2>Scenario (resolved)</h2>\n");
    let _ = writeln!(body, "<pre>{}</pre>", esc(&r.resolved));
    Ok(Page {
        html: html(&format!("gossipsim report: {name}"), &body),
        figures,
    })
}

fn kb(x: f64) -> String {
    num(x / 1e3, 3)
}

fn key_numbers(r: &Run) -> String {
    let m = |k: &str| r.metric(k);
    let mbit = |x: f64| num(x * 8.0 / 1e6, 3);
    let rows = vec![
        vec![
            "ingress per node, mean".into(),
            kb(m("bandwidth.in.total.mean_Bps")),
            mbit(m("bandwidth.in.total.mean_Bps")),
        ],
        vec![
            "ingress per node, p99".into(),
            kb(m("bandwidth.in.total.p99_Bps")),
            mbit(m("bandwidth.in.total.p99_Bps")),
        ],
        vec![
            "egress per node, mean".into(),
            kb(m("bandwidth.out.total.mean_Bps")),
            mbit(m("bandwidth.out.total.mean_Bps")),
        ],
        vec![
            "egress per node, p99".into(),
            kb(m("bandwidth.out.total.p99_Bps")),
            mbit(m("bandwidth.out.total.p99_Bps")),
        ],
    ];
    let mut t = super::table(&["bandwidth", "kB/s", "Mbit/s"], &rows);
    let other = vec![
        vec!["delivery ratio".into(), num(m("delivery.ratio"), 6)],
        vec![
            "latency p50 / p95 / p99 / max (ms)".into(),
            format!(
                "{} / {} / {} / {}",
                num(m("latency.p50_ms"), 1),
                num(m("latency.p95_ms"), 1),
                num(m("latency.p99_ms"), 1),
                num(m("latency.max_ms"), 1)
            ),
        ],
        vec![
            "hops mean / max".into(),
            format!("{} / {}", num(m("hops.mean"), 3), m("hops.max")),
        ],
        vec![
            "duplicates per message per receiving node".into(),
            num(m("duplicates.per_message_per_node"), 3),
        ],
    ];
    t.push_str(&super::table(&["delivery", "value"], &other));
    t
}

fn per_class(r: &Run) -> String {
    let secs = r.seconds();
    let sizes = r.class_sizes();
    let of = r.class_of();
    let mut body = Vec::new();
    for (ci, c) in r.classes.iter().enumerate() {
        let mut ins: Vec<f64> = Vec::new();
        let mut outs: Vec<f64> = Vec::new();
        for n in r
            .nodes
            .iter()
            .filter(|n| of.get(n.node as usize) == Some(&ci))
        {
            ins.push(n.bytes_in as f64 / secs);
            outs.push(n.bytes_out as f64 / secs);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let p99 = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(((v.len() as f64 * 0.99).ceil() as usize).clamp(1, v.len().max(1)) - 1)
                .copied()
                .unwrap_or(0.0)
        };
        body.push(vec![
            esc(c),
            num(sizes[ci], 0),
            kb(mean(&ins)),
            kb(p99(&mut ins)),
            kb(mean(&outs)),
            kb(p99(&mut outs)),
        ]);
    }
    super::table(
        &[
            "node class",
            "nodes",
            "in mean kB/s",
            "in p99 kB/s",
            "out mean kB/s",
            "out p99 kB/s",
        ],
        &body,
    )
}

fn delivery_table(r: &Run) -> String {
    let body: Vec<Vec<String>> = r
        .delivery
        .iter()
        .filter(|d| d.expected > 0)
        .map(|d| {
            vec![
                esc(&d.topic),
                esc(&d.node_class),
                d.receivers.to_string(),
                d.expected.to_string(),
                d.delivered.to_string(),
                num(d.delivery_ratio, 6),
                num(d.latency_p50_ms, 1),
                num(d.latency_p95_ms, 1),
                num(d.latency_p99_ms, 1),
                num(d.latency_max_ms, 1),
            ]
        })
        .collect();
    table(
        &[
            "topic",
            "receiver class",
            "receivers",
            "expected",
            "delivered",
            "ratio",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
        ],
        &body,
    )
}

fn compare_table(c: &compare::Comparison) -> String {
    let body: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            let e = r.rel_err();
            vec![
                esc(&r.metric),
                esc(&r.kind),
                r.direction.to_string(),
                num(r.simulated, 3),
                num(r.model, 3),
                if e.is_finite() {
                    format!("{:+.1}%", e * 100.0)
                } else {
                    "—".into()
                },
                format!(
                    "<span style=\"text-align:left\">{}</span>",
                    esc(&r.explanation)
                ),
            ]
        })
        .collect();
    table(
        &[
            "metric",
            "term",
            "dir",
            "simulated",
            "model",
            "difference",
            "why",
        ],
        &body,
    )
}
