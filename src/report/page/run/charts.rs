//! The run page's charts: bandwidth by kind and by application class, the CDF of per-node
//! ingress, the latency CDF, delivery per topic and class, and simulated vs model by term.
//! Each is built from the run's rows (`Run`) or the comparison, never from the engine.

use super::super::{Bars, Chart, Line, Plot};
use super::Run;
use crate::metrics::Kind;
use crate::report::compare;

/// Kinds in the house's order, those present only.
fn kinds(r: &Run) -> Vec<&'static str> {
    Kind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|k| r.bandwidth.iter().any(|b| b.kind == *k))
        .collect()
}

pub(super) fn by_kind(r: &Run) -> Chart {
    let secs = r.seconds();
    let sizes = r.class_sizes();
    let of = r.class_of();
    let kinds = kinds(r);
    let mut categories = Vec::new();
    for c in &r.classes {
        for d in ["in", "out"] {
            categories.push(if r.classes.len() > 1 {
                format!("{c} {d}")
            } else {
                d.to_string()
            });
        }
    }
    let mut values = vec![vec![0.0; categories.len()]; kinds.len()];
    for b in &r.bandwidth {
        let (Some(k), Some(&c)) = (
            kinds.iter().position(|k| *k == b.kind),
            of.get(b.node as usize),
        ) else {
            continue;
        };
        let cat = c * 2 + usize::from(b.direction == "out");
        values[k][cat] += b.bytes as f64 / secs / sizes[c].max(1.0) / 1e3;
    }
    Chart {
        name: "bandwidth-by-kind".into(),
        title: "Bandwidth per node by kind".into(),
        y_label: "kB/s per node (mean)".into(),
        y_top: None,
        plot: Plot::Bars {
            categories,
            series: kinds
                .iter()
                .zip(values)
                .map(|(k, v)| Bars {
                    name: (*k).to_string(),
                    values: v,
                })
                .collect(),
            stacked: true,
        },
    }
}

pub(super) fn by_app_class(r: &Run) -> Chart {
    let secs = r.seconds();
    let n = r.nodes.len().max(1) as f64;
    let mut apps: Vec<String> = Vec::new();
    for b in &r.bandwidth {
        if !apps.contains(&b.class) {
            apps.push(b.class.clone());
        }
    }
    apps.sort();
    let mut values = vec![vec![0.0; 2]; apps.len()];
    for b in &r.bandwidth {
        let a = apps
            .iter()
            .position(|a| a == &b.class)
            .expect("listed above");
        values[a][usize::from(b.direction == "out")] += b.bytes as f64 / secs / n / 1e3;
    }
    Chart {
        name: "bandwidth-by-application-class".into(),
        title: "Bandwidth per node by application class".into(),
        y_label: "kB/s per node (mean over all nodes)".into(),
        y_top: None,
        plot: Plot::Bars {
            categories: vec!["in".into(), "out".into()],
            series: apps
                .into_iter()
                .zip(values)
                .map(|(a, v)| Bars { name: a, values: v })
                .collect(),
            stacked: true,
        },
    }
}

pub(super) fn ingress_cdf(r: &Run) -> Chart {
    let secs = r.seconds();
    let of = r.class_of();
    let lines = r
        .classes
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let mut v: Vec<f64> = r
                .nodes
                .iter()
                .filter(|n| of.get(n.node as usize) == Some(&ci))
                .map(|n| n.bytes_in as f64 / secs / 1e3)
                .collect();
            v.sort_by(f64::total_cmp);
            let len = v.len().max(1) as f64;
            Line {
                name: c.clone(),
                points: v
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, (i + 1) as f64 / len))
                    .collect(),
                errors: None,
                model: false,
                colour: ci,
            }
        })
        .collect();
    Chart {
        name: "ingress-cdf".into(),
        title: "Per-node ingress, CDF".into(),
        y_label: "share of nodes".into(),
        y_top: Some(1.0),
        plot: Plot::Lines {
            x_label: "ingress, kB/s".into(),
            log_x: false,
            steps: true,
            markers: false,
            lines,
        },
    }
}

pub(super) fn latency_cdf(r: &Run) -> Chart {
    let mut groups: Vec<(String, String)> = Vec::new();
    for c in &r.cdf {
        let g = (c.topic.clone(), c.node_class.clone());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let lines = groups
        .iter()
        .enumerate()
        .map(|(i, (t, c))| Line {
            name: format!("{t} · {c}"),
            points: r
                .cdf
                .iter()
                .filter(|x| &x.topic == t && &x.node_class == c)
                .map(|x| (x.latency_ms, x.quantile))
                .collect(),
            errors: None,
            model: false,
            colour: i,
        })
        .collect();
    Chart {
        name: "latency-cdf".into(),
        title: "First-arrival latency, CDF".into(),
        y_label: "share of deliveries".into(),
        y_top: Some(1.0),
        plot: Plot::Lines {
            x_label: "latency, ms".into(),
            log_x: false,
            steps: false,
            markers: false,
            lines,
        },
    }
}

pub(super) fn delivery(r: &Run) -> Chart {
    let mut topics: Vec<String> = Vec::new();
    for d in &r.delivery {
        if !topics.contains(&d.topic) {
            topics.push(d.topic.clone());
        }
    }
    let series = r
        .classes
        .iter()
        .map(|c| Bars {
            name: c.clone(),
            values: topics
                .iter()
                .map(|t| {
                    r.delivery
                        .iter()
                        .find(|d| &d.topic == t && &d.node_class == c && d.expected > 0)
                        .map_or(0.0, |d| d.delivery_ratio)
                })
                .collect(),
        })
        .collect();
    Chart {
        name: "delivery".into(),
        title: "Delivery per topic".into(),
        y_label: "delivered / expected".into(),
        y_top: Some(1.0),
        plot: Plot::Bars {
            categories: topics,
            series,
            stacked: false,
        },
    }
}

/// The model's terms, summed over topics: (term, simulated, model) in MB/h per node.
fn terms(c: &compare::Comparison) -> Vec<(String, f64, f64)> {
    let mut out: Vec<(String, f64, f64)> = Vec::new();
    for row in c.rows.iter().filter(|r| r.metric.starts_with("topic:")) {
        if row.kind == "messages" || row.kind == "total" {
            continue;
        }
        match out.iter_mut().find(|t| t.0 == row.kind) {
            Some(t) => {
                t.1 += row.simulated;
                t.2 += row.model;
            }
            None => out.push((row.kind.clone(), row.simulated, row.model)),
        }
    }
    out
}

pub(super) fn model_terms(c: &compare::Comparison) -> Chart {
    let t = terms(c);
    Chart {
        name: "model-terms".into(),
        title: "Simulated vs model, term by term".into(),
        y_label: "MB/h per node (ingress)".into(),
        y_top: None,
        plot: Plot::Bars {
            categories: t.iter().map(|x| x.0.clone()).collect(),
            series: vec![
                Bars {
                    name: "simulated".into(),
                    values: t.iter().map(|x| x.1).collect(),
                },
                Bars {
                    name: "model".into(),
                    values: t.iter().map(|x| x.2).collect(),
                },
            ],
            stacked: false,
        },
    }
}
