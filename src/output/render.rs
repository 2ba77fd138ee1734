//! The result files of a run, rendered in memory: one serde row type per CSV file, so that a
//! file's header is its row type's field names and can never fall out of step with its
//! records. Every row starts with the seed and the run id.

use super::{run_id, Summary};
use crate::ids::{ClassId, PeerId, TopicId};
use crate::metrics::Direction;
use crate::scenario::{LatencySpec, Scenario};
use crate::sim::RunOutput;
use serde::Serialize;

/// The columns every file starts with (the csv writer does not take flattened fields, so
/// each row type names them itself).
#[derive(Default, Clone, Copy)]
struct Run<'a> {
    seed: u64,
    run_id: &'a str,
}

/// `summary.csv`: one row per metric.
#[derive(Serialize, Default)]
struct SummaryCsv<'a> {
    seed: u64,
    run_id: &'a str,
    metric: &'a str,
    value: &'a str,
}

/// `nodes.csv`: one row per node.
#[derive(Serialize, Default)]
struct NodeCsv<'a> {
    seed: u64,
    run_id: &'a str,
    node: u32,
    class: &'a str,
    role: &'a str,
    region: &'a str,
    connections: u32,
    outbound: u32,
    bytes_in: u64,
    bytes_out: u64,
    received: u64,
    duplicates: u64,
}

/// `mesh.csv`: one row per node × topic.
#[derive(Serialize, Default)]
struct MeshCsv<'a> {
    seed: u64,
    run_id: &'a str,
    node: usize,
    topic: &'a str,
    subscribed: bool,
    mesh_degree: u32,
    topic_peers: u32,
}

/// `bandwidth.csv`: one row per node × direction × kind × class × topic with counts.
#[derive(Serialize, Default)]
struct BandwidthCsv<'a> {
    seed: u64,
    run_id: &'a str,
    node: u32,
    direction: &'a str,
    kind: &'a str,
    class: &'a str,
    topic: &'a str,
    bytes: u64,
    msgs: u64,
    payload_bytes: u64,
}

/// `latency.csv`: one row per message; fractions with six decimals.
#[derive(Serialize, Default)]
struct LatencyCsv<'a> {
    seed: u64,
    run_id: &'a str,
    msg: u32,
    class: &'a str,
    topic: &'a str,
    publisher: u32,
    published_at_s: String,
    measured: bool,
    payload_bytes: u32,
    expected: u32,
    delivered: u32,
    delivery_ratio: String,
    latency_mean_ms: String,
    latency_max_ms: String,
    hops_mean: String,
    hops_max: u16,
    duplicates: u64,
}

/// `delivery.csv`: one row per topic × receiver class (measured messages only).
#[derive(Serialize, Default)]
struct DeliveryCsv<'a> {
    seed: u64,
    run_id: &'a str,
    topic: &'a str,
    node_class: &'a str,
    receivers: u32,
    expected: u64,
    delivered: u64,
    delivery_ratio: String,
    latency_p50_ms: String,
    latency_p95_ms: String,
    latency_p99_ms: String,
    latency_max_ms: String,
}

/// `latency-cdf.csv`: the first-arrival latency distribution of each topic × receiver class,
/// as its quantiles 0, 0.01, …, 1 (groups without a delivery have no rows).
#[derive(Serialize, Default)]
struct LatencyCdfCsv<'a> {
    seed: u64,
    run_id: &'a str,
    topic: &'a str,
    node_class: &'a str,
    quantile: String,
    latency_ms: String,
}

/// A CSV file of `rows`, its header from the row type (written even when there is no row).
fn csv_of<R: Serialize + Default>(rows: impl IntoIterator<Item = R>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut any = false;
    for r in rows {
        w.serialize(r).expect("writing to memory");
        any = true;
    }
    if !any {
        // The header alone: serialize a row, keep its first line.
        w.serialize(R::default()).expect("writing to memory");
        let bytes = w.into_inner().expect("writing to memory");
        let end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        return bytes[..end].to_vec();
    }
    w.into_inner().expect("writing to memory")
}

