//! Validation of `[topology]` and `[latency]`.

use super::super::files::{read_edges, read_latency_matrix};
use super::{Validator, R};
use crate::ids::SimTime;
use crate::net::topology::check_edges;
use crate::scenario::raw::{LatencyKind, RawLatency, RawTopology, TopologyKind};
use crate::scenario::{LatencySpec, TopologySpec};
use crate::units::Duration;

impl Validator<'_> {
    pub(super) fn topology(&self, t: RawTopology, nodes: u32) -> R<TopologySpec> {
        let kind = t.kind.unwrap_or(TopologyKind::RandomDial);
        // Each kind takes its own keys; the others are refused naming the kind.
        let unused = format!("not used by kind \"{}\"", kind.word());
        let present = [
            ("outbound", t.outbound.is_some()),
            ("max_connections", t.max_connections.is_some()),
            ("degree", t.degree.is_some()),
            ("file", t.file.is_some()),
            ("edges", t.edges.is_some()),
        ];
        let takes: &[&str] = match kind {
            TopologyKind::RandomDial | TopologyKind::ShardAware => &["outbound", "max_connections"],
            TopologyKind::RandomRegular | TopologyKind::StaticMesh => &["degree"],
            TopologyKind::File => &["file", "edges"],
        };
        if let Some((k, _)) = present.iter().find(|(k, on)| *on && !takes.contains(k)) {
            return self.err(format!("topology.{k}"), unused);
        }
        let n = u64::from(nodes);
        match kind {
            TopologyKind::RandomDial | TopologyKind::ShardAware => {
                let (outbound, max_connections) = self.dials(&t, n)?;
                Ok(if kind == TopologyKind::ShardAware {
                    TopologySpec::ShardAware {
                        outbound,
                        max_connections,
                    }
                } else {
                    TopologySpec::RandomDial {
                        outbound,
                        max_connections,
                    }
                })
            }
            TopologyKind::RandomRegular | TopologyKind::StaticMesh => {
                let degree = self.regular_degree(&t, n)?;
                Ok(if kind == TopologyKind::StaticMesh {
                    TopologySpec::StaticMesh { degree }
                } else {
                    TopologySpec::RandomRegular { degree }
                })
            }
            TopologyKind::File => Ok(TopologySpec::Replay {
                edges: std::sync::Arc::new(self.replayed_edges(&t, nodes)?),
            }),
        }
    }

    /// `random_dial` and `shard_aware`: each node's dials and its cap, such that every dial
    /// can be accepted.
    fn dials(&self, t: &RawTopology, n: u64) -> R<(u32, u32)> {
        let outbound = t.outbound.unwrap_or(10);
        let max = t.max_connections.unwrap_or(30);
        if outbound == 0 || outbound >= n {
            return self.err(
                "topology.outbound",
                format!(
                    "must be between 1 and nodes - 1 ({}), got {outbound}",
                    n - 1
                ),
            );
        }
        if max < outbound {
            return self.err(
                "topology.max_connections",
                format!("must be >= outbound ({outbound}), got {max}"),
            );
        }
        if max < 2 * outbound {
            // Every node dials `outbound`, so the mean degree is 2·outbound: with a lower
            // cap most dials fail.
            return self.err(
                "topology.max_connections",
                format!(
                    "must be >= 2 × outbound ({}) so that every dial can be accepted, got {max}",
                    2 * outbound
                ),
            );
        }
        Ok((outbound as u32, max.min(u64::from(u32::MAX)) as u32))
    }

    /// `random_regular` and `static_mesh`: a degree a regular graph on `n` nodes can have.
    fn regular_degree(&self, t: &RawTopology, n: u64) -> R<u32> {
        let d = t.degree.unwrap_or(6);
        if d == 0 || d >= n {
            return self.err(
                "topology.degree",
                format!("must be between 1 and nodes - 1 ({}), got {d}", n - 1),
            );
        }
        if (n * d) % 2 == 1 {
            return self.err(
                "topology.degree",
                format!("nodes × degree must be even for a regular graph ({n} × {d} is odd)"),
            );
        }
        Ok(d as u32)
    }

    /// `file`: the connections from `file` or inline `edges` (one of them), each row checked.
    fn replayed_edges(&self, t: &RawTopology, nodes: u32) -> R<Vec<(u32, u32)>> {
        match (&t.file, &t.edges) {
            (Some(file), None) => read_edges(file, self.dir, nodes)
                .or_else(|e| self.err("topology.file", e.to_string())),
            (None, Some(inline)) => {
                if let Some(i) = inline.iter().position(|e| e.len() != 2) {
                    return self.err(
                        format!("topology.edges[{i}]"),
                        format!(
                            "a connection is [dialer, listener], got {} number(s)",
                            inline[i].len()
                        ),
                    );
                }
                let pairs: Vec<(u64, u64)> = inline.iter().map(|e| (e[0], e[1])).collect();
                check_edges(nodes, &pairs, |i| format!("topology.edges[{i}]")).or_else(
                    |(i, msg)| {
                        let at =
                            i.map_or("topology.edges".into(), |i| format!("topology.edges[{i}]"));
                        self.err(at, msg)
                    },
                )
            }
            (Some(_), Some(_)) => self.err("topology.file", "give `file` or `edges`, not both"),
            (None, None) => self.err(
                "topology.file",
                "missing: required by kind \"file\" (or `edges` inline)",
            ),
        }
    }

    pub(super) fn latency(&self, l: RawLatency) -> R<LatencySpec> {
        let kind = l.kind.unwrap_or(LatencyKind::Lognormal);
        let need = |field: &str, v: Option<Duration>| {
            v.map(|d| d.0).ok_or(()).or_else(|()| {
                self.err(
                    format!("latency.{field}"),
                    format!("missing: required by kind \"{}\"", kind.word()),
                )
            })
        };
        let floor = l.floor.map_or(SimTime::ZERO, |d| d.0);
        let allowed: &[&str] = match kind {
            LatencyKind::Fixed => &["value"],
            LatencyKind::Uniform => &["min", "max"],
            LatencyKind::Normal => &["mean", "std_dev", "floor"],
            LatencyKind::Lognormal => &["median", "sigma", "floor"],
            LatencyKind::Regions => &["file", "regions", "rtt_ms", "weights", "floor"],
        };
        let present = [
            ("value", l.value.is_some()),
            ("min", l.min.is_some()),
            ("max", l.max.is_some()),
            ("mean", l.mean.is_some()),
            ("std_dev", l.std_dev.is_some()),
            ("median", l.median.is_some()),
            ("sigma", l.sigma.is_some()),
            ("floor", l.floor.is_some()),
            ("file", l.file.is_some()),
            ("regions", l.regions.is_some()),
            ("rtt_ms", l.rtt_ms.is_some()),
            ("weights", !l.weights.is_empty()),
        ];
        self.only_keys("latency", "kind", kind.word(), allowed, &present)?;
        Ok(match kind {
            LatencyKind::Fixed => LatencySpec::Fixed(need("value", l.value)?),
            LatencyKind::Uniform => {
                let (min, max) = (need("min", l.min)?, need("max", l.max)?);
                if min > max {
                    return self.err("latency.max", format!("must be >= min ({min}), got {max}"));
                }
                LatencySpec::Uniform { min, max }
            }
            LatencyKind::Normal => LatencySpec::Normal {
                mean: need("mean", l.mean)?,
                std_dev: need("std_dev", l.std_dev)?,
                floor,
            },
            LatencyKind::Lognormal => {
                let median = self.positive(
                    "latency.median",
                    l.median.map_or(SimTime::from_millis(50), |d| d.0),
                )?;
                let sigma = l.sigma.unwrap_or(0.5);
                if !(sigma.is_finite() && sigma >= 0.0) {
                    return self.err("latency.sigma", format!("must be >= 0, got {sigma}"));
                }
                LatencySpec::LogNormal {
                    median,
                    sigma,
                    floor: l.floor.map_or(SimTime::from_millis(5), |d| d.0),
                }
            }
            LatencyKind::Regions => self.regions(&l, floor)?,
        })
    }

    /// `kind = "regions"`: the matrix file and the weights of its regions.
    /// The matrix comes from `file`, or inline as `regions` and `rtt_ms` (what the resolved
    /// scenario writes, so that it stands alone).
    fn regions(&self, l: &RawLatency, floor: SimTime) -> R<LatencySpec> {
        let (names, rtt_ms) = match (&l.file, &l.regions, &l.rtt_ms) {
            (Some(file), None, None) => read_latency_matrix(file, self.dir)
                .or_else(|e| self.err("latency.file", e.to_string()))?,
            (None, Some(names), Some(rtt)) => self.inline_matrix(names, rtt)?,
            (Some(_), _, _) => {
                return self.err(
                    "latency.file",
                    "give `file` or `regions` with `rtt_ms`, not both",
                )
            }
            (None, Some(_), None) => {
                return self.err(
                    "latency.rtt_ms",
                    "missing: the round-trip matrix of `regions`, in ms",
                )
            }
            (None, None, Some(_)) => {
                return self.err("latency.regions", "missing: the region names of `rtt_ms`")
            }
            (None, None, None) => {
                return self.err(
                    "latency.file",
                    "missing: required by kind \"regions\" (or `regions` with `rtt_ms`)",
                )
            }
        };
        let max_ms = crate::ids::MAX_DURATION.as_millis_f64();
        for (i, row) in rtt_ms.iter().enumerate() {
            if let Some((j, v)) = row.iter().enumerate().find(|(_, v)| **v > max_ms) {
                let at = if l.file.is_some() {
                    "latency.file".to_string()
                } else {
                    format!("latency.rtt_ms[{i}][{j}]")
                };
                return self.err(
                    at,
                    format!("{v} ms ({} to {}) is above the longest latency the engine represents ({max_ms} ms, about 36 years)", names[i], names[j]),
                );
            }
        }
        let weights = self.region_weights("latency.weights", &l.weights, &names)?;
        Ok(LatencySpec::Regions {
            names,
            rtt_ms,
            weights,
            floor,
        })
    }

    /// An inline round-trip matrix: one row per region, one entry per region, in ms >= 0.
    fn inline_matrix(&self, names: &[String], rtt: &[Vec<f64>]) -> R<(Vec<String>, Vec<Vec<f64>>)> {
        if names.is_empty() {
            return self.err("latency.regions", "lists no region");
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return self.err(
                    format!("latency.regions[{i}]"),
                    format!("region \"{n}\" is listed twice"),
                );
            }
        }
        if rtt.len() != names.len() {
            return self.err(
                "latency.rtt_ms",
                format!("{} rows for {} regions", rtt.len(), names.len()),
            );
        }
        for (i, row) in rtt.iter().enumerate() {
            if row.len() != names.len() {
                return self.err(
                    format!("latency.rtt_ms[{i}]"),
                    format!("{} entries for {} regions", row.len(), names.len()),
                );
            }
            if let Some((j, v)) = row
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return self.err(
                    format!("latency.rtt_ms[{i}][{j}]"),
                    format!("latency must be >= 0, got {v}"),
                );
            }
        }
        Ok((names.to_vec(), rtt.to_vec()))
    }

    /// Region weights written as `{ region = weight }` at `path`, one per region of the
    /// matrix (`names`): every region 1 when none is written, else 0 unless named.
    pub(super) fn region_weights(
        &self,
        path: &str,
        written: &std::collections::BTreeMap<String, f64>,
        names: &[String],
    ) -> R<Vec<f64>> {
        let mut weights = vec![if written.is_empty() { 1.0 } else { 0.0 }; names.len()];
        for (k, &w) in written {
            let Some(i) = names.iter().position(|n| n == k) else {
                return self.err(
                    format!("{path}.{k}"),
                    format!(
                        "no region \"{k}\" in the latency matrix (regions: {})",
                        names.join(", ")
                    ),
                );
            };
            if !(w.is_finite() && w >= 0.0) {
                return self.err(format!("{path}.{k}"), format!("must be >= 0, got {w}"));
            }
            weights[i] = w;
        }
        if !weights.iter().sum::<f64>().is_finite() {
            return self.err(
                path,
                "the weights add up to more than a 64-bit float holds; scale them down",
            );
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return self.err(path, "at least one region needs a positive weight");
        }
        Ok(weights)
    }
}
