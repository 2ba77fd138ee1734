//! The resolved scenario: every default filled in, as TOML that runs as-is, and what follows
//! from the one declaration of the gossipsub parameters (overrides, the `[gossipsub]` table,
//! the presets table).

use crate::protocol::gossipsub::{preset, Envelope};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::{Bandwidth, Duration, RateStr, Size, Written};
use std::fmt::Write;

/// The scenario as TOML, every default filled in (what `scenario.resolved.toml` holds).
pub fn resolve_toml(s: &Scenario) -> String {
    let raw = RawScenario {
        name: Some(s.name.clone()),
        seed: Some(RawSeed(s.seed)),
        nodes: Some(u64::from(s.nodes)),
        time: Some(RawTime {
            warmup: Some(Duration(s.warmup)),
            duration: Some(Duration(s.duration)),
            drain: Some(Duration(s.drain)),
        }),
        gossipsub: Some(raw_gossipsub(&s.preset, &s.gossipsub)),
        topology: Some(resolve_topology(&s.topology)),
        latency: Some(resolve_latency(&s.latency)),
        network: Some(RawNetwork {
            loss: Some(s.loss),
            validation_delay: Some(Duration(s.validation_delay)),
            transport: Some(s.transport),
        }),
        wire: Some(match s.wire.envelope {
            Envelope::Waku => WakuEnvelopeRaw {
                envelope: None,
                content_topic_len: Some(s.wire.content_topic_len),
                timestamp: Some(s.wire.timestamp),
                version: Some(s.wire.version),
                meta_len: Some(s.wire.meta_len),
                rln_proof: Some(s.wire.rln_proof),
            },
            Envelope::None => WakuEnvelopeRaw {
                envelope: Some(Envelope::None),
                content_topic_len: Some(s.wire.content_topic_len),
                ..WakuEnvelopeRaw::default()
            },
        }),
        node_class: s.node_classes.iter().map(|c| resolve_class(c, s)).collect(),
        topic: s
            .topics
            .iter()
            .map(|t| RawTopic {
                name: Some(t.name.clone()),
                subscribers: Some(resolve_selector(&t.subscribers, s)),
            })
            .collect(),
        traffic: s.traffic.iter().map(|t| resolve_traffic(t, s)).collect(),
        // Its classes are among `traffic` now.
        traffic_model: None,
    };
    let body = toml::to_string(&raw).expect("a resolved scenario always serializes");
    format!(
        "# Resolved scenario: every default filled in. Runs as-is with `gossipsim run`.\n{body}"
    )
}

/// A node class as the resolved scenario writes it.
fn resolve_class(c: &NodeClass, s: &Scenario) -> RawNodeClass {
    // A class that runs the scenario's parameters says nothing more; one with its
    // own writes its stack and every parameter.
    let relay = c.role.relays();
    let own = relay && (c.preset != s.preset || c.gossipsub != s.gossipsub);
    let topology = topology_dial(s).filter(|_| relay);
    RawNodeClass {
        name: Some(c.name.clone()),
        share: Some(c.share),
        upload: Some(Bandwidth(c.upload_bps)),
        download: Some(Bandwidth(c.download_bps)),
        preset: own.then(|| c.preset.clone()),
        gossipsub: own.then(|| RawGossipsub {
            preset: None,
            ..raw_gossipsub(&c.preset, &c.gossipsub)
        }),
        // Likewise dials and cap, where they differ from the topology's.
        outbound: c
            .dial
            .filter(|_| relay)
            .filter(|d| Some(d.0) != topology.map(|t| t.0))
            .map(|d| u64::from(d.0)),
        max_connections: c
            .dial
            .filter(|_| relay)
            .filter(|d| Some(d.1) != topology.map(|t| t.1))
            .map(|d| u64::from(d.1)),
        topics: c.topics.as_ref().map(|ts| {
            ts.iter()
                .filter(|t| !c.role.light_topics().contains(t))
                .map(|t| s.topics[t.idx()].name.clone())
                .collect()
        }),
        regions: match (&c.regions, &s.latency) {
            (Some(w), LatencySpec::Regions { names, .. }) => {
                Some(names.iter().cloned().zip(w.iter().copied()).collect())
            }
            _ => None,
        },
        store: c.store.map(|q| s.node_classes[q.store].name.clone()),
        store_interval: c.store.map(|q| Duration(q.interval)),
        store_page: c.store.map(|q| u64::from(q.page)),
        ..super::roles::resolve_role(c, s)
    }
}

/// The topology's (outbound, max_connections), where nodes dial.
fn topology_dial(s: &Scenario) -> Option<(u32, u32)> {
    s.topology.dials()
}

