//! Raw scenario → validated [`Scenario`]. Applies defaults (through the same checks as user
//! values), resolves presets, reads data files, and builds the resolved TOML. Every error is a
//! [`ScenarioError`] naming the key path and, where the key is in the file, its line.
//!
//! Here: parsing, error locations, the top level and `[gossipsub]`; `net.rs` the topology and
//! latency tables; `classes.rs` the node classes; `roles.rs` the keys only a role takes
//! (validated and resolved); `traffic.rs` topics, traffic and sizes; `resolve.rs` the resolved TOML and what follows from the gossipsub parameter declaration.

mod classes;
mod model;
mod net;
mod overrides;
mod resolve;
mod roles;
mod traffic;

use super::raw::*;
use super::*;
use crate::protocol::gossipsub::preset;
use std::path::Path;

use resolve::override_params;
pub use resolve::{gossipsub_toml, presets_markdown, raw_gossipsub, resolve_toml, shown_params};

pub use overrides::{keys_overlap, load_with, Override};

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &[])
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
            let path = match (path.as_str(), line) {
                // A value the TOML reader refused (a number too large for any integer) is
                // named by the key written on its line.
                (".", Some(l)) => key_at_line(src, l).unwrap_or_default(),
                (".", None) => String::new(),
                _ => path,
            };
            let mut msg = one_line(inner.message());
            if msg == "number too large to fit in target type" {
                msg += " (TOML integers are at most 2^63 - 1)";
            }
            if path == "sweep" && msg.starts_with("unknown field `sweep`") {
                msg = "this is a sweep file, not a scenario: run it with `gossipsim sweep`".into();
            }
            return Err(ScenarioError {
                file: file.into(),
                line,
                path,
                msg,
            });
        }
    };
    let v = Validator { src, file, dir };
    v.scenario(raw, default_name)
}

/// A parser's message on one line: TOML's put what was expected on a second line.
pub fn one_line(msg: &str) -> String {
    msg.trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The key path written on line `line` (1-based) of `src`: the table header above it and the
/// key before its `=` (`gossipsub.mesh_n`, `traffic.size` in an array of tables); `None`
/// where the line sets no key.
fn key_at_line(src: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    for (n, text) in src.lines().enumerate().take(line) {
        let t = text.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        } else if n + 1 == line {
            let key = t.split_once('=')?.0.trim().trim_matches('"');
            if key.is_empty() {
                return None;
            }
            return Some(if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            });
        }
    }
    None
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

/// The line of key `path` in `src`, else of the nearest enclosing key written there.
fn line_for(src: &str, path: &str) -> Option<usize> {
    locate(src, path).or_else(|| {
        let mut p = path;
        while let Some(i) = p.rfind(['.', '[']) {
            p = &p[..i];
            if let Some(l) = locate(src, p) {
                return Some(l);
            }
        }
        None
    })
}

struct Validator<'a> {
    src: &'a str,
    file: &'a str,
    dir: Option<&'a Path>,
}

type R<T> = Result<T, ScenarioError>;

/// Content topics on each of `topics` topics: one per traffic class published there (one
/// where none is).
fn content_topics(topics: usize, traffic: &[TrafficClass]) -> Vec<u16> {
    (0..topics)
        .map(|t| {
            let n = traffic.iter().filter(|c| c.topic.idx() == t).count();
            n.clamp(1, usize::from(u16::MAX)) as u16
        })
        .collect()
}

