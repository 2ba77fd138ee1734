//! The Waku side of a partition's nodes that is not protocol state, by local index: each
//! node's service and store links, and what its store served. A table the partition owns;
//! the machines themselves are in each node's stack (`protocol::node::Node`).

use crate::ids::{PeerId, SimTime};

/// Service and store links of a partition's nodes, by local index (empty when the run has
/// no light or store client).
#[derive(Default)]
pub(super) struct WakuLinks {
    /// A store node's pages answered and hashes sent while measuring.
    pub served: Vec<(u64, u64)>,
    /// Each node's service and store links: (other end, one-way latency), sorted by the
    /// other end.
    pub links: Vec<Vec<(PeerId, SimTime)>>,
}

impl WakuLinks {
    pub fn latency(&self, v: usize, to: PeerId) -> SimTime {
        let row = &self.links[v];
        let i = row
            .binary_search_by_key(&to, |l| l.0)
            .expect("Waku RPCs go over service and store links");
        row[i].1
    }
}
