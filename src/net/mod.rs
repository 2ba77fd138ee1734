//! The network: owns bytes in flight. Per-link latency (drawn once per connection), per-node
//! upload and download bandwidth with FIFO serialization, optional loss. Bytes are counted by
//! the caller where they cross it, once. Knows nothing of what the bytes mean.

pub mod latency;
pub mod topology;

use crate::ids::{PeerId, SimTime};
use crate::rng::SimRng;
use rand::Rng;

/// Links and node interfaces.
pub struct Network {
    /// CSR adjacency: neighbours of `v` are `nbr[off[v]..off[v+1]]`, sorted, with `lat` aligned.
    off: Vec<u32>,
    nbr: Vec<u32>,
    lat: Vec<SimTime>,
    up_bps: Vec<u64>,
    down_bps: Vec<u64>,
    tx_free: Vec<SimTime>,
    rx_free: Vec<SimTime>,
    loss: f64,
    loss_rng: SimRng,
}

/// Serialization time of `bytes` at `bps`, rounded up to the nanosecond.
#[inline]
pub fn serialization(bytes: u64, bps: u64) -> SimTime {
    SimTime(((u128::from(bytes) * 8 * 1_000_000_000).div_ceil(u128::from(bps))) as u64)
}

impl Network {
    /// `links`: undirected (a, b, one-way latency). `up`/`down`: per node, bit/s.
    pub fn new(
        nodes: u32,
        links: &[(u32, u32, SimTime)],
        up_bps: Vec<u64>,
        down_bps: Vec<u64>,
        loss: f64,
        loss_rng: SimRng,
    ) -> Self {
        let n = nodes as usize;
        let mut adj: Vec<Vec<(u32, SimTime)>> = vec![Vec::new(); n];
        for &(a, b, l) in links {
            adj[a as usize].push((b, l));
            adj[b as usize].push((a, l));
        }
        let mut off = Vec::with_capacity(n + 1);
        let (mut nbr, mut lat) = (Vec::new(), Vec::new());
        off.push(0);
        for row in &mut adj {
            row.sort_unstable_by_key(|e| e.0);
            nbr.extend(row.iter().map(|e| e.0));
            lat.extend(row.iter().map(|e| e.1));
            off.push(nbr.len() as u32);
        }
        Network {
            off,
            nbr,
            lat,
            up_bps,
            down_bps,
            tx_free: vec![SimTime::ZERO; n],
            rx_free: vec![SimTime::ZERO; n],
            loss,
            loss_rng,
        }
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

    /// Puts `bytes` from `a` to `b` on `a`'s uplink at `now`. The uplink serializes its
    /// sends one after another (FIFO). Returns when the first and the last byte reach `b`'s
    /// downlink, or `None` if the transmission is lost (the uplink is still used).
    pub fn send(
        &mut self,
        now: SimTime,
        a: PeerId,
        b: PeerId,
        bytes: u64,
    ) -> Option<(SimTime, SimTime)> {
        let lat = self
            .latency(a, b)
            .expect("send only over an existing connection");
        let start = now.max(self.tx_free[a.idx()]);
        let sent = start + serialization(bytes, self.up_bps[a.idx()]);
        self.tx_free[a.idx()] = sent;
        if self.loss > 0.0 && self.loss_rng.gen::<f64>() < self.loss {
            return None;
        }
        Some((start + lat, sent + lat))
    }

    /// The first byte of a transmission reaches `b`'s downlink at `now` (call in arrival
    /// order); its last byte reaches it at `last`. The downlink takes arrivals one after
    /// another (FIFO) and cannot finish before the last byte arrives. Returns when `b` has
    /// the whole transmission.
    pub fn receive(&mut self, now: SimTime, b: PeerId, bytes: u64, last: SimTime) -> SimTime {
        let start = now.max(self.rx_free[b.idx()]);
        let done = last.max(start + serialization(bytes, self.down_bps[b.idx()]));
        self.rx_free[b.idx()] = done;
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    fn net(n: u32, links: &[(u32, u32, SimTime)], up: u64, down: u64) -> Network {
        Network::new(
            n,
            links,
            vec![up; n as usize],
            vec![down; n as usize],
            0.0,
            Streams::new(1).stream("loss", 0),
        )
    }

    /// The example: 150 KB over a 10 Mbit/s uplink to 6 peers leave one after another,
    /// 120 ms each.
    #[test]
    fn uplink_is_fifo() {
        let links: Vec<(u32, u32, SimTime)> =
            (1..=6).map(|b| (0, b, SimTime::from_millis(10))).collect();
        let mut net = net(7, &links, 10_000_000, 1_000_000_000);
        for b in 1..=6u64 {
            let (first, last) = net
                .send(SimTime::ZERO, PeerId(0), PeerId(b as u32), 150_000)
                .unwrap();
            assert_eq!(first, SimTime::from_millis(120 * (b - 1) + 10));
            assert_eq!(last, SimTime::from_millis(120 * b + 10));
            // A fast downlink delivers when the last byte arrives.
            assert_eq!(net.receive(first, PeerId(b as u32), 150_000, last), last);
        }
    }

    #[test]
    fn downlink_serves_arrivals_in_order() {
        let links = [(1, 0, SimTime::ZERO), (2, 0, SimTime::ZERO)];
        let mut net = net(3, &links, 1_000_000_000, 8_000_000);
        // 1 MB/s down: two 1000-byte frames arriving together finish 1 ms apart.
        let (f1, l1) = net.send(SimTime::ZERO, PeerId(1), PeerId(0), 1000).unwrap();
        let (f2, l2) = net.send(SimTime::ZERO, PeerId(2), PeerId(0), 1000).unwrap();
        assert_eq!(
            net.receive(f1, PeerId(0), 1000, l1),
            SimTime::from_millis(1)
        );
        assert_eq!(
            net.receive(f2, PeerId(0), 1000, l2),
            SimTime::from_millis(2)
        );
        // Later, an idle downlink again takes 1 ms.
        let (f3, l3) = net
            .send(SimTime::from_millis(10), PeerId(1), PeerId(0), 1000)
            .unwrap();
        assert_eq!(
            net.receive(f3, PeerId(0), 1000, l3),
            SimTime::from_millis(11)
        );
    }
}