fn class_name(sc: &Scenario, c: Option<ClassId>) -> &str {
    c.map_or("-", |c| sc.traffic[c.idx()].name.as_str())
}

fn topic_name(sc: &Scenario, t: Option<TopicId>) -> &str {
    t.map_or("-", |t| sc.topics[t.idx()].name.as_str())
}

fn f6(x: f64) -> String {
    format!("{x:.6}")
}

/// The files of a run's folder, in the order `render_files` gives them.
pub const RESULT_FILES: [&str; 8] = [
    "summary.csv",
    "nodes.csv",
    "mesh.csv",
    "bandwidth.csv",
    "latency.csv",
    "delivery.csv",
    "latency-cdf.csv",
    "scenario.resolved.toml",
];

/// Renders every output file: (file name, contents), named as in [`RESULT_FILES`].
pub fn render_files(
    sc: &Scenario,
    out: &RunOutput,
    summary: &Summary,
) -> Vec<(&'static str, Vec<u8>)> {
    let rid = run_id(sc);
    let run = Run {
        seed: sc.seed,
        run_id: &rid,
    };
    let files = vec![
        ("summary.csv", summary_csv(run, summary)),
        ("nodes.csv", nodes_csv(run, sc, out)),
        ("mesh.csv", mesh_csv(run, sc, out)),
        ("bandwidth.csv", bandwidth_csv(run, sc, out)),
        ("latency.csv", latency_csv(run, sc, out)),
        ("delivery.csv", delivery_csv(run, sc, out)),
        ("latency-cdf.csv", latency_cdf_csv(run, sc, out)),
        (
            "scenario.resolved.toml",
            sc.resolved_toml.as_bytes().to_vec(),
        ),
    ];
    debug_assert!(files.iter().map(|f| f.0).eq(RESULT_FILES));
    files
}

fn summary_csv(run: Run<'_>, summary: &Summary) -> Vec<u8> {
    csv_of(summary.rows.iter().map(|r| SummaryCsv {
        seed: run.seed,
        run_id: run.run_id,
        metric: &r.metric,
        value: &r.value,
    }))
}

fn nodes_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    csv_of((0..sc.nodes).map(|v| {
        let (p, i) = (PeerId(v), v as usize);
        NodeCsv {
            seed: run.seed,
            run_id: run.run_id,
            node: v,
            class: &sc.node_classes[out.world.node_class[i] as usize].name,
            role: sc.node_classes[out.world.node_class[i] as usize]
                .role
                .word()
                .word(),
            region: match &sc.latency {
                LatencySpec::Regions { names, .. } => &names[out.world.region[i] as usize],
                _ => "-",
            },
            connections: out.world.degrees[i],
            outbound: out.outbound[i],
            bytes_in: out.acct.node_bytes(p, Direction::In, |_| true),
            bytes_out: out.acct.node_bytes(p, Direction::Out, |_| true),
            received: out.received[i],
            duplicates: out.duplicates[i],
        }
    }))
}

fn mesh_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    csv_of((0..sc.nodes as usize).flat_map(|v| {
        out.mesh[v]
            .iter()
            .enumerate()
            .map(move |(t, &(mesh, peers))| MeshCsv {
                seed: run.seed,
                run_id: run.run_id,
                node: v,
                topic: &sc.topics[t].name,
                subscribed: out.world.relaying[t][v],
                mesh_degree: mesh,
                topic_peers: peers,
            })
    }))
}

fn bandwidth_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    csv_of((0..sc.nodes).flat_map(|v| {
        out.acct
            .node_cells(PeerId(v))
            .map(move |(d, k, c, t, cnt)| BandwidthCsv {
                seed: run.seed,
                run_id: run.run_id,
                node: v,
                direction: d.name(),
                kind: k.name(),
                class: class_name(sc, c),
                topic: topic_name(sc, t),
                bytes: cnt.bytes,
                msgs: cnt.msgs,
                payload_bytes: cnt.payload,
            })
    }))
}

