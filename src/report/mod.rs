//! Simulate, then report: turns a [`RunOutput`] into the summary a researcher pastes and the
//! tidy CSV files plots read. Every file is written atomically (temp file + rename), and
//! holds only deterministic values (no wall-clock figures), so that the same scenario and
//! seed give byte-identical files.

pub mod check;
pub mod compare;
mod summary;

use crate::ids::{ClassId, PeerId, TopicId};
use crate::metrics::Direction;
use crate::scenario::Scenario;
use crate::sim::RunOutput;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use summary::{Summary, SummaryRow};

/// The stable id of a run: a hash of the resolved scenario (which includes the seed).
pub fn run_id(sc: &Scenario) -> String {
    format!("{:016x}", crate::rng::fnv1a64(sc.resolved_toml.as_bytes()))
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
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

/// Renders every output file: (file name, contents).
pub fn render_files(
    sc: &Scenario,
    out: &RunOutput,
    summary: &Summary,
) -> Vec<(&'static str, Vec<u8>)> {
    let rid = run_id(sc);
    let seed = sc.seed.to_string();
    let mut files = Vec::new();
    let csv_of = |header: &[&str], rows: &mut dyn FnMut(&mut csv::Writer<Vec<u8>>)| {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).expect("writing to memory");
        rows(&mut w);
        w.into_inner().expect("writing to memory")
    };

    files.push((
        "summary.csv",
        csv_of(&["seed", "run_id", "metric", "value"], &mut |w| {
            for r in &summary.rows {
                w.write_record([
                    seed.as_str(),
                    rid.as_str(),
                    r.metric.as_str(),
                    r.value.as_str(),
                ])
                .expect("memory");
            }
        }),
    ));

    files.push((
        "nodes.csv",
        csv_of(
            &[
                "seed",
                "run_id",
                "node",
                "class",
                "region",
                "connections",
                "outbound",
                "bytes_in",
                "bytes_out",
                "received",
                "duplicates",
            ],
            &mut |w| {
                for v in 0..sc.nodes {
                    let p = PeerId(v);
                    let region = match &sc.latency {
                        crate::scenario::LatencySpec::Regions { names, .. } => {
                            names[out.world.region[v as usize] as usize].clone()
                        }
                        _ => "-".into(),
                    };
                    w.write_record([
                        seed.clone(),
                        rid.clone(),
                        v.to_string(),
                        sc.node_classes[out.world.node_class[v as usize] as usize]
                            .name
                            .clone(),
                        region,
                        out.world.degrees[v as usize].to_string(),
                        out.outbound[v as usize].to_string(),
                        out.acct.node_bytes(p, Direction::In, |_| true).to_string(),
                        out.acct.node_bytes(p, Direction::Out, |_| true).to_string(),
                        out.received[v as usize].to_string(),
                        out.duplicates[v as usize].to_string(),
                    ])
                    .expect("memory");
                }
            },
        ),
    ));

    files.push((
        "mesh.csv",
        csv_of(
            &[
                "seed",
                "run_id",
                "node",
                "topic",
                "subscribed",
                "mesh_degree",
                "topic_peers",
            ],
            &mut |w| {
                for v in 0..sc.nodes as usize {
                    for (t, &(mesh, peers)) in out.mesh[v].iter().enumerate() {
                        let sub = out.world.subscribed[t][v];
                        w.write_record([
                            seed.clone(),
                            rid.clone(),
                            v.to_string(),
                            sc.topics[t].name.clone(),
                            sub.to_string(),
                            mesh.to_string(),
                            peers.to_string(),
                        ])
                        .expect("memory");
                    }
                }
            },
        ),
    ));

    files.push((
        "bandwidth.csv",
        csv_of(
            &[
                "seed",
                "run_id",
                "node",
                "direction",
                "kind",
                "class",
                "topic",
                "bytes",
                "msgs",
                "payload_bytes",
            ],
            &mut |w| {
                for v in 0..sc.nodes {
                    for (d, k, c, t, cnt) in out.acct.node_cells(PeerId(v)) {
                        w.write_record([
                            seed.as_str(),
                            rid.as_str(),
                            &v.to_string(),
                            d.name(),
                            k.name(),
                            class_name(sc, c),
                            topic_name(sc, t),
                            &cnt.bytes.to_string(),
                            &cnt.msgs.to_string(),
                            &cnt.payload.to_string(),
                        ])
                        .expect("memory");
                    }
                }
            },
        ),
    ));

    files.push((
        "latency.csv",
        csv_of(
            &[
                "seed",
                "run_id",
                "msg",
                "class",
                "topic",
                "publisher",
                "published_at_s",
                "measured",
                "payload_bytes",
                "expected",
                "delivered",
                "delivery_ratio",
                "latency_mean_ms",
                "latency_max_ms",
                "hops_mean",
                "hops_max",
                "duplicates",
            ],
            &mut |w| {
                for (m, meta) in out.msgs.iter() {
                    let s = &out.delivery.msgs[m.idx()];
                    let d = f64::from(s.delivered.max(1));
                    w.write_record([
                        seed.clone(),
                        rid.clone(),
                        m.0.to_string(),
                        class_name(sc, Some(meta.class)).to_string(),
                        topic_name(sc, Some(meta.topic)).to_string(),
                        meta.publisher.0.to_string(),
                        f6(meta.published_at.as_secs_f64()),
                        s.measured.to_string(),
                        meta.payload_len.to_string(),
                        s.expected.to_string(),
                        s.delivered.to_string(),
                        f6(if s.expected == 0 {
                            1.0
                        } else {
                            f64::from(s.delivered) / f64::from(s.expected)
                        }),
                        f6(s.latency_sum_ns as f64 / d / 1e6),
                        f6(s.latency_max_ns as f64 / 1e6),
                        f6(s.hops_sum as f64 / d),
                        s.hops_max.to_string(),
                        s.duplicates.to_string(),
                    ])
                    .expect("memory");
                }
            },
        ),
    ));

    files.push((
        "scenario.resolved.toml",
        sc.resolved_toml.as_bytes().to_vec(),
    ));
    files
}

/// Writes every file into `dir` (created if needed). Each file appears whole or not at all.
pub fn write_files(dir: &Path, files: &[(&'static str, Vec<u8>)]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let p = dir.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
    }
    Ok(written)
}
