//! The connections of a partition's peers, laid out for sends: by (local peer, slot), the
//! one-way latency and the slot the peer has among the other end's neighbours. Owns that
//! table only; links and their latencies are drawn in `net`.

use crate::ids::{PeerId, SimTime};
use crate::net::Links;
use crate::prefetch::prefetch_slice;
use crate::protocol::gossipsub::Peer;

/// A peer's slots never move and the connections open once, at t = 0, so a send looks these
/// up by index instead of searching (churn, when it comes, will have to extend a peer's row
/// when it connects).
pub(super) struct SlotTable {
    off: Vec<u32>,
    pub lat: Vec<SimTime>,
    pub rev: Vec<u32>,
}

impl SlotTable {
    /// The rows of `nodes`, whose peers (all built, connections open) are in `peers`; a
    /// light node (no peer) has an empty row.
    pub fn new(nodes: &[PeerId], peers: &[Option<Peer>], links: &Links) -> Self {
        let mut t = SlotTable {
            off: Vec::with_capacity(nodes.len() + 1),
            lat: Vec::new(),
            rev: Vec::new(),
        };
        t.off.push(0);
        for &v in nodes {
            let Some(p) = peers[v.idx()].as_ref() else {
                t.off.push(t.lat.len() as u32);
                continue;
            };
            for s in 0..p.connections() as u32 {
                let q = p.neighbour(s);
                let other = peers[q.idx()]
                    .as_ref()
                    .expect("built before the partitions");
                t.lat
                    .push(links.latency(v, q).expect("peers connect over links"));
                t.rev
                    .push(other.slot_of(v).expect("connections open at both ends"));
            }
            t.off.push(t.lat.len() as u32);
        }
        t
    }

    /// Hints the CPU to load local peer `v`'s row.
    #[inline]
    pub fn prefetch_row(&self, v: usize) {
        let (a, b) = (self.off[v] as usize, self.off[v + 1] as usize);
        prefetch_slice(&self.lat[a..b], 8);
        prefetch_slice(&self.rev[a..b], 4);
    }

    /// Index of (local peer `v`, `slot`).
    #[inline]
    pub fn at(&self, v: usize, slot: u32) -> usize {
        self.off[v] as usize + slot as usize
    }
}