fn resolve_topology(t: &TopologySpec) -> RawTopology {
    match *t {
        TopologySpec::Replay { ref edges } => RawTopology {
            kind: Some(TopologyKind::File),
            edges: Some(
                edges
                    .iter()
                    .map(|&(a, b)| vec![u64::from(a), u64::from(b)])
                    .collect(),
            ),
            ..Default::default()
        },
        TopologySpec::RandomDial {
            outbound,
            max_connections,
        } => RawTopology {
            kind: Some(TopologyKind::RandomDial),
            outbound: Some(outbound.into()),
            max_connections: Some(max_connections.into()),
            ..Default::default()
        },
        TopologySpec::ShardAware {
            outbound,
            max_connections,
        } => RawTopology {
            kind: Some(TopologyKind::ShardAware),
            outbound: Some(outbound.into()),
            max_connections: Some(max_connections.into()),
            ..Default::default()
        },
        TopologySpec::RandomRegular { degree } => RawTopology {
            kind: Some(TopologyKind::RandomRegular),
            degree: Some(degree.into()),
            ..Default::default()
        },
        TopologySpec::StaticMesh { degree } => RawTopology {
            kind: Some(TopologyKind::StaticMesh),
            degree: Some(degree.into()),
            ..Default::default()
        },
    }
}

fn resolve_traffic(t: &TrafficClass, s: &Scenario) -> RawTraffic {
    RawTraffic {
        class: Some(t.name.clone()),
        topic: Some(s.topics[t.topic.idx()].name.clone()),
        rate: Some(RateStr(t.rate)),
        per: Some(t.per),
        size: Some(resolve_size(&t.size)),
        segment: t.segment.map(|g| Size(g.size)),
        parity: t.segment.map(|g| g.parity),
        to: (t.to == Audience::Relays).then_some(t.to),
        start: (t.start > SimTime::ZERO).then_some(Duration(t.start)),
        stop: t.stop.map(Duration),
        publishers: Some(resolve_selector(&t.publishers, s)),
        arrival: Some(t.arrival),
    }
}

/// What follows from the one declaration of the gossipsub parameters: a scenario's
/// overrides, the `[gossipsub]` table of a config, and a config's values as tables show them.
macro_rules! gossipsub_tables {
    ($( $(#[$doc:meta])* $f:ident ($label:literal): $cfg:ty as $raw:ty ),* $(,)?) => {
        /// Sets on `c` (a preset) every parameter `g` (a scenario's `[gossipsub]`) sets.
        pub(super) fn override_params(c: &mut GossipsubConfig, g: RawGossipsub) {
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
    let _ = writeln!(out, "|---|{}", "---|".repeat(PRESETS.len()));
    for (i, (name, label)) in PARAMS.iter().enumerate() {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        };
        let row: Vec<&str> = values.iter().map(|v| v[i].as_str()).collect();
        let _ = writeln!(out, "| `{name}`{label} | {} |", row.join(" | "));
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
            r.kind = Some(LatencyKind::Fixed);
            r.value = d(*v);
        }
        LatencySpec::Uniform { min, max } => {
            r.kind = Some(LatencyKind::Uniform);
            (r.min, r.max) = (d(*min), d(*max));
        }
        LatencySpec::Normal {
            mean,
            std_dev,
            floor,
        } => {
            r.kind = Some(LatencyKind::Normal);
            (r.mean, r.std_dev, r.floor) = (d(*mean), d(*std_dev), d(*floor));
        }
        LatencySpec::LogNormal {
            median,
            sigma,
            floor,
        } => {
            r.kind = Some(LatencyKind::Lognormal);
            (r.median, r.sigma, r.floor) = (d(*median), Some(*sigma), d(*floor));
        }
        LatencySpec::Regions {
            names,
            rtt_ms,
            weights,
            floor,
        } => {
            // The matrix itself, so that the resolved scenario runs from any folder and
            // reads the same wherever the file was found.
            r.kind = Some(LatencyKind::Regions);
            r.regions = Some(names.clone());
            r.rtt_ms = Some(rtt_ms.clone());
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
            classes: None,
        }),
        Selector::Classes(cs) if cs.len() == 1 => RawSelector::Table(SelectorTable {
            fraction: None,
            class: Some(s.node_classes[cs[0]].name.clone()),
            classes: None,
        }),
        Selector::Classes(cs) => RawSelector::Table(SelectorTable {
            fraction: None,
            class: None,
            classes: Some(cs.iter().map(|&c| s.node_classes[c].name.clone()).collect()),
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
        sizes: None,
        weights: None,
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
        SizeDist::Empirical { sizes, weights } => RawSize::Dist(SizeDistTable {
            dist: "empirical".into(),
            sizes: Some(sizes.clone()),
            weights: Some(weights.clone()),
            ..blank
        }),
    }
}
