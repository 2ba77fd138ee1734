//! Validation of `[[node_class]]`, `[[topic]]`, `[[traffic]]` and their sizes and node
//! sets.

use super::super::files::{read_size_distribution, stored_path};
use super::{Validator, R};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, RateStr, Size};

impl Validator<'_> {
    /// The node classes (one `default` when there is none); `scenario`: the scenario's
    /// preset and gossipsub parameters, what a class runs unless it says otherwise.
    pub(super) fn node_classes(
        &self,
        raw: &[RawNodeClass],
        nodes: u32,
        scenario: (&str, &GossipsubConfig),
        topology: &TopologySpec,
        latency: &LatencySpec,
    ) -> R<Vec<NodeClass>> {
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
            let (preset, gossipsub) = self.class_gossipsub(i, c, scenario)?;
            let dial = self.class_dial(i, c, nodes, topology)?;
            let regions = self.class_regions(i, c, latency)?;
            out.push(NodeClass {
                name,
                share,
                count: 0,
                upload_bps: c.upload.map_or(100_000_000, |b| b.0),
                download_bps: c.download.map_or(100_000_000, |b| b.0),
                preset,
                gossipsub,
                dial,
                topics: None,
                regions,
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

    /// Class `i`'s stack and parameters: its own `preset` (else the scenario's preset and
    /// parameters), then its `gossipsub` table on top. Mesh maintenance follows the
    /// scenario's (a static mesh has none, whatever the class).
    fn class_gossipsub(
        &self,
        i: usize,
        c: &RawNodeClass,
        scenario: (&str, &GossipsubConfig),
    ) -> R<(String, GossipsubConfig)> {
        let path = format!("node_class[{i}].gossipsub");
        let table = c.gossipsub.clone().unwrap_or_default();
        if table.preset.is_some() {
            return self.err(
                format!("{path}.preset"),
                format!("a class's stack is node_class[{i}].preset, beside its gossipsub table"),
            );
        }
        let (name, base) = match &c.preset {
            Some(p) => {
                let mut base = self.preset(&format!("node_class[{i}].preset"), p)?;
                base.mesh_maintenance = scenario.1.mesh_maintenance;
                (p.clone(), base)
            }
            None => (scenario.0.to_string(), scenario.1.clone()),
        };
        Ok((name, self.parameters(&path, base, table)?))
    }

    /// Class `i`'s (outbound, max_connections) where nodes dial: the topology's unless
    /// it sets its own (at least one dial, fewer than the nodes, a cap no lower than its
    /// dials); refused with the regular topologies, whose degree is the graph's.
    fn class_dial(
        &self,
        i: usize,
        c: &RawNodeClass,
        nodes: u32,
        topology: &TopologySpec,
    ) -> R<Option<(u32, u32)>> {
        let p = |f: &str| format!("node_class[{i}].{f}");
        let Some((outbound, max_connections)) = topology.dials() else {
            if let Some(f) = [
                ("outbound", c.outbound),
                ("max_connections", c.max_connections),
            ]
            .iter()
            .find_map(|(f, v)| v.map(|_| *f))
            {
                return self.err(
                    p(f),
                    "only with topology.kind = \"random_dial\" or \"shard_aware\"",
                );
            }
            return Ok(None);
        };
        let out = c.outbound.unwrap_or(u64::from(outbound));
        let max = c.max_connections.unwrap_or(u64::from(max_connections));
        if out == 0 || out >= u64::from(nodes) {
            return self.err(
                p("outbound"),
                format!("must be between 1 and nodes - 1 ({}), got {out}", nodes - 1),
            );
        }
        if max < out {
            return self.err(
                p("max_connections"),
                format!("must be >= the class's outbound ({out}), got {max}"),
            );
        }
        Ok(Some((out as u32, max.min(u64::from(u32::MAX)) as u32)))
    }

    /// Class `i`'s own region weights, with regional latency only.
    fn class_regions(
        &self,
        i: usize,
        c: &RawNodeClass,
        latency: &LatencySpec,
    ) -> R<Option<Vec<f64>>> {
        if c.regions.is_empty() {
            return Ok(None);
        }
        let path = format!("node_class[{i}].regions");
        let LatencySpec::Regions { names, file, .. } = latency else {
            return self.err(path, "only with latency.kind = \"regions\"");
        };
        self.region_weights(&path, &c.regions, names, file)
            .map(Some)
    }

    /// The classes' own `topics` (the topics exist by now), and then that every topic has
    /// a subscriber and that no topic's rule picks a class that lists other topics.
    pub(super) fn class_topics(
        &self,
        raw: &[RawNodeClass],
        classes: &mut [NodeClass],
        topics: &[TopicSpec],
    ) -> R<()> {
        for (i, (c, rc)) in classes.iter_mut().zip(raw).enumerate() {
            let Some(names) = &rc.topics else { continue };
            let mut ids = Vec::with_capacity(names.len());
            for (j, n) in names.iter().enumerate() {
                let Some(k) = topics.iter().position(|t| &t.name == n) else {
                    return self.err(
                        format!("node_class[{i}].topics[{j}]"),
                        format!("no topic \"{n}\" (declare it in [[topic]])"),
                    );
                };
                let id = TopicId(k as u16);
                if ids.contains(&id) {
                    return self.err(
                        format!("node_class[{i}].topics[{j}]"),
                        format!("topic \"{n}\" is listed twice"),
                    );
                }
                ids.push(id);
            }
            ids.sort_unstable();
            c.topics = Some(ids);
        }
        for (k, t) in topics.iter().enumerate() {
            let id = TopicId(k as u16);
            if let Selector::Class(c) = t.subscribers {
                let cl = &classes[c];
                if cl.topics.as_ref().is_some_and(|ts| !ts.contains(&id)) {
                    return self.err(
                        format!("topic[{k}].subscribers.class"),
                        format!(
                            "node class \"{}\" lists its own topics and \"{}\" is not among them",
                            cl.name, t.name
                        ),
                    );
                }
            }
            if subscribers(classes, t, id) == 0 {
                return self.err(
                    format!("topic[{k}].subscribers"),
                    format!(
                        "no node is in topic \"{}\": every class lists its own topics, without it",
                        t.name
                    ),
                );
            }
        }
        Ok(())
    }

    pub(super) fn selector(
        &self,
        path: &str,
        s: Option<&RawSelector>,
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

    pub(super) fn topics(
        &self,
        raw: &[RawTopic],
        classes: &[NodeClass],
        nodes: u32,
    ) -> R<Vec<TopicSpec>> {
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
                t.subscribers.as_ref(),
                classes,
                nodes,
            )?;
            out.push(TopicSpec { name, subscribers });
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn traffic(
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
            // Every class must take it: a class that runs the scenario's parameters is named
            // by its preset, one with its own by its name too.
            let limits = classes.iter().enumerate().map(|(k, c)| {
                let what = if c.gossipsub == *g {
                    format!("gossipsub.max_transmit_size of preset {preset}")
                } else {
                    format!(
                        "node_class[{k}] \"{}\": gossipsub.max_transmit_size of preset {}",
                        c.name, c.preset
                    )
                };
                (what, &c.gossipsub)
            });
            for (what, cfg) in limits {
                if max_data > cfg.max_transmit_size {
                    return self.err(
                        p("size"),
                        format!(
                            "largest message ({} payload, {} with the Waku envelope) is above the max message size {} ({what})",
                            units::fmt_size(size.max()),
                            units::fmt_size(max_data),
                            units::fmt_size(cfg.max_transmit_size)
                        ),
                    );
                }
            }
            let publishers =
                self.selector(&p("publishers"), t.publishers.as_ref(), classes, nodes)?;
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

    pub(super) fn size(&self, path: &str, s: &RawSize) -> R<SizeDist> {
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
                .or_else(|()| self.err(f(k), format!("missing: required by dist \"{}\"", t.dist)))
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
        self.only_keys(path, "dist", &t.dist, allowed, &present)?;
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
        self.check_size(path, d)
    }

    /// The bounds a size distribution must keep.
    fn check_size(&self, path: &str, d: SizeDist) -> R<SizeDist> {
        let f = |k: &str| format!("{path}.{k}");
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
