//! Raw scenario → validated [`Scenario`]. Applies defaults (through the same checks as user
//! values), resolves presets, reads data files, and builds the resolved TOML. Every error is a
//! [`ScenarioError`] naming the key path and, where the key is in the file, its line.

use super::files::{read_latency_matrix, read_size_distribution, stored_path};
use super::raw::*;
use super::*;
use crate::protocol::gossipsub::preset;
use crate::units::{self, Bandwidth, Duration, RateStr, Size, Written};
use std::path::Path;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        path: String::new(),
        msg: format!("cannot read scenario: {e}"),
    })?;
    parse_str(&src, &file, &name_from_path(path), path.parent())
}

/// Validates scenario text. `file` is used in messages; `default_name` when the file has none;
/// `dir` is where relative data-file paths are looked up first.
pub fn parse_str(
    src: &str,
    file: &str,
    default_name: &str,
    dir: Option<&Path>,
) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = match serde_path_to_error::deserialize(toml::Deserializer::new(src)) {
        Ok(r) => r,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| line_of(src, s.start));
            let path = if path == "." { String::new() } else { path };
            return Err(ScenarioError {
                file: file.into(),
                line,
                path,
                msg: inner.message().trim().to_string(),
            });
        }
    };
    let v = Validator { src, file, dir };
    v.scenario(raw, default_name)
}