fn latency_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    csv_of(out.msgs.iter().map(|(m, meta)| {
        let s = &out.delivery.msgs[m.idx()];
        let d = f64::from(s.delivered.max(1));
        let ratio = if s.expected == 0 {
            1.0
        } else {
            f64::from(s.delivered) / f64::from(s.expected)
        };
        LatencyCsv {
            seed: run.seed,
            run_id: run.run_id,
            msg: m.0,
            class: class_name(sc, Some(meta.class)),
            topic: topic_name(sc, Some(meta.topic)),
            publisher: meta.publisher.0,
            published_at_s: f6(meta.published_at.as_secs_f64()),
            measured: s.measured,
            payload_bytes: meta.payload_len,
            expected: s.expected,
            delivered: s.delivered,
            delivery_ratio: f6(ratio),
            latency_mean_ms: f6(s.latency_sum_ns as f64 / d / 1e6),
            latency_max_ms: f6(s.latency_max_ns as f64 / 1e6),
            hops_mean: f6(s.hops_sum as f64 / d),
            hops_max: s.hops_max,
            duplicates: s.duplicates,
        }
    }))
}

fn delivery_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    let d = &out.delivery;
    let classes = sc.node_classes.len();
    let receivers = &out.world.class_subscribers;
    csv_of((0..sc.topics.len()).flat_map(|t| {
        (0..classes).map(move |c| {
            let g = &d.groups[d.group(t, c)];
            let [p50, p95, p99, max] = super::summary::latency_ms(&g.latency_us());
            DeliveryCsv {
                seed: run.seed,
                run_id: run.run_id,
                topic: &sc.topics[t].name,
                node_class: &sc.node_classes[c].name,
                receivers: receivers[t * classes + c],
                expected: g.expected,
                delivered: g.delivered,
                delivery_ratio: f6(super::summary::ratio(g.delivered, g.expected)),
                latency_p50_ms: f6(p50),
                latency_p95_ms: f6(p95),
                latency_p99_ms: f6(p99),
                latency_max_ms: f6(max),
            }
        })
    }))
}

fn latency_cdf_csv(run: Run<'_>, sc: &Scenario, out: &RunOutput) -> Vec<u8> {
    let d = &out.delivery;
    let classes = sc.node_classes.len();
    csv_of((0..sc.topics.len()).flat_map(|t| {
        (0..classes).flat_map(move |c| {
            let h = d.groups[d.group(t, c)].latency_us();
            let steps = if h.is_empty() { 0..0 } else { 0..101 };
            steps.map(move |i| {
                let q = f64::from(i) / 100.0;
                let us = if i == 0 {
                    h.min()
                } else {
                    h.value_at_quantile(q)
                };
                LatencyCdfCsv {
                    seed: run.seed,
                    run_id: run.run_id,
                    topic: &sc.topics[t].name,
                    node_class: &sc.node_classes[c].name,
                    quantile: format!("{q:.2}"),
                    latency_ms: f6(us as f64 / 1e3),
                }
            })
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's header is its row type's fields, with rows or without.
    #[test]
    fn header_follows_the_row_type() {
        let row = |metric| SummaryCsv {
            seed: 7,
            run_id: "ab",
            metric,
            value: "1,5",
        };
        let full = String::from_utf8(csv_of([row("x"), row("y")])).unwrap();
        assert_eq!(
            full,
            "seed,run_id,metric,value\n7,ab,x,\"1,5\"\n7,ab,y,\"1,5\"\n"
        );
        let empty = String::from_utf8(csv_of(std::iter::empty::<LatencyCsv>())).unwrap();
        assert!(empty.starts_with("seed,run_id,msg,class,") && empty.ends_with("duplicates\n"));
        assert_eq!(empty.lines().count(), 1);
    }
}
