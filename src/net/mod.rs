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

    /// Sends `bytes` from `a` to `b` at `now`. The sender's uplink serializes its sends one
    /// after another; the receiver's downlink takes arrivals in the order they were sent (a
    /// reservation at send time), and can receive no faster than the sender sends. Returns the
    /// time the last byte arrives, or `None` if the transmission is lost (the uplink is still
    /// used).
    pub fn transmit(&mut self, now: SimTime, a: PeerId, b: PeerId, bytes: u64) -> Option<SimTime> {
        let lat = self
            .latency(a, b)
            .expect("transmit only over an existing connection");
        let start = now.max(self.tx_free[a.idx()]);
        let sent = start + serialization(bytes, self.up_bps[a.idx()]);
        self.tx_free[a.idx()] = sent;
        if self.loss > 0.0 && self.loss_rng.gen::<f64>() < self.loss {
            return None;
        }
        let rx_start = (start + lat).max(self.rx_free[b.idx()]);
        let done = (sent + lat).max(rx_start + serialization(bytes, self.down_bps[b.idx()]));
        self.rx_free[b.idx()] = done;
        Some(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    /// The example: 150 KB over a 10 Mbit/s uplink to 6 peers leave one after another,
    /// 120 ms each.
    #[test]
    fn uplink_is_fifo() {
        let links: Vec<(u32, u32, SimTime)> =
            (1..=6).map(|b| (0, b, SimTime::from_millis(10))).collect();
        let mut net = Network::new(
            7,
            &links,
            vec![10_000_000; 7],
            vec![1_000_000_000; 7],
            0.0,
            Streams::new(1).stream("loss", 0),
        );
        let arrivals: Vec<SimTime> = (1..=6)
            .map(|b| {
                net.transmit(SimTime::ZERO, PeerId(0), PeerId(b), 150_000)
                    .unwrap()
            })
            .collect();
        for (i, t) in arrivals.iter().enumerate() {
            assert_eq!(*t, SimTime::from_millis(120 * (i as u64 + 1) + 10));
        }
    }

    #[test]
    fn downlink_limits_fan_in() {
        let links = [(1, 0, SimTime::ZERO), (2, 0, SimTime::ZERO)];
        let mut net = Network::new(
            3,
            &links,
            vec![1_000_000_000; 3],
            vec![8_000_000; 3],
            0.0,
            Streams::new(1).stream("loss", 0),
        );
        // 1 MB/s down: two 1000-byte frames sent at once arrive 1 ms apart.
        assert_eq!(
            net.transmit(SimTime::ZERO, PeerId(1), PeerId(0), 1000),
            Some(SimTime::from_millis(1))
        );
        assert_eq!(
            net.transmit(SimTime::ZERO, PeerId(2), PeerId(0), 1000),
            Some(SimTime::from_millis(2))
        );
    }
}