fn line_of(src: &str, byte: usize) -> usize {
    src[..byte.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Finds the line of a key path such as `traffic[1].size.max` with toml_edit's spans.
fn locate(src: &str, path: &str) -> Option<usize> {
    use toml_edit::{Item, TableLike, Value};
    let doc = toml_edit::ImDocument::parse(src).ok()?;
    let mut table: &dyn TableLike = doc.as_table();
    let mut span = None;
    let segs: Vec<&str> = path.split('.').collect();
    for (n, seg) in segs.iter().enumerate() {
        let (key, idx) = match seg.split_once('[') {
            Some((k, rest)) => (k, Some(rest.trim_end_matches(']').parse::<usize>().ok()?)),
            None => (*seg, None),
        };
        let (k, it) = table.get_key_value(key)?;
        span = k.span().or(span);
        let last = n + 1 == segs.len();
        match (idx, it) {
            (Some(i), Item::ArrayOfTables(a)) => {
                let t = a.get(i)?;
                span = t.span().or(span);
                table = t;
            }
            (Some(i), Item::Value(Value::Array(a))) => {
                let v = a.get(i)?;
                span = v.span().or(span);
                match v.as_inline_table() {
                    Some(t) => table = t,
                    None if last => {}
                    None => return None,
                }
            }
            (Some(_), _) => return None,
            (None, it) if !last => table = it.as_table_like()?,
            (None, _) => {}
        }
    }
    span.map(|s| line_of(src, s.start))
}

struct Validator<'a> {
    src: &'a str,
    file: &'a str,
    dir: Option<&'a Path>,
}

type R<T> = Result<T, ScenarioError>;

impl Validator<'_> {
    fn err<T>(&self, path: impl Into<String>, msg: impl Into<String>) -> R<T> {
        let path = path.into();
        let line = locate(self.src, &path).or_else(|| {
            // Fall back to the nearest enclosing key that is written in the file.
            let mut p = path.as_str();
            while let Some(i) = p.rfind(['.', '[']) {
                p = &p[..i];
                if let Some(l) = locate(self.src, p) {
                    return Some(l);
                }
            }
            None
        });
        Err(ScenarioError {
            file: self.file.into(),
            line,
            path,
            msg: msg.into(),
        })
    }

    fn positive(&self, path: &str, d: SimTime) -> R<SimTime> {
        if d == SimTime::ZERO {
            return self.err(path, "must be greater than zero");
        }
        Ok(d)
    }

    fn scenario(&self, raw: RawScenario, default_name: &str) -> R<Scenario> {
        let name = raw.name.clone().unwrap_or_else(|| default_name.to_string());
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return self.err(
                "name",
                format!("\"{name}\" cannot be used as a directory name"),
            );
        }
        let nodes = match raw.nodes {
            None => return self.err("nodes", "missing: the number of nodes is required"),
            Some(n) if !(2..=u64::from(crate::ids::MAX_NODES)).contains(&n) => {
                return self.err(
                    "nodes",
                    format!("must be between 2 and 2^24 (16777216), got {n}"),
                )
            }
            Some(n) => n as u32,
        };
        let t = raw.time.clone().unwrap_or_default();
        let warmup = t.warmup.map_or(SimTime::from_secs(30), |d| d.0);
        let duration = self.positive(
            "time.duration",
            t.duration.map_or(SimTime::from_secs(600), |d| d.0),
        )?;
        let drain = t.drain.map_or(SimTime::from_secs(10), |d| d.0);
        let (preset_name, gossipsub) = self.gossipsub(raw.gossipsub.clone().unwrap_or_default())?;
        let topology = self.topology(raw.topology.clone().unwrap_or_default(), nodes)?;
        let mut gossipsub = gossipsub;
        if matches!(topology, TopologySpec::StaticMesh { .. }) {
            gossipsub.mesh_maintenance = false;
        }
        let latency = self.latency(raw.latency.clone().unwrap_or_default())?;
        let net = raw.network.clone().unwrap_or_default();
        let loss = net.loss.unwrap_or(0.0);
        if !(0.0..1.0).contains(&loss) {
            return self.err("network.loss", format!("must be within [0, 1), got {loss}"));
        }
        let wire = raw.wire.clone().unwrap_or_default().resolve();
        let node_classes = self.node_classes(&raw.node_class, nodes)?;
        let topics = self.topics(&raw.topic, &node_classes, nodes)?;
        let traffic = self.traffic(
            &raw.traffic,
            &topics,
            &node_classes,
            nodes,
            &gossipsub,
            &wire,
            &preset_name,
        )?;
        let mut s = Scenario {
            name,
            seed: raw.seed.unwrap_or(1),
            nodes,
            warmup,
            duration,
            drain,
            preset: preset_name,
            gossipsub,
            topology,
            latency,
            loss,
            validation_delay: net.validation_delay.map_or(SimTime::ZERO, |d| d.0),
            transport: net.transport.unwrap_or_default(),
            wire,
            node_classes,
            topics,
            traffic,
            resolved_toml: String::new(),
        };
        s.resolved_toml = resolve_toml(&s);
        Ok(s)
    }

    fn gossipsub(&self, g: RawGossipsub) -> R<(String, GossipsubConfig)> {
        let name = g.preset.clone().unwrap_or_else(|| "nwaku".into());
        let Some(mut c) = preset(&name) else {
            return self.err(
                "gossipsub.preset",
                format!(
                    "unknown preset \"{name}\" (known: {})",
                    crate::protocol::gossipsub::PRESETS.join(", ")
                ),
            );
        };
        override_params(&mut c, g);
        if let Err(e) = c.validate() {
            return self.err(format!("gossipsub.{}", e.param), e.reason);
        }
        Ok((name, c))
    }

    fn topology(&self, t: RawTopology, nodes: u32) -> R<TopologySpec> {
        let kind = t.kind.clone().unwrap_or_else(|| "random_dial".into());
        let n = u64::from(nodes);
        let unused = |field: &str, v: &Option<u64>| {
            if v.is_some() {
                self.err::<()>(
                    format!("topology.{field}"),
                    format!("not used by kind \"{kind}\""),
                )
            } else {
                Ok(())
            }
        };
        match kind.as_str() {
            "random_dial" => {
                unused("degree", &t.degree)?;
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
                    // Every node dials `outbound`, so the mean degree is 2·outbound: with a
                    // lower cap most dials fail.
                    return self.err("topology.max_connections", format!("must be >= 2 × outbound ({}) so that every dial can be accepted, got {max}", 2 * outbound));
                }
                Ok(TopologySpec::RandomDial {
                    outbound: outbound as u32,
                    max_connections: max.min(u64::from(u32::MAX)) as u32,
                })
            }
            "random_regular" | "static_mesh" => {
                unused("outbound", &t.outbound)?;
                unused("max_connections", &t.max_connections)?;
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
                        format!(
                            "nodes × degree must be even for a regular graph ({n} × {d} is odd)"
                        ),
                    );
                }
                Ok(if kind == "static_mesh" {
                    TopologySpec::StaticMesh { degree: d as u32 }
                } else {
                    TopologySpec::RandomRegular { degree: d as u32 }
                })
            }
            other => self.err(
                "topology.kind",
                format!(
                    "unknown kind \"{other}\" (known: random_dial, random_regular, static_mesh)"
                ),
            ),
        }
    }

    fn latency(&self, l: RawLatency) -> R<LatencySpec> {
        let kind = l.kind.clone().unwrap_or_else(|| "lognormal".into());
        let need = |field: &str, v: Option<Duration>| {
            v.map(|d| d.0).ok_or(()).or_else(|_| {
                self.err(
                    format!("latency.{field}"),
                    format!("missing: required by kind \"{kind}\""),
                )
            })
        };
        let floor = l.floor.map_or(SimTime::ZERO, |d| d.0);
        let allowed: &[&str] = match kind.as_str() {
            "fixed" => &["value"],
            "uniform" => &["min", "max"],
            "normal" => &["mean", "std_dev", "floor"],
            "lognormal" => &["median", "sigma", "floor"],
            "regions" => &["file", "weights", "floor"],
            other => {
                return self.err(
                    "latency.kind",
                    format!(
                    "unknown kind \"{other}\" (known: fixed, uniform, normal, lognormal, regions)"
                ),
                )
            }
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
            ("weights", !l.weights.is_empty()),
        ];
        if let Some((f, _)) = present.iter().find(|(f, p)| *p && !allowed.contains(f)) {
            return self.err(
                format!("latency.{f}"),
                format!(
                    "not used by kind \"{kind}\" (it takes: {})",
                    allowed.join(", ")
                ),
            );
        }
        Ok(match kind.as_str() {
            "fixed" => LatencySpec::Fixed(need("value", l.value)?),
            "uniform" => {
                let (min, max) = (need("min", l.min)?, need("max", l.max)?);
                if min > max {
                    return self.err("latency.max", format!("must be >= min ({min}), got {max}"));
                }
                LatencySpec::Uniform { min, max }
            }
            "normal" => LatencySpec::Normal {
                mean: need("mean", l.mean)?,
                std_dev: need("std_dev", l.std_dev)?,
                floor,
            },
            "lognormal" => {
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
            _ => {
                let Some(file) = l.file.clone() else {
                    return self.err("latency.file", "missing: required by kind \"regions\"");
                };
                let (names, rtt_ms) = read_latency_matrix(&file, self.dir)
                    .or_else(|e| self.err("latency.file", e.to_string()))?;
                let mut weights = vec![if l.weights.is_empty() { 1.0 } else { 0.0 }; names.len()];
                for (k, &w) in &l.weights {
                    let Some(i) = names.iter().position(|n| n == k) else {
                        return self.err(
                            format!("latency.weights.{k}"),
                            format!(
                                "no region \"{k}\" in {file} (regions: {})",
                                names.join(", ")
                            ),
                        );
                    };
                    if !(w.is_finite() && w >= 0.0) {
                        return self.err(
                            format!("latency.weights.{k}"),
                            format!("must be >= 0, got {w}"),
                        );
                    }
                    weights[i] = w;
                }
                if weights.iter().sum::<f64>() <= 0.0 {
                    return self.err(
                        "latency.weights",
                        "at least one region needs a positive weight",
                    );
                }
                LatencySpec::Regions {
                    file: stored_path(&file, self.dir),
                    names,
                    rtt_ms,
                    weights,
                    floor,
                }
            }
        })
    }

    fn node_classes(&self, raw: &[RawNodeClass], nodes: u32) -> R<Vec<NodeClass>> {
        let defaults = [RawNodeClass::default()];
        let raw = if raw.is_empty() { &defaults[..] } else { raw };
        let mut out: Vec<NodeClass> = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            let p = |f: &str| format!("node_class[{i}].{f}");
            let name = c.name.clone().unwrap_or_else(|| "default".into());
            if out.iter().any(|o| o.name == name) {
                return self.err(p("name"), format!("duplicate class name \"{name}\""));
            }
            let share = c.share.unwrap_or(1.0);
            if !(share.is_finite() && share > 0.0) {
                return self.err(p("share"), format!("must be > 0, got {share}"));
            }
            out.push(NodeClass {
                name,
                share,
                count: 0,
                upload_bps: c.upload.map_or(100_000_000, |b| b.0),
                download_bps: c.download.map_or(100_000_000, |b| b.0),
            });
        }
        // Largest-remainder rounding: counts add up to `nodes` exactly.
        let shares: Vec<f64> = out.iter().map(|c| c.share).collect();
        for (c, n) in out
            .iter_mut()
            .zip(crate::net::latency::apportion(nodes, &shares))
        {
            c.count = n;
        }
        Ok(out)
    }

    fn selector(
        &self,
        path: &str,
        s: &Option<RawSelector>,
        classes: &[NodeClass],
        nodes: u32,
    ) -> R<Selector> {
        let sel = match s {
            None => Selector::All,
            Some(RawSelector::All(a)) if a == "all" => Selector::All,
            Some(RawSelector::All(a)) => return self.err(path, format!("\"{a}\" is not a node set (use \"all\", {{ fraction = 0.1 }} or {{ class = \"name\" }})")),
            Some(RawSelector::Table(SelectorTable { fraction: Some(f), class: None })) => {
                if !(f.is_finite() && *f > 0.0 && *f <= 1.0) {
                    return self.err(format!("{path}.fraction"), format!("must be within (0, 1], got {f}"));
                }
                if (f * f64::from(nodes)).round() < 1.0 {
                    return self.err(format!("{path}.fraction"), format!("selects no node: {f} × {nodes} nodes rounds to 0"));
                }
                Selector::Fraction(*f)
            }
            Some(RawSelector::Table(SelectorTable { fraction: None, class: Some(c) })) => {
                let Some(i) = classes.iter().position(|k| &k.name == c) else {
                    let known: Vec<&str> = classes.iter().map(|k| k.name.as_str()).collect();
                    return self.err(format!("{path}.class"), format!("no node class \"{c}\" (classes: {})", known.join(", ")));
                };
                if classes[i].count == 0 {
                    return self.err(format!("{path}.class"), format!("node class \"{c}\" has no nodes"));
                }
                Selector::Class(i)
            }
            Some(RawSelector::Table(_)) => return self.err(path, "give exactly one of `fraction` or `class`"),
        };
        Ok(sel)
    }

    fn topics(&self, raw: &[RawTopic], classes: &[NodeClass], nodes: u32) -> R<Vec<TopicSpec>> {
        if raw.is_empty() {
            return Ok(vec![TopicSpec {
                name: "/waku/2/rs/16/32".into(),
                subscribers: Selector::All,
            }]);
        }
        if raw.len() > usize::from(u16::MAX) {
            return self.err("topic", "too many topics");
        }
        let mut out: Vec<TopicSpec> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let Some(name) = t.name.clone().filter(|n| !n.is_empty()) else {
                return self.err(
                    format!("topic[{i}].name"),
                    "missing: every topic needs a name",
                );
            };
            if out.iter().any(|o| o.name == name) {
                return self.err(
                    format!("topic[{i}].name"),
                    format!("duplicate topic \"{name}\""),
                );
            }
            let subscribers = self.selector(
                &format!("topic[{i}].subscribers"),
                &t.subscribers,
                classes,
                nodes,
            )?;
            out.push(TopicSpec { name, subscribers });
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn traffic(
        &self,
        raw: &[RawTraffic],
        topics: &[TopicSpec],
        classes: &[NodeClass],
        nodes: u32,
        g: &GossipsubConfig,
        wire: &WakuEnvelope,
        preset: &str,
    ) -> R<Vec<TrafficClass>> {
        let mut out: Vec<TrafficClass> = Vec::new();
        for (i, t) in raw.iter().enumerate() {
            let p = |f: &str| format!("traffic[{i}].{f}");
            let Some(name) = t.class.clone().filter(|n| !n.is_empty()) else {
                return self.err(
                    p("class"),
                    "missing: name the application class (e.g. \"chat\")",
                );
            };
            if out.iter().any(|o| o.name == name) {
                return self.err(p("class"), format!("duplicate traffic class \"{name}\""));
            }
            let topic = match &t.topic {
                None => TopicId(0),
                Some(tn) => match topics.iter().position(|x| &x.name == tn) {
                    Some(k) => TopicId(k as u16),
                    None => {
                        return self.err(
                            p("topic"),
                            format!("no topic \"{tn}\" (declare it in [[topic]])"),
                        )
                    }
                },
            };
            let Some(RateStr(rate)) = t.rate else {
                return self.err(p("rate"), "missing: e.g. \"5/hour\"");
            };
            if rate.per_sec.is_nan() || rate.per_sec <= 0.0 {
                return self.err(p("rate"), "must be greater than zero");
            }
            let per = match t.per.as_deref().unwrap_or("node") {
                "node" => Per::Node,
                "network" => Per::Network,
                o => return self.err(p("per"), format!("unknown \"{o}\" (known: node, network)")),
            };
            let arrival = match t.arrival.as_deref().unwrap_or("poisson") {
                "poisson" => Arrival::Poisson,
                "periodic" => Arrival::Periodic,
                o => {
                    return self.err(
                        p("arrival"),
                        format!("unknown \"{o}\" (known: poisson, periodic)"),
                    )
                }
            };
            let Some(size) = &t.size else {
                return self.err(p("size"), "missing: e.g. \"2000B\"");
            };
            let size = self.size(&p("size"), size)?;
            let max_data =
                u64::from(wire.data_len(size.max().min(u64::from(u32::MAX) - 1024) as u32));
            if max_data > g.max_transmit_size {
                return self.err(
                    p("size"),
                    format!(
                        "largest message ({} payload, {} with the Waku envelope) is above the max message size {} (gossipsub.max_transmit_size of preset {preset})",
                        units::fmt_size(size.max()),
                        units::fmt_size(max_data),
                        units::fmt_size(g.max_transmit_size)
                    ),
                );
            }
            let publishers = self.selector(&p("publishers"), &t.publishers, classes, nodes)?;
            out.push(TrafficClass {
                name,
                topic,
                rate,
                per,
                size,
                publishers,
                arrival,
            });
        }
        Ok(out)
    }

    fn size(&self, path: &str, s: &RawSize) -> R<SizeDist> {
        let t = match s {
            RawSize::Fixed(Size(v)) => {
                return if *v == 0 {
                    self.err(path, "must be greater than zero")
                } else {
                    Ok(SizeDist::Fixed(*v))
                }
            }
            RawSize::Dist(t) => t,
        };
        let f = |k: &str| format!("{path}.{k}");
        let need = |k: &str, v: Option<Size>| {
            v.map(|s| s.0)
                .ok_or(())
                .or_else(|_| self.err(f(k), format!("missing: required by dist \"{}\"", t.dist)))
        };
        let allowed: &[&str] = match t.dist.as_str() {
            "fixed" => &["value"],
            "uniform" => &["min", "max"],
            "lognormal" => &["median", "sigma", "min", "max"],
            "empirical" => &["file"],
            o => {
                return self.err(
                    f("dist"),
                    format!("unknown dist \"{o}\" (known: fixed, uniform, lognormal, empirical)"),
                )
            }
        };
        let present = [
            ("value", t.value.is_some()),
            ("min", t.min.is_some()),
            ("max", t.max.is_some()),
            ("median", t.median.is_some()),
            ("sigma", t.sigma.is_some()),
            ("file", t.file.is_some()),
        ];
        if let Some((k, _)) = present.iter().find(|(k, p)| *p && !allowed.contains(k)) {
            return self.err(
                f(k),
                format!(
                    "not used by dist \"{}\" (it takes: {})",
                    t.dist,
                    allowed.join(", ")
                ),
            );
        }
        let d = match t.dist.as_str() {
            "fixed" => SizeDist::Fixed(need("value", t.value)?),
            "uniform" => SizeDist::Uniform {
                min: need("min", t.min)?,
                max: need("max", t.max)?,
            },
            "lognormal" => {
                let sigma = t.sigma.unwrap_or(1.0);
                if !(sigma.is_finite() && sigma >= 0.0) {
                    return self.err(f("sigma"), format!("must be >= 0, got {sigma}"));
                }
                let median = need("median", t.median)?;
                SizeDist::LogNormal {
                    median,
                    sigma,
                    min: t.min.map_or(1, |s| s.0),
                    max: need("max", t.max)?,
                }
            }
            _ => {
                let Some(file) = t.file.clone() else {
                    return self.err(f("file"), "missing: required by dist \"empirical\"");
                };
                let (sizes, weights) = read_size_distribution(&file, self.dir)
                    .or_else(|e| self.err(f("file"), e.to_string()))?;
                SizeDist::Empirical {
                    file: stored_path(&file, self.dir),
                    sizes,
                    weights,
                }
            }
        };
        match &d {
            SizeDist::Fixed(0) => return self.err(f("value"), "must be greater than zero"),
            SizeDist::Uniform { min, max } | SizeDist::LogNormal { min, max, .. }
                if min > max || *min == 0 =>
            {
                return self.err(
                    f("max"),
                    format!("needs 0 < min <= max, got min {min} and max {max}"),
                );
            }
            SizeDist::LogNormal {
                median, min, max, ..
            } if median < min || median > max => {
                return self.err(f("median"), "must lie within [min, max]")
            }
            SizeDist::Empirical { sizes, .. } if sizes.contains(&0) => {
                return self.err(f("file"), "sizes must be greater than zero")
            }
            _ => {}
        }
        Ok(d)
    }
}

