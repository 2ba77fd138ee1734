//! Validation of `[[topic]]`, `[[traffic]]` and their sizes and node sets.

use super::super::files::read_size_distribution;
use super::{Validator, R};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{self, RateStr, Size};

/// The longest topic name (bytes): RPC sizes are 32-bit, and IHAVEs and SUBSCRIBEs name
/// topics.
const MAX_NAME: usize = 4096;

impl Validator<'_> {
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
            Some(RawSelector::All(a)) => return self.err(path, format!("\"{a}\" is not a node set (use \"all\", {{ fraction = 0.1 }}, {{ class = \"name\" }} or {{ classes = [\"a\", \"b\"] }})")),
            Some(RawSelector::Table(SelectorTable { fraction: Some(f), class: None, classes: None })) => {
                if !(f.is_finite() && *f > 0.0 && *f <= 1.0) {
                    return self.err(format!("{path}.fraction"), format!("must be within (0, 1], got {f}"));
                }
                if (f * f64::from(nodes)).round() < 1.0 {
                    return self.err(format!("{path}.fraction"), format!("selects no node: {f} × {nodes} nodes rounds to 0"));
                }
                Selector::Fraction(*f)
            }
            Some(RawSelector::Table(SelectorTable { fraction: None, class: Some(c), classes: None })) => {
                Selector::Classes(vec![self.class_named(&format!("{path}.class"), c, classes)?])
            }
            Some(RawSelector::Table(SelectorTable { fraction: None, class: None, classes: Some(cs) })) => {
                let mut out = Vec::with_capacity(cs.len());
                for (j, c) in cs.iter().enumerate() {
                    let i = self.class_named(&format!("{path}.classes[{j}]"), c, classes)?;
                    if out.contains(&i) {
                        return self.err(format!("{path}.classes[{j}]"), format!("class \"{c}\" is listed twice"));
                    }
                    out.push(i);
                }
                if out.is_empty() {
                    return self.err(format!("{path}.classes"), "lists no class");
                }
                out.sort_unstable();
                Selector::Classes(out)
            }
            Some(RawSelector::Table(_)) => return self.err(path, "give exactly one of `fraction`, `class` or `classes`"),
        };
        Ok(sel)
    }

    /// The index of the class named `c`, which has nodes.
    fn class_named(&self, path: &str, c: &str, classes: &[NodeClass]) -> R<usize> {
        let Some(i) = classes.iter().position(|k| k.name == c) else {
            let known: Vec<&str> = classes.iter().map(|k| k.name.as_str()).collect();
            return self.err(
                path,
                format!("no node class \"{c}\" (classes: {})", known.join(", ")),
            );
        };
        if classes[i].count == 0 {
            return self.err(path, format!("node class \"{c}\" has no nodes"));
        }
        Ok(i)
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
        self.at_most_u16("topic", raw.len(), "topics")?;
        let mut out: Vec<TopicSpec> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, t) in raw.iter().enumerate() {
            let Some(name) = t.name.clone().filter(|n| !n.is_empty()) else {
                return self.err(
                    format!("topic[{i}].name"),
                    "missing: every topic needs a name",
                );
            };
            if name.len() > MAX_NAME {
                return self.err(
                    format!("topic[{i}].name"),
                    format!(
                        "{} bytes long, more than the {MAX_NAME} a topic name may have",
                        name.len()
                    ),
                );
            }
            self.topic_name(&format!("topic[{i}].name"), &name)?;
            if !names.insert(name.clone()) {
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

    /// A class's `segment` and `parity`: how status-go splits a publication above a size.
    fn segmenting(&self, at: &str, t: &RawTraffic) -> R<Option<Segmenting>> {
        let p = |f: &str| format!("{at}.{f}");
        Ok(match (t.segment, t.parity) {
            (None, None) => None,
            (None, Some(_)) => return self.err(p("parity"), "only with `segment`"),
            (Some(Size(0)), _) => return self.err(p("segment"), "must be greater than zero"),
            (Some(Size(g)), parity) => {
                let parity = parity.unwrap_or(0.0);
                if !(parity.is_finite() && (0.0..=1.0).contains(&parity)) {
                    return self.err(p("parity"), format!("must be within [0, 1], got {parity}"));
                }
                Some(Segmenting { size: g, parity })
            }
        })
    }

    /// The largest message of a class (`size`, or a segment of it) fits every node class's
    /// `max_transmit_size` in its envelope, and an IWANT answer of them fits the engine's
    /// 32-bit RPC sizes.
    #[allow(clippy::too_many_arguments)]
    fn fits_every_class(
        &self,
        at: &str,
        size: &SizeDist,
        segment: Option<Segmenting>,
        classes: &[NodeClass],
        g: &GossipsubConfig,
        wire: &WakuEnvelope,
        preset: &str,
        topic_len_max: u32,
    ) -> R<()> {
        let p = |f: &str| format!("{at}.{f}");
        // What goes out as one message: a segment at most.
        let largest = segment.map_or(size.max(), |g| size.max().min(g.size));
        // Above MAX_TRANSMIT it is refused below; the envelope fields are bounded, so
        // this fits 32 bits.
        let max_data = u64::from(
            wire.data_len(largest.min(crate::protocol::gossipsub::MAX_TRANSMIT + 1) as u32),
        );
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
            // An IWANT answer may hold max_ihave_length messages in one RPC, whose size
            // the engine keeps in 32 bits (with room for the topic and framing).
            let topic = u64::from(topic_len_max) + 64;
            let iwant = cfg.max_ihave_length as u64 * (max_data.min(cfg.max_transmit_size) + topic);
            if max_data <= cfg.max_transmit_size && iwant > u64::from(u32::MAX) {
                return self.err(
                    p("size"),
                    format!(
                        "an IWANT answer of max_ihave_length = {} messages of {} would be {}, beyond the 4 GiB the engine sizes one RPC in ({what}); lower gossipsub.max_ihave_length or the size",
                        cfg.max_ihave_length,
                        units::fmt_size(max_data),
                        units::fmt_size(iwant)
                    ),
                );
            }
            if max_data > cfg.max_transmit_size {
                let wrapped = match wire.envelope {
                    crate::protocol::gossipsub::Envelope::Waku => "with the Waku envelope",
                    crate::protocol::gossipsub::Envelope::None => "as the message's data",
                };
                return self.err(
                    p("size"),
                    format!(
                        "largest message ({} payload, {} {wrapped}) is above the max message size {} ({what}){}",
                        units::fmt_size(largest),
                        units::fmt_size(max_data),
                        units::fmt_size(cfg.max_transmit_size),
                        if segment.is_some() { "" } else { "; status-go sends larger ones in segments: set `segment`" }
                    ),
                );
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    /// The traffic classes, each with the key path its errors name (`traffic[i]`, or
    /// `traffic_model.traffic[j]` for a model's).
    pub(super) fn traffic(
        &self,
        raw: &[(String, RawTraffic)],
        topics: &[TopicSpec],
        classes: &[NodeClass],
        nodes: u32,
        g: &GossipsubConfig,
        wire: &WakuEnvelope,
        preset: &str,
    ) -> R<Vec<TrafficClass>> {
        let mut out: Vec<TrafficClass> = Vec::new();
        let mut names = std::collections::HashSet::new();
        let topic_len_max = topics.iter().map(|t| t.name.len()).max().unwrap_or(0) as u32;
        for (at, t) in raw {
            let p = |f: &str| format!("{at}.{f}");
            let Some(name) = t.class.clone().filter(|n| !n.is_empty()) else {
                return self.err(
                    p("class"),
                    "missing: name the application class (e.g. \"chat\")",
                );
            };
            self.class_name(&p("class"), &name, "traffic class")?;
            if !names.insert(name.clone()) {
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
            let per = t.per.unwrap_or(Per::Node);
            let arrival = t.arrival.unwrap_or(Arrival::Poisson);
            let Some(size) = &t.size else {
                return self.err(p("size"), "missing: e.g. \"2000B\"");
            };
            let size = self.size(&p("size"), size)?;
            let segment = self.segmenting(at, t)?;
            self.fits_every_class(at, &size, segment, classes, g, wire, preset, topic_len_max)?;
            let publishers =
                self.selector(&p("publishers"), t.publishers.as_ref(), classes, nodes)?;
            let to = t.to.unwrap_or(Audience::All);
            let start = t.start.map_or(SimTime::ZERO, |d| d.0);
            let stop = t.stop.map(|d| d.0);
            if let Some(stop) = stop.filter(|&s| s <= start) {
                return self.err(
                    p("stop"),
                    format!("must be after start ({start}), got {stop}"),
                );
            }
            out.push(TrafficClass {
                name,
                topic,
                rate,
                per,
                size,
                publishers,
                arrival,
                segment,
                to,
                start,
                stop,
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
            "empirical" => &["file", "sizes", "weights"],
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
            ("sizes", t.sizes.is_some()),
            ("weights", t.weights.is_some()),
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
            _ => self.empirical(path, t)?,
        };
        self.check_size(path, d)
    }

    /// An empirical size distribution: from a file, or inline (what the resolved scenario
    /// writes).
    fn empirical(&self, path: &str, t: &SizeDistTable) -> R<SizeDist> {
        let f = |k: &str| format!("{path}.{k}");
        let (sizes, weights) = match (&t.file, &t.sizes, &t.weights) {
            (Some(file), None, None) => read_size_distribution(file, self.dir)
                .or_else(|e| self.err(f("file"), e.to_string()))?,
            (None, Some(s), Some(w)) => {
                if s.is_empty() || s.len() != w.len() {
                    return self.err(
                        f("weights"),
                        format!(
                            "needs one weight per size ({} sizes, {} weights), at least one",
                            s.len(),
                            w.len()
                        ),
                    );
                }
                if let Some((i, x)) = w
                    .iter()
                    .enumerate()
                    .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
                {
                    return self.err(
                        format!("{path}.weights[{i}]"),
                        format!("must be >= 0, got {x}"),
                    );
                }
                if !w.iter().sum::<f64>().is_finite() {
                    return self.err(
                        f("weights"),
                        "add up to more than a 64-bit float holds; scale them down",
                    );
                }
                if w.iter().sum::<f64>() <= 0.0 {
                    return self.err(f("weights"), "no size with a positive weight");
                }
                (s.clone(), w.clone())
            }
            (Some(_), _, _) => {
                return self.err(f("file"), "give `file` or `sizes` with `weights`, not both")
            }
            (None, _, _) => {
                return self.err(
                    f("file"),
                    "missing: required by dist \"empirical\" (or `sizes` with `weights`)",
                )
            }
        };
        Ok(SizeDist::Empirical { sizes, weights })
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

    /// The traffic model's classes after the scenario's own, none named twice; at most
    /// 2^16 in all.
    pub(super) fn merge_model(
        &self,
        traffic: &mut Vec<TrafficClass>,
        model: Vec<TrafficClass>,
    ) -> R<()> {
        let names: std::collections::HashSet<String> =
            traffic.iter().map(|o| o.name.clone()).collect();
        for t in model {
            if names.contains(&t.name) {
                return self.err(
                    "traffic_model",
                    format!("the model's class \"{}\" is also a [[traffic]] class: rename one or `skip` the model's", t.name),
                );
            }
            traffic.push(t);
        }
        self.at_most_u16("traffic", traffic.len(), "traffic classes")
    }

    /// Each class's window publishes something measured: it stops after the warm-up and
    /// starts before the measured period ends.
    pub(super) fn traffic_windows(
        &self,
        traffic: &[TrafficClass],
        warmup: SimTime,
        measure_end: SimTime,
    ) -> R<()> {
        for (i, t) in traffic.iter().enumerate() {
            if let Some(stop) = t.stop.filter(|&s| s <= warmup) {
                return self.err(
                    format!("traffic[{i}].stop"),
                    format!("{stop} is not after the warm-up ends ({warmup}): the class would publish nothing that is measured"),
                );
            }
            if t.start >= measure_end {
                return self.err(
                    format!("traffic[{i}].start"),
                    format!(
                        "{} is not before the measured period ends ({measure_end}: warmup + duration): the class would publish nothing",
                        t.start
                    ),
                );
            }
        }
        Ok(())
    }

    /// Under shard-aware peering a relay class in no topic connects to no one: a traffic
    /// class that may draw its publishers there publishes into nothing (it pulled a run's
    /// delivery ratio to 0.92 without a word).
    pub(super) fn publishers_connect(
        &self,
        traffic: &[TrafficClass],
        classes: &[NodeClass],
    ) -> R<()> {
        let isolated = |k: usize| {
            let c = &classes[k];
            c.count > 0 && c.role.relays() && c.topics.as_ref().is_some_and(Vec::is_empty)
        };
        for (i, t) in traffic.iter().enumerate() {
            let hit = match &t.publishers {
                Selector::Classes(ks) => ks.iter().copied().find(|&k| isolated(k)),
                Selector::All | Selector::Fraction(_) => (0..classes.len()).find(|&k| isolated(k)),
            };
            if let Some(k) = hit {
                return self.err(
                    format!("traffic[{i}].publishers"),
                    format!("may pick nodes of class \"{}\", which is in no topic: under topology.kind = \"shard_aware\" its nodes connect to no one, so their publications reach nobody (name the publishing classes, or give that class topics)", classes[k].name),
                );
            }
        }
        Ok(())
    }
}
