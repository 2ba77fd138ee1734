//! The run summary: per-node bandwidth (mean, p50, p99, max) by kind and by class, delivery,
//! latency, duplicates, mesh degree, connections, and the byte-conservation check. Rendered as
//! text for the terminal and as rows for `summary.csv`, section by section: each value is
//! computed once and written to both.

use crate::ids::{ClassId, PeerId};
use crate::metrics::{Direction, Group, Kind, KINDS};
use crate::scenario::Scenario;
use crate::sim::RunOutput;
use hdrhistogram::Histogram;
use std::fmt::Write;

pub struct SummaryRow {
    pub metric: String,
    pub value: String,
}

pub struct Summary {
    pub rows: Vec<SummaryRow>,
    pub text: String,
}

/// Delivered over expected (1 when nothing was expected).
pub(crate) fn ratio(delivered: u64, expected: u64) -> f64 {
    if expected == 0 {
        1.0
    } else {
        delivered as f64 / expected as f64
    }
}

/// (p50, p95, p99, max) in ms of a histogram in µs (zeros when empty).
pub(crate) fn latency_ms(h: &Histogram<u64>) -> [f64; 4] {
    if h.is_empty() {
        return [0.0; 4];
    }
    let q = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
    [q(0.5), q(0.95), q(0.99), h.max() as f64 / 1e3]
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
        let mut s = Summary {
            rows: Vec::new(),
            text: String::new(),
        };
        let measured: Vec<usize> = (0..out.delivery.msgs.len())
            .filter(|&i| out.delivery.msgs[i].measured)
            .collect();
        s.header(sc, out, measured.len());
        s.bandwidth(sc, out);
        s.delivery(sc, out, &measured);
        s.mesh(sc, out);
        s.connections(out);
        s.stores(sc, out);
        s.conservation(out);
        s
    }

    fn row(&mut self, metric: impl Into<String>, value: impl ToString) {
        self.rows.push(SummaryRow {
            metric: metric.into(),
            value: value.to_string(),
        });
    }

    fn header(&mut self, sc: &Scenario, out: &RunOutput, measured: usize) {
        let _ = writeln!(
            self.text,
            "gossipsim · {} · seed {} · {} nodes · preset {} · measured {} after {} warm-up",
            sc.name, sc.seed, sc.nodes, sc.preset, sc.duration, sc.warmup
        );
        self.row("nodes", sc.nodes);
        self.row(
            "measure_seconds",
            format!("{:.3}", sc.duration.as_secs_f64()),
        );
        self.row("messages_measured", measured);
        self.row("events", out.events);
    }

    /// Bandwidth per node in bytes per second of the window, in and out: in total, by kind
    /// (every kind, zeros included, so that the set of metrics never depends on the run:
    /// baselines pin them; the text skips empty kinds) and by class.
    fn bandwidth(&mut self, sc: &Scenario, out: &RunOutput) {
        let _ = writeln!(self.text, "\nper-node bandwidth (kB/s = 1000 B/s)      mean       p50       p99       max    mean Mbit/s");
        let secs = sc.duration.as_secs_f64();
        let classes = sc.traffic.len();
        // Per node, its bytes by (direction, kind) and (direction, class): one pass each.
        let n = sc.nodes as usize;
        let mut by_kind = vec![[[0u64; KINDS]; 2]; n];
        let mut by_class = vec![[0u64; 2]; n * classes];
        for (v, k) in by_kind.iter_mut().enumerate() {
            for (d, kind, class, _, cnt) in out.acct.node_cells(PeerId(v as u32)) {
                k[d as usize][kind as usize] += cnt.bytes;
                if let Some(ClassId(c)) = class {
                    by_class[v * classes + usize::from(c)][d as usize] += cnt.bytes;
                }
            }
        }
        for dir in [Direction::In, Direction::Out] {
            let d = dir as usize;
            let rate = |b: u64| b as f64 / secs;
            let total = by_kind.iter().map(|k| rate(k[d].iter().sum())).collect();
            self.bandwidth_line(dir, "total", "total", dist(total), false);
            for kind in Kind::ALL {
                let v = by_kind.iter().map(|k| rate(k[d][kind as usize])).collect();
                self.bandwidth_line(dir, kind.name(), kind.name(), dist(v), true);
            }
            for (c, tc) in sc.traffic.iter().enumerate() {
                let v = (0..n).map(|v| rate(by_class[v * classes + c][d])).collect();
                let (label, key) = (format!("class {}", tc.name), format!("class.{}", tc.name));
                self.bandwidth_line(dir, &label, &key, dist(v), false);
            }
        }
        if sc.node_classes.len() > 1 {
            self.by_node_class(sc, out, &by_kind);
        }
    }

    /// The same table for each node class apart (only with more than one): what a fleet
    /// node pays against a client. Rows `bandwidth.<dir>.node_class.<name>.<kind>.<stat>_Bps`.
    fn by_node_class(&mut self, sc: &Scenario, out: &RunOutput, by_kind: &[[[u64; KINDS]; 2]]) {
        let _ = writeln!(self.text, "\nper-node bandwidth by node class (kB/s)   mean       p50       p99       max    mean Mbit/s");
        let secs = sc.duration.as_secs_f64();
        let rate = |b: u64| b as f64 / secs;
        for (c, nc) in sc.node_classes.iter().enumerate() {
            let members: Vec<&[[u64; KINDS]; 2]> = by_kind
                .iter()
                .zip(&out.world.node_class)
                .filter(|(_, &k)| usize::from(k) == c)
                .map(|(b, _)| b)
                .collect();
            for dir in [Direction::In, Direction::Out] {
                let d = dir as usize;
                let total = members.iter().map(|k| rate(k[d].iter().sum())).collect();
                let (label, key) = (
                    format!("{} total", nc.name),
                    format!("node_class.{}.total", nc.name),
                );
                self.bandwidth_line(dir, &label, &key, dist(total), false);
                for kind in Kind::ALL {
                    let v = members.iter().map(|k| rate(k[d][kind as usize])).collect();
                    let label = format!("{} {}", nc.name, kind.name());
                    let key = format!("node_class.{}.{}", nc.name, kind.name());
                    self.bandwidth_line(dir, &label, &key, dist(v), true);
                }
            }
        }
    }

    /// One line of the bandwidth table and its four rows; `skip_empty`: no line if it is all
    /// zeros (the rows stay).
    fn bandwidth_line(
        &mut self,
        dir: Direction,
        label: &str,
        key: &str,
        d: [f64; 4],
        skip_empty: bool,
    ) {
        if !(skip_empty && d[3] == 0.0) {
            let _ = writeln!(
                self.text,
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
            let metric = format!("bandwidth.{}.{}.{}_Bps", dir.name(), key, stat);
            self.row(metric, format!("{x:.3}"));
        }
    }

    /// Delivery, first-arrival latency, hops and duplicates of the measured messages.
    fn delivery(&mut self, sc: &Scenario, out: &RunOutput, measured: &[usize]) {
        let (mut exp, mut del, mut full, mut dups) = (0u64, 0u64, 0usize, 0u64);
        for &i in measured {
            let s = &out.delivery.msgs[i];
            exp += u64::from(s.expected);
            del += u64::from(s.delivered);
            dups += s.duplicates;
            full += usize::from(s.delivered >= s.expected);
        }
        let ratio = ratio(del, exp);
        let all = Group::sum(&out.delivery.groups);
        let [p50, p95, p99, max_ms] = latency_ms(&all.latency_us());
        let hops = &out.delivery.hops;
        let hop_n: u64 = hops.iter().sum();
        let hop_sum: u64 = hops.iter().enumerate().map(|(k, &c)| k as u64 * c).sum();
        let hop_mean = if hop_n == 0 {
            0.0
        } else {
            hop_sum as f64 / hop_n as f64
        };
        let hop_max = hops.len().saturating_sub(1);
        let dup_per = if del == 0 {
            0.0
        } else {
            dups as f64 / del as f64
        };
        let _ = writeln!(self.text, "\ndelivery   ratio {ratio:.6} ({del} of {exp} expected deliveries; {full} of {} messages reached everyone)", measured.len());
        let _ = writeln!(
            self.text,
            "latency    p50 {p50:.1} ms · p95 {p95:.1} ms · p99 {p99:.1} ms · max {max_ms:.1} ms (first arrival)"
        );
        let _ = writeln!(self.text, "hops       mean {hop_mean:.3} · max {hop_max}");
        let _ = writeln!(
            self.text,
            "duplicates {dup_per:.3} per message per receiving node"
        );
        self.row("delivery.ratio", format!("{ratio:.6}"));
        self.row("delivery.messages_complete", full);
        for (name, v) in [("p50", p50), ("p95", p95), ("p99", p99), ("max", max_ms)] {
            self.row(format!("latency.{name}_ms"), format!("{v:.3}"));
        }
        self.row("hops.mean", format!("{hop_mean:.4}"));
        self.row("hops.max", hop_max);
        self.row("duplicates.per_message_per_node", format!("{dup_per:.4}"));
        self.delivery_by(sc, out);
    }

    /// Delivery and latency per topic and per receiver class (the text only where there
    /// is more than one): a shard that breaks up, or light clients served late, cannot hide
    /// in the run-wide ratio.
    fn delivery_by(&mut self, sc: &Scenario, out: &RunOutput) {
        let d = &out.delivery;
        let classes = sc.node_classes.len();
        let topic = |t: usize| (0..classes).map(move |c| &d.groups[d.group(t, c)]);
        let class = |c: usize| (0..sc.topics.len()).map(move |t| &d.groups[d.group(t, c)]);
        for (t, spec) in sc.topics.iter().enumerate() {
            let line = sc.topics.len() > 1;
            self.delivery_line(line, "topic", &spec.name, topic(t));
        }
        for (c, nc) in sc.node_classes.iter().enumerate() {
            self.delivery_line(classes > 1, "node_class", &nc.name, class(c));
        }
    }

    /// Delivery ratio and latency of `groups` together, as rows `delivery.<what>.<name>.*`
    /// and `latency.<what>.<name>.*`, and a line of text if `line`.
    fn delivery_line<'a>(
        &mut self,
        line: bool,
        what: &str,
        name: &str,
        groups: impl Iterator<Item = &'a Group>,
    ) {
        let g = Group::sum(groups);
        let (exp, del) = (g.expected, g.delivered);
        let ratio = ratio(del, exp);
        let [p50, p95, p99, max] = latency_ms(&g.latency_us());
        if line {
            let label = format!("{} {name}", what.replace('_', " "));
            let _ = writeln!(
                self.text,
                "  {label:<30} ratio {ratio:.6} ({del} of {exp}) · latency p50 {p50:.1} · p95 {p95:.1} · p99 {p99:.1} · max {max:.1} ms"
            );
        }
        self.row(
            format!("delivery.{what}.{name}.ratio"),
            format!("{ratio:.6}"),
        );
        self.row(format!("delivery.{what}.{name}.expected"), exp);
        for (stat, v) in [("p50", p50), ("p95", p95), ("p99", p99), ("max", max)] {
            self.row(
                format!("latency.{what}.{name}.{stat}_ms"),
                format!("{v:.3}"),
            );
        }
    }

    /// Mesh degree of each topic's subscribers at the end.
    fn mesh(&mut self, sc: &Scenario, out: &RunOutput) {
        for (t, topic) in sc.topics.iter().enumerate() {
            let degs: Vec<f64> = (0..sc.nodes as usize)
                .filter(|&v| out.world.relaying[t][v])
                .map(|v| f64::from(out.mesh[v][t].0))
                .collect();
            let min = degs.iter().copied().fold(f64::INFINITY, f64::min);
            let min = if min.is_finite() { min } else { 0.0 };
            let degs_len = degs.len();
            let d = dist(degs);
            let _ = writeln!(
                self.text,
                "mesh       {}: degree mean {:.3} · min {min} · max {}",
                topic.name, d[0], d[3]
            );
            self.row(
                format!("mesh.{}.degree_mean", topic.name),
                format!("{:.4}", d[0]),
            );
            self.row(format!("mesh.{}.degree_min", topic.name), min);
            self.row(format!("mesh.{}.degree_max", topic.name), d[3]);
            let (nodes, conn, mesh) = (
                degs_len,
                out.world.topic_components[t],
                out.mesh_components[t],
            );
            let _ = writeln!(
                self.text,
                "           {}: {nodes} relays · {conn} connection component(s) · {mesh} mesh component(s){}",
                topic.name,
                if mesh > 1 { " (the topic's mesh is split)" } else { "" }
            );
            self.row(format!("mesh.{}.nodes", topic.name), nodes);
            self.row(format!("mesh.{}.connection_components", topic.name), conn);
            self.row(format!("mesh.{}.components", topic.name), mesh);
        }
    }

    /// Connections per relay (light clients have none): mean, min, max, components, and the
    /// degree histogram.
    fn connections(&mut self, out: &RunOutput) {
        let degrees: Vec<u32> = (out.world.degrees.iter().zip(&out.world.relay))
            .filter(|(_, &r)| r)
            .map(|(&d, _)| d)
            .collect();
        let degrees = &degrees;
        let dmin = degrees.iter().min().copied().unwrap_or(0);
        let d = dist(degrees.iter().map(|&d| f64::from(d)).collect());
        let components = out.world.components;
        let _ = writeln!(
            self.text,
            "connections mean {:.3} · min {dmin} · max {} · components {components}",
            d[0], d[3]
        );
        self.row("connections.mean", format!("{:.4}", d[0]));
        self.row("connections.min", dmin);
        self.row("connections.max", d[3]);
        self.row("connections.components", components);
        let mut hist = std::collections::BTreeMap::new();
        for &d in degrees {
            *hist.entry(d).or_insert(0u32) += 1;
        }
        for (d, c) in hist {
            self.row(format!("connections.degree_{d}"), c);
        }
    }

    /// Per store class: its nodes' archives at the end and the queries they answered, mean
    /// per node (pages and hashes per measured second).
    fn stores(&mut self, sc: &Scenario, out: &RunOutput) {
        let secs = sc.duration.as_secs_f64();
        for (k, class) in sc.node_classes.iter().enumerate() {
            if class.role.word() != crate::scenario::RoleWord::Store {
                continue;
            }
            let mine: Vec<_> = out
                .stores
                .iter()
                .filter(|s| usize::from(out.world.node_class[s.node.idx()]) == k)
                .collect();
            let n = mine.len().max(1) as f64;
            let mean = |f: fn(&crate::sim::StoreLoad) -> u64| {
                mine.iter().map(|s| f(s) as f64).sum::<f64>() / n
            };
            let archived = mean(|s| s.archived);
            let pages = mean(|s| s.pages) / secs;
            let hashes = mean(|s| s.hashes) / secs;
            let _ = writeln!(
                self.text,
                "store      {}: {} node(s) · archive {archived:.1} messages each at the end · answers {pages:.3} pages/s ({hashes:.1} hashes/s) each",
                class.name,
                mine.len()
            );
            let name = &class.name;
            self.row(format!("store.{name}.nodes"), mine.len());
            self.row(format!("store.{name}.archived"), format!("{archived:.1}"));
            self.row(format!("store.{name}.pages_per_s"), format!("{pages:.4}"));
            self.row(format!("store.{name}.hashes_per_s"), format!("{hashes:.3}"));
        }
    }

    /// Conservation over the whole run: sent = received + dropped + in flight at the end.
    fn conservation(&mut self, out: &RunOutput) {
        let a = &out.acct;
        let balanced = a.sent_total == a.received_total + a.dropped_total + out.in_flight_end;
        let _ = writeln!(
            self.text,
            "bytes      sent {} = received {} + dropped {} + in flight {} ({})",
            a.sent_total,
            a.received_total,
            a.dropped_total,
            out.in_flight_end,
            if balanced { "balanced" } else { "NOT BALANCED" }
        );
        self.row("bytes.sent", a.sent_total);
        self.row("bytes.received", a.received_total);
        self.row("bytes.dropped", a.dropped_total);
        self.row("bytes.in_flight_end", out.in_flight_end);
    }
}
