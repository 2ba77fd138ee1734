//! The random streams a run draws from, by name: each step of world building draws from its
//! own, so that changing one part of a scenario does not shift the draws of another. Owns
//! the names (part of the derivation) and nothing else.

use crate::rng::{SimRng, Streams};

/// The random streams a run draws from, each derived from the master seed and its name (and
/// an index: the peer, topic or traffic class). The names are part of the derivation:
/// renaming one changes every result drawn from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Each node's class.
    NodeClasses,
    /// Each node's region (regional latency only).
    Regions,
    /// The connection graph.
    Topology,
    /// Each link's latency.
    Latency,
    /// Each peer's first heartbeat.
    HeartbeatPhase,
    /// A peer's mesh and fanout choices (index: the peer).
    PeerMesh,
    /// A peer's draws that traffic triggers (index: the peer).
    PeerTraffic,
    /// Which nodes subscribe to a topic (index: the topic).
    TopicSubscribers,
    /// Which nodes publish a traffic class (index: the class).
    Publishers,
    /// A traffic class's arrivals and sizes (index: the class).
    Traffic,
    /// Which service nodes each light client uses.
    ServicePeers,
    /// Each service link's latency.
    ServiceLatency,
    /// A light client's first filter ping (index: the node).
    LightPhase,
    /// Which store node each store client asks.
    StorePeers,
    /// Each new store link's latency.
    StoreLatency,
    /// A store client's first check (index: the node).
    StorePhase,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::NodeClasses => "node_classes",
            Stream::Regions => "regions",
            Stream::Topology => "topology",
            Stream::Latency => "latency",
            Stream::HeartbeatPhase => "heartbeat_phase",
            Stream::PeerMesh => "peer_mesh",
            Stream::PeerTraffic => "peer_traffic",
            Stream::TopicSubscribers => "topic_subscribers",
            Stream::Publishers => "publishers",
            Stream::Traffic => "traffic",
            Stream::ServicePeers => "service_peers",
            Stream::ServiceLatency => "service_latency",
            Stream::LightPhase => "light_phase",
            Stream::StorePeers => "store_peers",
            Stream::StoreLatency => "store_latency",
            Stream::StorePhase => "store_phase",
        }
    }

    /// Instance `index` of this stream under `streams`' master seed.
    pub fn of(self, streams: &Streams, index: u64) -> SimRng {
        streams.stream(self.name(), index)
    }
}