/// The scenario as TOML, every default filled in (what `scenario.resolved.toml` holds).
pub fn resolve_toml(s: &Scenario) -> String {
    let raw = RawScenario {
        name: Some(s.name.clone()),
        seed: Some(s.seed),
        nodes: Some(u64::from(s.nodes)),
        time: Some(RawTime {
            warmup: Some(Duration(s.warmup)),
            duration: Some(Duration(s.duration)),
            drain: Some(Duration(s.drain)),
        }),
        gossipsub: Some(raw_gossipsub(&s.preset, &s.gossipsub)),
        topology: Some(match s.topology {
            TopologySpec::RandomDial {
                outbound,
                max_connections,
            } => RawTopology {
                kind: Some("random_dial".into()),
                outbound: Some(outbound.into()),
                max_connections: Some(max_connections.into()),
                degree: None,
            },
            TopologySpec::RandomRegular { degree } => RawTopology {
                kind: Some("random_regular".into()),
                degree: Some(degree.into()),
                ..Default::default()
            },
            TopologySpec::StaticMesh { degree } => RawTopology {
                kind: Some("static_mesh".into()),
                degree: Some(degree.into()),
                ..Default::default()
            },
        }),
        latency: Some(resolve_latency(&s.latency)),
        network: Some(RawNetwork {
            loss: Some(s.loss),
            validation_delay: Some(Duration(s.validation_delay)),
            transport: Some(s.transport),
        }),
        wire: Some(WakuEnvelopeRaw {
            content_topic_len: Some(s.wire.content_topic_len),
            timestamp: Some(s.wire.timestamp),
            version: Some(s.wire.version),
            meta_len: Some(s.wire.meta_len),
            rln_proof: Some(s.wire.rln_proof),
        }),
        node_class: s
            .node_classes
            .iter()
            .map(|c| RawNodeClass {
                name: Some(c.name.clone()),
                share: Some(c.share),
                upload: Some(Bandwidth(c.upload_bps)),
                download: Some(Bandwidth(c.download_bps)),
            })
            .collect(),
        topic: s
            .topics
            .iter()
            .map(|t| RawTopic {
                name: Some(t.name.clone()),
                subscribers: Some(resolve_selector(&t.subscribers, s)),
            })
            .collect(),
        traffic: s
            .traffic
            .iter()
            .map(|t| RawTraffic {
                class: Some(t.name.clone()),
                topic: Some(s.topics[t.topic.idx()].name.clone()),
                rate: Some(RateStr(t.rate)),
                per: Some(
                    if t.per == Per::Node {
                        "node"
                    } else {
                        "network"
                    }
                    .into(),
                ),
                size: Some(resolve_size(&t.size)),
                publishers: Some(resolve_selector(&t.publishers, s)),
                arrival: Some(
                    if t.arrival == Arrival::Poisson {
                        "poisson"
                    } else {
                        "periodic"
                    }
                    .into(),
                ),
            })
            .collect(),
    };
    let body = toml::to_string(&raw).expect("a resolved scenario always serializes");
    format!(
        "# Resolved scenario: every default filled in. Runs as-is with `gossipsim run`.\n{body}"
    )
}

