//! The network: per-link latency (drawn once per connection), per-node upload and download
//! bandwidth with FIFO serialization, optional loss. Bytes are counted by the caller where
//! they cross it, once. Knows nothing of what the bytes mean.

pub mod latency;
pub mod topology;

use crate::ids::{PeerId, SimTime};

/// Links: who is connected to whom, and the one-way latency of each connection. Built once,
/// shared read-only by every partition of a run.
pub struct Links {
    /// CSR adjacency: neighbours of `v` are `nbr[off[v]..off[v+1]]`, sorted, with `lat` aligned.
    off: Vec<u32>,
    nbr: Vec<u32>,
    lat: Vec<SimTime>,
}

/// Serialization time of `bytes` at `bps`, rounded up to the nanosecond.
#[inline]
pub fn serialization(bytes: u64, bps: u64) -> SimTime {
    // Beyond 2^64 ns (a huge RPC on a very slow link) the copy leaves after any run's end.
    let ns = (u128::from(bytes) * 8 * 1_000_000_000).div_ceil(u128::from(bps));
    SimTime(u64::try_from(ns).unwrap_or(u64::MAX))
}

impl Links {
    /// `links`: undirected (a, b, one-way latency).
    pub fn new(nodes: u32, links: &[(u32, u32, SimTime)]) -> Self {
        let n = nodes as usize;
        let mut deg = vec![0u32; n + 1];
        for &(a, b, _) in links {
            deg[a as usize] += 1;
            deg[b as usize] += 1;
        }
        let mut off = Vec::with_capacity(n + 1);
        off.push(0u32);
        for v in 0..n {
            off.push(off[v] + deg[v]);
        }
        let mut fill: Vec<u32> = off[..n].to_vec();
        let mut nbr = vec![0u32; links.len() * 2];
        let mut lat = vec![SimTime::ZERO; links.len() * 2];
        for &(a, b, l) in links {
            for (x, y) in [(a, b), (b, a)] {
                let i = fill[x as usize] as usize;
                nbr[i] = y;
                lat[i] = l;
                fill[x as usize] += 1;
            }
        }
        for v in 0..n {
            let (s, e) = (off[v] as usize, off[v + 1] as usize);
            let mut row: Vec<(u32, SimTime)> = nbr[s..e]
                .iter()
                .copied()
                .zip(lat[s..e].iter().copied())
                .collect();
            row.sort_unstable_by_key(|r| r.0);
            for (i, (b, l)) in row.into_iter().enumerate() {
                nbr[s + i] = b;
                lat[s + i] = l;
            }
        }
        Links { off, nbr, lat }
    }

    pub fn neighbours(&self, v: PeerId) -> &[u32] {
        &self.nbr[self.off[v.idx()] as usize..self.off[v.idx() + 1] as usize]
    }

    pub fn latency(&self, a: PeerId, b: PeerId) -> Option<SimTime> {
        let (s, e) = (self.off[a.idx()] as usize, self.off[a.idx() + 1] as usize);
        self.nbr[s..e]
            .binary_search(&b.0)
            .ok()
            .map(|i| self.lat[s + i])
    }

    /// Every link once, as (a, b, latency) with a < b.
    pub fn iter(&self) -> impl Iterator<Item = (PeerId, PeerId, SimTime)> + '_ {
        (0..self.off.len() - 1).flat_map(move |a| {
            let (s, e) = (self.off[a] as usize, self.off[a + 1] as usize);
            (s..e)
                .filter(move |&i| (self.nbr[i] as usize) > a)
                .map(move |i| (PeerId(a as u32), PeerId(self.nbr[i]), self.lat[i]))
        })
    }

    /// Bytes this structure holds per node and per link, for memory estimates.
    pub const BYTES_PER_NODE: u64 = 4;
    pub const BYTES_PER_LINK: u64 = 2 * (4 + 8);
}

/// The upload and download interfaces of a set of nodes (one partition of a run), indexed by
/// the partition's local node index. Each is a FIFO: sends leave one after another; arrivals
/// are taken one after another in arrival order.
pub struct Interfaces {
    ifs: Vec<Interface>,
}

/// One node's two interfaces: rates and when each is next free. Half a cache line, so that
/// a send or an arrival touches one line.
#[derive(Clone, Copy)]
#[repr(align(32))]
struct Interface {
    up_bps: u64,
    down_bps: u64,
    tx_free: SimTime,
    rx_free: SimTime,
}

impl Interfaces {
    /// `up`/`down`: per local node, bit/s.
    pub fn new(up_bps: Vec<u64>, down_bps: Vec<u64>) -> Self {
        debug_assert_eq!(up_bps.len(), down_bps.len());
        Interfaces {
            ifs: up_bps
                .into_iter()
                .zip(down_bps)
                .map(|(up_bps, down_bps)| Interface {
                    up_bps,
                    down_bps,
                    tx_free: SimTime::ZERO,
                    rx_free: SimTime::ZERO,
                })
                .collect(),
        }
    }

