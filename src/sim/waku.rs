//! The Waku side of a partition's nodes, by local index: each node's machines
//! ([`WakuNode`]), its service and store links, and what its store served. A table the
//! partition owns; what its machines' outputs become is `light`'s.

use crate::ids::{PeerId, SimTime};
use crate::protocol::waku::WakuNode;

/// The request-response side of a partition's nodes, by local index (empty when the run
/// has no light or store client).
#[derive(Default)]
pub(super) struct LightNodes {
    /// Each node's Waku machines.
    pub nodes: Vec<WakuNode>,
    /// A store node's pages answered and hashes sent while measuring.
    pub served: Vec<(u64, u64)>,
    /// Each node's service and store links: (other end, one-way latency), sorted by the
    /// other end.
    pub links: Vec<Vec<(PeerId, SimTime)>>,
}

impl LightNodes {
    /// Local node `v`'s store: messages archived, (pages answered, hashes sent) while
    /// measuring. `None` for a node that stores nothing.
    pub fn store_load(&self, v: usize) -> Option<(u64, (u64, u64))> {
        let archived = self.nodes.get(v)?.archived_total()?;
        Some((archived as u64, self.served[v]))
    }

    /// Whether node `v` follows `topic` as a light client (publishes there by lightpush).
    pub fn follows(&self, v: usize, topic: crate::ids::TopicId) -> bool {
        self.nodes.get(v).is_some_and(|n| n.follows(topic))
    }

    pub fn latency(&self, v: usize, to: PeerId) -> SimTime {
        let row = &self.links[v];
        let i = row
            .binary_search_by_key(&to, |l| l.0)
            .expect("light transmissions go over service links");
        row[i].1
    }
}