/// What follows from the one declaration of the gossipsub parameters: a scenario's
/// overrides, the `[gossipsub]` table of a config, and a config's values as tables show them.
macro_rules! gossipsub_tables {
    ($( $(#[$doc:meta])* $f:ident ($label:literal): $cfg:ty as $raw:ty ),* $(,)?) => {
        /// Sets on `c` (a preset) every parameter `g` (a scenario's `[gossipsub]`) sets.
        fn override_params(c: &mut GossipsubConfig, g: RawGossipsub) {
            $( if let Some(v) = g.$f { c.$f = Written::value(v); } )*
        }

        /// The `[gossipsub]` table for a preset name and its (possibly overridden) values.
        pub fn raw_gossipsub(preset: &str, g: &GossipsubConfig) -> RawGossipsub {
            RawGossipsub {
                preset: Some(preset.to_string()),
                $( $f: Some(<$raw as Written>::written(g.$f)), )*
            }
        }

        /// `g`'s values as a scenario writes them, in the order of
        /// [`crate::protocol::gossipsub::PARAMS`].
        pub fn shown_params(g: &GossipsubConfig) -> Vec<String> {
            vec![$( <$raw as Written>::written(g.$f).show() ),*]
        }
    };
}

crate::protocol::gossipsub::gossipsub_params!(gossipsub_tables);

/// The README's table of every preset's values, as `gossipsim presets --markdown` prints it.
pub fn presets_markdown() -> String {
    use crate::protocol::gossipsub::{PARAMS, PRESETS};
    let values: Vec<Vec<String>> = PRESETS
        .iter()
        .map(|p| shown_params(&preset(p).expect("listed presets exist")))
        .collect();
    let mut out = format!("| parameter (spec symbol) | {} |\n", PRESETS.join(" | "));
    out += &format!("|---|{}\n", "---|".repeat(PRESETS.len()));
    for (i, (name, label)) in PARAMS.iter().enumerate() {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        };
        let row: Vec<&str> = values.iter().map(|v| v[i].as_str()).collect();
        out += &format!("| `{name}`{label} | {} |\n", row.join(" | "));
    }
    out
}

/// The `[gossipsub]` table of a config, as a scenario would write it.
pub fn gossipsub_toml(preset: &str, g: &GossipsubConfig) -> String {
    toml::to_string(&raw_gossipsub(preset, g)).expect("a gossipsub table always serializes")
}

fn resolve_latency(l: &LatencySpec) -> RawLatency {
    let d = |t: SimTime| Some(Duration(t));
    let mut r = RawLatency::default();
    match l {
        LatencySpec::Fixed(v) => {
            r.kind = Some("fixed".into());
            r.value = d(*v);
        }
        LatencySpec::Uniform { min, max } => {
            r.kind = Some("uniform".into());
            (r.min, r.max) = (d(*min), d(*max));
        }
        LatencySpec::Normal {
            mean,
            std_dev,
            floor,
        } => {
            r.kind = Some("normal".into());
            (r.mean, r.std_dev, r.floor) = (d(*mean), d(*std_dev), d(*floor));
        }
        LatencySpec::LogNormal {
            median,
            sigma,
            floor,
        } => {
            r.kind = Some("lognormal".into());
            (r.median, r.sigma, r.floor) = (d(*median), Some(*sigma), d(*floor));
        }
        LatencySpec::Regions {
            file,
            names,
            weights,
            floor,
            ..
        } => {
            r.kind = Some("regions".into());
            r.file = Some(file.clone());
            r.floor = d(*floor);
            r.weights = names.iter().cloned().zip(weights.iter().copied()).collect();
        }
    }
    r
}

fn resolve_selector(sel: &Selector, s: &Scenario) -> RawSelector {
    match sel {
        Selector::All => RawSelector::All("all".into()),
        Selector::Fraction(f) => RawSelector::Table(SelectorTable {
            fraction: Some(*f),
            class: None,
        }),
        Selector::Class(i) => RawSelector::Table(SelectorTable {
            fraction: None,
            class: Some(s.node_classes[*i].name.clone()),
        }),
    }
}

fn resolve_size(d: &SizeDist) -> RawSize {
    let blank = SizeDistTable {
        dist: String::new(),
        value: None,
        min: None,
        max: None,
        median: None,
        sigma: None,
        file: None,
    };
    match d {
        SizeDist::Fixed(v) => RawSize::Fixed(Size(*v)),
        SizeDist::Uniform { min, max } => RawSize::Dist(SizeDistTable {
            dist: "uniform".into(),
            min: Some(Size(*min)),
            max: Some(Size(*max)),
            ..blank
        }),
        SizeDist::LogNormal {
            median,
            sigma,
            min,
            max,
        } => RawSize::Dist(SizeDistTable {
            dist: "lognormal".into(),
            median: Some(Size(*median)),
            sigma: Some(*sigma),
            min: Some(Size(*min)),
            max: Some(Size(*max)),
            ..blank
        }),
        SizeDist::Empirical { file, .. } => RawSize::Dist(SizeDistTable {
            dist: "empirical".into(),
            file: Some(file.clone()),
            ..blank
        }),
    }
}
