//! Per-message delivery statistics: who got each message, how fast (first arrival), over how
//! many hops, and how many duplicate copies arrived. Run-wide latency percentiles come from an
//! HDR histogram (3 significant digits).

use crate::ids::{MsgIdx, SimTime};
use hdrhistogram::Histogram;

#[derive(Clone, Copy, Debug, Default)]
pub struct MsgStats {
    /// Subscribers of the topic other than the publisher.
    pub expected: u32,
    pub delivered: u32,
    pub latency_sum_ns: u64,
    pub latency_max_ns: u64,
    pub hops_sum: u64,
    pub hops_max: u16,
    pub duplicates: u64,
    /// Published inside the measurement window.
    pub measured: bool,
}

pub struct Delivery {
    pub msgs: Vec<MsgStats>,
    /// First-arrival latency (µs) of every delivery of a measured message.
    pub latency_us: Histogram<u64>,
    /// Hop count of every delivery of a measured message.
    pub hops: Vec<u64>,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            msgs: Vec::new(),
            latency_us: Histogram::new(3).expect("3 significant digits is valid"),
            hops: Vec::new(),
        }
    }
}

impl Delivery {
    pub fn on_publish(&mut self, m: MsgIdx, expected: u32, measured: bool) {
        debug_assert_eq!(m.idx(), self.msgs.len());
        self.msgs.push(MsgStats {
            expected,
            measured,
            ..Default::default()
        });
    }

    pub fn on_first_arrival(&mut self, m: MsgIdx, latency: SimTime, hops: u16) {
        let s = &mut self.msgs[m.idx()];
        s.delivered += 1;
        s.latency_sum_ns += latency.0;
        s.latency_max_ns = s.latency_max_ns.max(latency.0);
        s.hops_sum += u64::from(hops);
        s.hops_max = s.hops_max.max(hops);
        if s.measured {
            self.latency_us
                .record(latency.0 / 1000)
                .expect("auto-resizing histogram");
            let h = usize::from(hops);
            if self.hops.len() <= h {
                self.hops.resize(h + 1, 0);
            }
            self.hops[h] += 1;
        }
    }

    pub fn on_duplicate(&mut self, m: MsgIdx) {
        self.msgs[m.idx()].duplicates += 1;
    }
}