impl Validator<'_> {
    /// Refuses more than 65535 `what` at `path`: their ids are 16-bit.
    fn at_most_u16(&self, path: &str, n: usize, what: &str) -> R<()> {
        if n > usize::from(u16::MAX) {
            return self.err(
                path,
                format!(
                    "{n} {what}, more than the {} a run may have (their ids are 16-bit)",
                    u16::MAX
                ),
            );
        }
        Ok(())
    }

    fn err<T>(&self, path: impl Into<String>, msg: impl Into<String>) -> R<T> {
        let path = path.into();
        let line = line_for(self.src, &path);
        Err(ScenarioError {
            file: self.file.into(),
            line,
            path,
            msg: msg.into(),
        })
    }

    /// Refuses a key of table `table` that its `what` (`kind`, `dist`) `kind` does not take:
    /// `present` says which keys are written.
    fn only_keys(
        &self,
        table: &str,
        what: &str,
        kind: &str,
        allowed: &[&str],
        present: &[(&str, bool)],
    ) -> R<()> {
        match present.iter().find(|(k, p)| *p && !allowed.contains(k)) {
            Some((k, _)) => self.err(
                format!("{table}.{k}"),
                format!(
                    "not used by {what} \"{kind}\" (it takes: {})",
                    allowed.join(", ")
                ),
            ),
            None => Ok(()),
        }
    }

    fn positive(&self, path: &str, d: SimTime) -> R<SimTime> {
        if d == SimTime::ZERO {
            return self.err(path, "must be greater than zero");
        }
        Ok(d)
    }

    /// A class name, as metric keys carry it (`bandwidth.in.node_class.<name>.total…`), so
    /// that a key splits back into its parts: letters, digits, `_` and `-`, not starting
    /// with `-`. (`kind` says what it names, for the message.)
    fn class_name(&self, path: &str, name: &str, kind: &str) -> R<()> {
        let ok = !name.is_empty()
            && !name.starts_with('-')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return self.err(
                path,
                format!("\"{}\" cannot name a {kind}: use letters, digits, _ and - (not first), since metric keys carry it between dots", name.escape_debug()),
            );
        }
        Ok(())
    }

    /// A topic name, as metric keys carry it (`delivery.topic.<name>.ratio`): no dot, and no
    /// space, control character or comma.
    fn topic_name(&self, path: &str, name: &str) -> R<()> {
        if let Some(c) = name
            .chars()
            .find(|&c| c == '.' || c == ',' || c.is_whitespace() || c.is_control())
        {
            return self.err(
                path,
                format!("\"{}\" cannot name a topic: it holds {:?}, and metric keys carry the name between dots", name.escape_debug(), c),
            );
        }
        Ok(())
    }

    /// A period of a per-node timer, at least `floor` (`why` says what the floor keeps).
    fn period(&self, path: &str, d: SimTime, floor: SimTime, why: &str) -> R<SimTime> {
        if d < floor {
            return self.err(path, format!("must be at least {floor}, got {d} ({why})"));
        }
        Ok(d)
    }

    /// The run's name (a folder name) and its node count.
    fn name_and_nodes(&self, raw: &RawScenario, default_name: &str) -> R<(String, u32)> {
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
        Ok((name, nodes))
    }

    /// `[time]`: warm-up, measured duration, drain.
    fn time(&self, raw: &RawScenario) -> R<(SimTime, SimTime, SimTime)> {
        let t = raw.time.clone().unwrap_or_default();
        let warmup = t.warmup.map_or(SimTime::from_secs(30), |d| d.0);
        let duration = self.positive(
            "time.duration",
            t.duration.map_or(SimTime::from_secs(600), |d| d.0),
        )?;
        let drain = t.drain.map_or(SimTime::from_secs(10), |d| d.0);
        Ok((warmup, duration, drain))
    }

    /// `[wire]`: the envelope, its fields only with a Waku envelope, each within what the
    /// 32-bit wire sizes hold with room (a filter request or store query carries a content
    /// topic per traffic class).
    fn wire(&self, raw: &RawScenario) -> R<crate::protocol::gossipsub::WakuEnvelope> {
        let raw_wire = raw.wire.clone().unwrap_or_default();
        if raw_wire.envelope == Some(crate::protocol::gossipsub::Envelope::None) {
            let set = [
                ("timestamp", raw_wire.timestamp.is_some()),
                ("version", raw_wire.version.is_some()),
                ("meta_len", raw_wire.meta_len.is_some()),
                ("rln_proof", raw_wire.rln_proof.is_some()),
            ];
            if let Some((k, _)) = set.iter().find(|(_, on)| *on) {
                return self.err(
                    format!("wire.{k}"),
                    "not used with wire.envelope = \"none\" (the data is the payload)",
                );
            }
        }
        let wire = raw_wire.resolve();
        for (key, v, max) in [
            ("wire.content_topic_len", wire.content_topic_len, 4096),
            ("wire.meta_len", wire.meta_len, 1 << 20),
        ] {
            if v > max {
                return self.err(
                    key,
                    format!("{v} bytes is above the largest the engine sizes ({max})"),
                );
            }
        }
        Ok(wire)
    }

    fn scenario(&self, raw: RawScenario, default_name: &str) -> R<Scenario> {
        let (name, nodes) = self.name_and_nodes(&raw, default_name)?;
        let (warmup, duration, drain) = self.time(&raw)?;
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
        let wire = self.wire(&raw)?;
        let (node_classes, topics) = self.classes_and_topics(
            &raw,
            nodes,
            (&preset_name, &gossipsub),
            (&topology, &latency),
            warmup + duration + drain,
        )?;
        let own: Vec<(String, RawTraffic)> = (raw.traffic.iter().cloned().enumerate())
            .map(|(i, t)| (format!("traffic[{i}]"), t))
            .collect();
        let check = |v: &Validator<'_>, list: &[(String, RawTraffic)]| {
            v.traffic(
                list,
                &topics,
                &node_classes,
                nodes,
                &gossipsub,
                &wire,
                &preset_name,
            )
        };
        let mut traffic = check(self, &own)?;
        let model = self.traffic_model(
            raw.traffic_model.as_ref(),
            &topics,
            &node_classes,
            nodes,
            check,
        )?;
        self.merge_model(&mut traffic, model)?;
        if matches!(topology, TopologySpec::ShardAware { .. }) {
            self.publishers_connect(&traffic, &node_classes)?;
        }
        self.traffic_windows(&traffic, warmup, warmup.saturating_add(duration))?;
        let mut s = Scenario {
            name,
            seed: raw.seed.map_or(1, |s| s.0),
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
            content_topics: content_topics(topics.len(), &traffic),
            topics,
            traffic,
            resolved_toml: String::new(),
        };
        s.resolved_toml = resolve_toml(&s);
        Ok(s)
    }

    /// The node classes and topics, each checked against the other: the classes' own keys,
    /// the topics (whose subscribers may name classes), then the classes' topic lists,
    /// services and stores.
    fn classes_and_topics(
        &self,
        raw: &RawScenario,
        nodes: u32,
        scenario: (&str, &GossipsubConfig),
        (topology, latency): (&TopologySpec, &LatencySpec),
        end: SimTime,
    ) -> R<(Vec<NodeClass>, Vec<TopicSpec>)> {
        let mut classes = self.node_classes(&raw.node_class, nodes, scenario, topology, latency)?;
        let topics = self.topics(&raw.topic, &classes, nodes)?;
        self.class_topics(&raw.node_class, &mut classes, &topics)?;
        self.class_services(&classes, &topics)?;
        self.class_stores(&raw.node_class, &mut classes, &topics, end)?;
        Ok((classes, topics))
    }

    /// The scenario's `[gossipsub]`: its preset (default nwaku) with its parameters on top.
    fn gossipsub(&self, g: RawGossipsub) -> R<(String, GossipsubConfig)> {
        let name = g.preset.clone().unwrap_or_else(|| "nwaku".into());
        let base = self.preset("gossipsub.preset", &name)?;
        Ok((name, self.parameters("gossipsub", base, g)?))
    }

    /// The preset called `name`, or an error at `path`.
    fn preset(&self, path: &str, name: &str) -> R<GossipsubConfig> {
        preset(name).map_or_else(
            || {
                self.err(
                    path,
                    format!(
                        "unknown preset \"{name}\" (known: {})",
                        crate::protocol::gossipsub::PRESETS.join(", ")
                    ),
                )
            },
            Ok,
        )
    }

    /// `base` with what the table at `path` sets, checked against the spec's constraints.
    fn parameters(
        &self,
        path: &str,
        mut base: GossipsubConfig,
        g: RawGossipsub,
    ) -> R<GossipsubConfig> {
        override_params(&mut base, g);
        if let Err(e) = base.validate() {
            return self.err(format!("{path}.{}", e.param), e.reason);
        }
        Ok(base)
    }
}