    /// Puts `bytes` on local node `a`'s uplink at `now`, towards a peer `lat` away. The
    /// uplink serializes its sends one after another (FIFO). Returns when the first and the
    /// last byte reach the receiver's downlink.
    #[inline]
    pub fn send(&mut self, now: SimTime, a: usize, lat: SimTime, bytes: u64) -> (SimTime, SimTime) {
        let i = &mut self.ifs[a];
        let start = now.max(i.tx_free);
        let sent = start + serialization(bytes, i.up_bps);
        i.tx_free = sent;
        (start + lat, sent + lat)
    }

    /// The first byte of a transmission reaches local node `b`'s downlink at `now` (call in
    /// arrival order); its last byte reaches it at `last`. The downlink takes arrivals one
    /// after another (FIFO) and cannot finish before the last byte arrives. Returns when `b`
    /// has the whole transmission.
    #[inline]
    pub fn receive(&mut self, now: SimTime, b: usize, bytes: u64, last: SimTime) -> SimTime {
        let i = &mut self.ifs[b];
        let start = now.max(i.rx_free);
        let done = last.max(start + serialization(bytes, i.down_bps));
        i.rx_free = done;
        done
    }

    /// Hints the CPU to load local node `b`'s record.
    #[inline]
    pub fn prefetch(&self, b: usize) {
        crate::prefetch::prefetch(&self.ifs[b]);
    }

    /// Bytes this structure holds per node, for memory estimates.
    pub const BYTES_PER_NODE: u64 = 4 * 8;
}

/// Whether the `n`-th transmission of `from` is lost, at loss probability `loss`. A pure
/// function of (seed, sender, its transmission count): independent of which thread sends
/// and of what other senders do.
#[inline]
pub fn lost(loss: f64, seed: u64, from: PeerId, n: u64) -> bool {
    loss > 0.0 && crate::rng::hash_unit(seed ^ 0x6c6f_7373, u64::from(from.0), n) < loss
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example: 150 KB over a 10 Mbit/s uplink to 6 peers leave one after another,
    /// 120 ms each.
    #[test]
    fn uplink_is_fifo() {
        let mut ifs = Interfaces::new(vec![10_000_000; 7], vec![1_000_000_000; 7]);
        for b in 1..=6u64 {
            let (first, last) = ifs.send(SimTime::ZERO, 0, SimTime::from_millis(10), 150_000);
            assert_eq!(first, SimTime::from_millis(120 * (b - 1) + 10));
            assert_eq!(last, SimTime::from_millis(120 * b + 10));
            // A fast downlink delivers when the last byte arrives.
            assert_eq!(ifs.receive(first, b as usize, 150_000, last), last);
        }
    }

    #[test]
    fn downlink_serves_arrivals_in_order() {
        let mut ifs = Interfaces::new(vec![1_000_000_000; 3], vec![8_000_000; 3]);
        // 1 MB/s down: two 1000-byte frames arriving together finish 1 ms apart.
        let (f1, l1) = ifs.send(SimTime::ZERO, 1, SimTime::ZERO, 1000);
        let (f2, l2) = ifs.send(SimTime::ZERO, 2, SimTime::ZERO, 1000);
        assert_eq!(ifs.receive(f1, 0, 1000, l1), SimTime::from_millis(1));
        assert_eq!(ifs.receive(f2, 0, 1000, l2), SimTime::from_millis(2));
        // Later, an idle downlink again takes 1 ms.
        let (f3, l3) = ifs.send(SimTime::from_millis(10), 1, SimTime::ZERO, 1000);
        assert_eq!(ifs.receive(f3, 0, 1000, l3), SimTime::from_millis(11));
    }

    #[test]
    fn links_are_symmetric_and_sorted() {
        let l = Links::new(
            4,
            &[
                (2, 0, SimTime(5)),
                (0, 1, SimTime(7)),
                (3, 0, SimTime(9)),
                (1, 2, SimTime(3)),
            ],
        );
        assert_eq!(l.neighbours(PeerId(0)), &[1, 2, 3]);
        assert_eq!(l.latency(PeerId(2), PeerId(0)), Some(SimTime(5)));
        assert_eq!(l.latency(PeerId(0), PeerId(2)), Some(SimTime(5)));
        assert_eq!(l.latency(PeerId(3), PeerId(1)), None);
        let all: Vec<_> = l.iter().map(|(a, b, t)| (a.0, b.0, t.0)).collect();
        assert_eq!(all, vec![(0, 1, 7), (0, 2, 5), (0, 3, 9), (1, 2, 3)]);
    }

    #[test]
    fn loss_is_a_pure_function_near_its_rate() {
        let n = 100_000;
        let lost_count = (0..n).filter(|&i| lost(0.1, 7, PeerId(3), i)).count();
        assert!((9_000..11_000).contains(&lost_count), "{lost_count}");
        assert_eq!(lost(0.1, 7, PeerId(3), 42), lost(0.1, 7, PeerId(3), 42));
        assert!(!(0..1000).any(|i| lost(0.0, 7, PeerId(3), i)));
    }
}
