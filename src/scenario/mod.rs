//! Scenarios: parse (raw serde structs, `raw.rs`), then validate into the typed [`Scenario`]
//! (`validate/`) that the rest of gossipsim sees. Data files (latency matrices, size
//! distributions) are read in `files.rs`. Every error names the TOML key path, and the line
//! where it can be found.

pub mod class;
pub mod files;
pub mod raw;
pub mod validate;

use crate::ids::{SimTime, TopicId};
use crate::protocol::gossipsub::{GossipsubConfig, Transport, WakuEnvelope};
use crate::traffic::Pattern;
use crate::units::Rate;
use std::path::Path;

pub use class::{LightSpec, LightTopics, NodeClass, Role, RoleWord, StoreSpec};
pub use validate::{keys_overlap, load_with, Override};

/// A scenario file and the keys set on top of it on the command line.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: std::path::PathBuf,
    pub sets: Vec<Override>,
}

impl Source {
    pub fn new(path: std::path::PathBuf, sets: Vec<Override>) -> Self {
        Source { path, sets }
    }

    /// The validated scenario.
    pub fn load(&self) -> Result<Scenario, ScenarioError> {
        validate::load_with(&self.path, &self.sets)
    }
}

// The specs the lower layers own, re-exported for readers of a scenario.
pub use crate::net::latency::LatencySpec;
pub use crate::net::topology::TopologySpec;
pub use crate::traffic::{Arrival, Per, SizeDist};
pub use validate::{load, one_line, parse_str};

/// A scenario error: where (file, line, key path) and what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub path: String,
    pub msg: String,
}

impl ScenarioError {
    fn render(&self) -> String {
        let loc = match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        };
        if self.path.is_empty() {
            format!("{loc}: {}", self.msg)
        } else {
            format!("{loc}: {}: {}", self.path, self.msg)
        }
    }
}

impl Selector {
    /// The classes it names (none for `all` and fractions).
    pub fn classes(&self) -> &[usize] {
        match self {
            Selector::Classes(cs) => cs,
            Selector::All | Selector::Fraction(_) => &[],
        }
    }
}

/// A set of nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    All,
    /// `round(fraction × nodes)` nodes drawn at random.
    Fraction(f64),
    /// Every node of the classes (indices into `node_classes`, sorted, one or more).
    Classes(Vec<usize>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    pub name: String,
    pub subscribers: Selector,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrafficClass {
    pub name: String,
    pub topic: TopicId,
    pub rate: Rate,
    pub per: Per,
    pub size: SizeDist,
    pub publishers: Selector,
    pub arrival: Arrival,
    /// Messages above a size go out in segments.
    pub segment: Option<Segmenting>,
    /// Who in its topic receives it.
    pub to: Audience,
    /// It publishes from `start` (after the run's start) until `stop` (or the end of the
    /// measured period, whichever comes first).
    pub start: SimTime,
    pub stop: Option<SimTime>,
}

crate::word_enum!(
    /// Who in a topic receives a class's messages.
    Audience {
        /// Every node in the topic: its relays and the light clients that follow it.
        All = "all",
        /// Its relays only: the messages are addressed to a few (a user's own devices, a 1:1
        /// peer, a requester), so a light client, which filters by content topic, follows
        /// none of them. Its addressee's own copy is not modelled.
        Relays = "relays",
    }
);

/// status-go's segmentation (`protocol/common/message_segmentation.go`): a payload above
/// `size` goes out as ceil(payload / size) messages of `size` (the last one the rest), and
/// floor(that × `parity`) Reed-Solomon parity messages of `size` when data and parity are
/// at most 256 together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segmenting {
    pub size: u64,
    pub parity: f64,
}

/// At most this many data and parity segments get parity (status-go's
/// `segmentsReedsolomonMaxCount`).
const MAX_RS_SEGMENTS: u64 = 256;

impl Segmenting {
    /// The payloads `payload` goes out as, in order.
    pub fn split(&self, payload: u64) -> impl Iterator<Item = u64> {
        let size = self.size.max(1);
        let data = payload.div_ceil(size).max(1);
        let parity = if payload <= size {
            0
        } else {
            let p = (data as f64 * self.parity).floor() as u64;
            if data + p > MAX_RS_SEGMENTS {
                0
            } else {
                p
            }
        };
        let last = payload - (data - 1) * size;
        (0..data + parity).map(move |i| if i + 1 == data { last } else { size })
    }
}

impl TrafficClass {
    /// What its generator publishes.
    pub fn pattern(&self) -> Pattern {
        Pattern {
            rate: self.rate,
            per: self.per,
            arrival: self.arrival,
            size: self.size.clone(),
            start: self.start,
            stop: self.stop,
        }
    }
}

/// A validated scenario: every default filled in, every unit typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub nodes: u32,
    pub warmup: SimTime,
    pub duration: SimTime,
    pub drain: SimTime,
    pub preset: String,
    pub gossipsub: GossipsubConfig,
    pub topology: TopologySpec,
    pub latency: LatencySpec,
    pub loss: f64,
    pub validation_delay: SimTime,
    pub transport: Transport,
    pub wire: WakuEnvelope,
    pub node_classes: Vec<NodeClass>,
    pub topics: Vec<TopicSpec>,
    pub traffic: Vec<TrafficClass>,
    /// Per topic: its content topics, one per application class published there (at
    /// least one), what a filter or store request names.
    pub content_topics: Vec<u16>,
    /// The scenario as TOML with every default filled in.
    pub resolved_toml: String,
}

