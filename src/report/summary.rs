//! The run summary: per-node bandwidth (mean, p50, p99, max) by kind and by class, delivery,
//! latency, duplicates, mesh degree, connections, and the byte-conservation check. Rendered as
//! text for the terminal and as rows for `summary.csv`.

use crate::ids::{ClassId, PeerId};
use crate::metrics::{Direction, Kind};
use crate::scenario::Scenario;
use crate::sim::RunOutput;
use std::fmt::Write;

pub struct SummaryRow {
    pub metric: String,
    pub value: String,
}

pub struct Summary {
    pub rows: Vec<SummaryRow>,
    pub text: String,
}

/// (mean, p50, p99, max) of `v`, nearest-rank percentiles.
fn dist(mut v: Vec<f64>) -> [f64; 4] {
    if v.is_empty() {
        return [0.0; 4];
    }
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    [
        v.iter().sum::<f64>() / v.len() as f64,
        pct(0.50),
        pct(0.99),
        v[v.len() - 1],
    ]
}

impl Summary {
    pub fn new(sc: &Scenario, out: &RunOutput) -> Summary {
        let mut rows = Vec::new();
        let mut text = String::new();
        let mut row = |m: String, v: String| {
            rows.push(SummaryRow {
                metric: m,
                value: v,
            })
        };
        let secs = sc.duration.as_secs_f64();
        let n = sc.nodes;
        let rate = |b: u64| b as f64 / secs;
        let measured: Vec<usize> = (0..out.delivery.msgs.len())
            .filter(|&i| out.delivery.msgs[i].measured)
            .collect();

        let _ = writeln!(
            text,
            "gossipsim · {} · seed {} · {} nodes · preset {} · measured {} after {} warm-up",
            sc.name, sc.seed, n, sc.preset, sc.duration, sc.warmup
        );
        row("nodes".into(), n.to_string());
        row("measure_seconds".into(), format!("{secs:.3}"));
        row("messages_measured".into(), measured.len().to_string());
        row("events".into(), out.events.to_string());

        // Bandwidth per node, by kind, in and out.
        let _ = writeln!(text, "\nper-node bandwidth (kB/s = 1000 B/s)      mean       p50       p99       max    mean Mbit/s");
        for dir in [Direction::In, Direction::Out] {
            let per_node = |pred: &dyn Fn(Kind) -> bool| -> Vec<f64> {
                (0..n)
                    .map(|v| rate(out.acct.node_bytes(PeerId(v), dir, pred)))
                    .collect()
            };
            let mut lines = vec![("total".to_string(), dist(per_node(&|_| true)))];
            for k in Kind::ALL {
                // Every kind gets its rows, zeros included, so that the set of metrics never
                // depends on the run (baselines pin them); the text skips the empty ones.
                lines.push((k.name().to_string(), dist(per_node(&|x| x == k))));
            }
            for (c, tc) in sc.traffic.iter().enumerate() {
                let class = ClassId(c as u16);
                let v: Vec<f64> = (0..n)
                    .map(|p| {
                        rate(
                            out.acct
                                .node_cells(PeerId(p))
                                .filter(|(d, _, cl, ..)| *d == dir && *cl == Some(class))
                                .map(|(.., c)| c.bytes)
                                .sum(),
                        )
                    })
                    .collect();
                lines.push((format!("class {}", tc.name), dist(v)));
            }
            for (label, d) in lines {
                let key = label.replace("class ", "class.");
                let empty_kind = d[3] == 0.0 && Kind::ALL.iter().any(|k| k.name() == label);
                if !empty_kind {
                    let _ = writeln!(
                        text,
                        "  {:<4} {:<28} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>12.4}",
                        dir.name(),
                        label,
                        d[0] / 1e3,
                        d[1] / 1e3,
                        d[2] / 1e3,
                        d[3] / 1e3,
                        d[0] * 8.0 / 1e6
                    );
                }
                for (stat, x) in ["mean", "p50", "p99", "max"].iter().zip(d) {
                    row(
                        format!("bandwidth.{}.{}.{}_Bps", dir.name(), key, stat),
                        format!("{x:.3}"),
                    );
                }
            }
        }

        // Delivery and latency of measured messages.
        let (mut exp, mut del, mut full, mut dups) = (0u64, 0u64, 0usize, 0u64);
        for &i in &measured {
            let s = &out.delivery.msgs[i];
            exp += u64::from(s.expected);
            del += u64::from(s.delivered);
            dups += s.duplicates;
            full += usize::from(s.delivered >= s.expected);
        }
        let ratio = if exp == 0 {
            1.0
        } else {
            del as f64 / exp as f64
        };
        let h = &out.delivery.latency_us;
        let ms = |q: f64| {
            if h.is_empty() {
                0.0
            } else {
                h.value_at_quantile(q) as f64 / 1e3
            }
        };
        let hop_n: u64 = out.delivery.hops.iter().sum();
        let hop_mean = if hop_n == 0 {
            0.0
        } else {
            out.delivery
                .hops
                .iter()
                .enumerate()
                .map(|(k, &c)| k as u64 * c)
                .sum::<u64>() as f64
                / hop_n as f64
        };
        let dup_per = if del == 0 {
            0.0
        } else {
            dups as f64 / del as f64
        };
        let _ = writeln!(text, "\ndelivery   ratio {ratio:.6} ({del} of {exp} expected deliveries; {full} of {} messages reached everyone)", measured.len());
        let _ = writeln!(
            text,
            "latency    p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms · max {:.1} ms (first arrival)",
            ms(0.5),
            ms(0.95),
            ms(0.99),
            if h.is_empty() {
                0.0
            } else {
                h.max() as f64 / 1e3
            }
        );
        let _ = writeln!(
            text,
            "hops       mean {hop_mean:.3} · max {}",
            out.delivery.hops.len().saturating_sub(1)
        );
        let _ = writeln!(
            text,
            "duplicates {dup_per:.3} per message per receiving node"
        );
        row("delivery.ratio".into(), format!("{ratio:.6}"));
        row("delivery.messages_complete".into(), full.to_string());
        for (q, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
            row(format!("latency.{name}_ms"), format!("{:.3}", ms(q)));
        }
        row(
            "latency.max_ms".into(),
            format!(
                "{:.3}",
                if h.is_empty() {
                    0.0
                } else {
                    h.max() as f64 / 1e3
                }
            ),
        );
        row("hops.mean".into(), format!("{hop_mean:.4}"));
        row(
            "hops.max".into(),
            out.delivery.hops.len().saturating_sub(1).to_string(),
        );
        row(
            "duplicates.per_message_per_node".into(),
            format!("{dup_per:.4}"),
        );

        // Mesh and connections.
        for (t, topic) in sc.topics.iter().enumerate() {
            let degs: Vec<f64> = (0..n as usize)
                .filter(|&v| out.world.subscribed[t][v])
                .map(|v| f64::from(out.mesh[v][t].0))
                .collect();
            let d = dist(degs.clone());
            let min = degs.iter().copied().fold(f64::INFINITY, f64::min);
            let _ = writeln!(
                text,
                "mesh       {}: degree mean {:.3} · min {} · max {}",
                topic.name,
                d[0],
                if min.is_finite() { min } else { 0.0 },
                d[3]
            );
            row(
                format!("mesh.{}.degree_mean", topic.name),
                format!("{:.4}", d[0]),
            );
            row(
                format!("mesh.{}.degree_min", topic.name),
                format!("{}", if min.is_finite() { min } else { 0.0 }),
            );
            row(
                format!("mesh.{}.degree_max", topic.name),
                format!("{}", d[3]),
            );
        }
        let degs: Vec<f64> = out.world.degrees.iter().map(|&d| f64::from(d)).collect();
        let dmin = out.world.degrees.iter().min().copied().unwrap_or(0);
        let d = dist(degs);
        let _ = writeln!(
            text,
            "connections mean {:.3} · min {dmin} · max {} · components {}",
            d[0], d[3], out.world.components
        );
        row("connections.mean".into(), format!("{:.4}", d[0]));
        row("connections.min".into(), dmin.to_string());
        row("connections.max".into(), format!("{}", d[3]));
        row(
            "connections.components".into(),
            out.world.components.to_string(),
        );
        let mut hist = std::collections::BTreeMap::new();
        for &d in &out.world.degrees {
            *hist.entry(d).or_insert(0u32) += 1;
        }
        for (d, c) in hist {
            row(format!("connections.degree_{d}"), c.to_string());
        }

        // Conservation over the whole run.
        let a = &out.acct;
        let balanced = a.sent_total == a.received_total + a.dropped_total + out.in_flight_end;
        let _ = writeln!(
            text,
            "bytes      sent {} = received {} + dropped {} + in flight {} ({})",
            a.sent_total,
            a.received_total,
            a.dropped_total,
            out.in_flight_end,
            if balanced { "balanced" } else { "NOT BALANCED" }
        );
        row("bytes.sent".into(), a.sent_total.to_string());
        row("bytes.received".into(), a.received_total.to_string());
        row("bytes.dropped".into(), a.dropped_total.to_string());
        row("bytes.in_flight_end".into(), out.in_flight_end.to_string());
        Summary { rows, text }
    }
}