impl Scenario {
    /// The topic of each traffic class, in class order.
    pub fn class_topics(&self) -> Vec<TopicId> {
        self.traffic.iter().map(|t| t.topic).collect()
    }

    /// End of publishing and of measurement.
    pub fn measure_end(&self) -> SimTime {
        self.warmup + self.duration
    }
    /// Whether `t` lies in the measurement window [warm-up, measurement end).
    pub fn measuring(&self, t: SimTime) -> bool {
        t >= self.warmup && t < self.measure_end()
    }
    /// End of the run (measurement end + drain, so late copies still arrive).
    pub fn end(&self) -> SimTime {
        self.measure_end() + self.drain
    }
    /// How many nodes `sel` picks (the simulator draws exactly this many).
    pub fn selected(&self, sel: &Selector) -> u32 {
        match sel {
            Selector::All => self.nodes,
            Selector::Fraction(f) => {
                ((f * f64::from(self.nodes)).round() as u32).clamp(1, self.nodes)
            }
            Selector::Classes(cs) => cs.iter().map(|&c| self.node_classes[c].count).sum(),
        }
    }

    /// Whether any node speaks a request-response protocol: a light client (filter,
    /// lightpush) or a store client. Without, a run builds none of their machinery.
    pub fn has_waku(&self) -> bool {
        self.node_classes
            .iter()
            .any(|c| c.role.light().is_some() || c.store.is_some())
    }

    /// How many relay nodes are in topic `t` (its mesh's nodes, the model's N).
    pub fn relays_in(&self, t: TopicId) -> u32 {
        let light_in: u32 = self
            .node_classes
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.relays_on(t))
            .map(|(k, _)| class_share_of_topic(&self.node_classes, &self.topics[t.idx()], t, k))
            .sum();
        self.subscribers(t).saturating_sub(light_in)
    }

    /// How many nodes are in topic `t` (the simulator subscribes exactly this many).
    pub fn subscribers(&self, t: TopicId) -> u32 {
        subscribers(&self.node_classes, &self.topics[t.idx()], t)
    }

    /// The same scenario with another warm-up and/or measured duration (drain kept).
    pub fn with_times(&self, warmup: Option<SimTime>, duration: Option<SimTime>) -> Scenario {
        let mut s = self.clone();
        s.warmup = warmup.unwrap_or(s.warmup);
        s.duration = duration.unwrap_or(s.duration);
        s.resolved_toml = validate::resolve_toml(&s);
        s
    }

    /// The same scenario with another seed.
    pub fn with_seed(&self, seed: u64) -> Scenario {
        let mut s = self.clone();
        s.seed = seed;
        s.resolved_toml = validate::resolve_toml(&s);
        s
    }
}

/// How many nodes are in topic `id` (spec `t`): every node of a class that lists it, and
/// what its subscriber rule picks among the nodes of the classes that list no topics.
pub fn subscribers(classes: &[NodeClass], t: &TopicSpec, id: TopicId) -> u32 {
    let listed: u32 = classes
        .iter()
        .filter(|c| c.topics.as_ref().is_some_and(|ts| ts.contains(&id)))
        .map(|c| c.count)
        .sum();
    listed + rule_picks(classes, &t.subscribers)
}

/// How many of class `k`'s nodes are in topic `id` (spec `t`): exact, but for a fraction
/// rule its expected share of the picks.
fn class_share_of_topic(classes: &[NodeClass], t: &TopicSpec, id: TopicId, k: usize) -> u32 {
    let c = &classes[k];
    if let Some(ts) = &c.topics {
        return if ts.contains(&id) { c.count } else { 0 };
    }
    match &t.subscribers {
        Selector::All => c.count,
        Selector::Classes(xs) => {
            if xs.contains(&k) {
                c.count
            } else {
                0
            }
        }
        Selector::Fraction(_) => {
            let pool: u32 = classes
                .iter()
                .filter(|c| c.topics.is_none())
                .map(|c| c.count)
                .sum();
            let picks = rule_picks(classes, &t.subscribers);
            (f64::from(picks) * f64::from(c.count) / f64::from(pool.max(1))).round() as u32
        }
    }
}

/// How many nodes a topic's subscriber rule picks: among the nodes of the classes that list
/// no topics of their own (every node when none does).
pub fn rule_picks(classes: &[NodeClass], sel: &Selector) -> u32 {
    let pool: u32 = classes
        .iter()
        .filter(|c| c.topics.is_none())
        .map(|c| c.count)
        .sum();
    match sel {
        Selector::All => pool,
        Selector::Fraction(_) if pool == 0 => 0,
        Selector::Fraction(f) => ((f * f64::from(pool)).round() as u32).clamp(1, pool),
        Selector::Classes(cs) => cs
            .iter()
            .filter(|&&c| classes[c].topics.is_none())
            .map(|&c| classes[c].count)
            .sum(),
    }
}

/// The scenario name for a path: its file stem.
pub fn name_from_path(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}
