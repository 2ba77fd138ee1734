//! Per-message delivery statistics: who got each message, how fast (first arrival), over how
//! many hops, and how many duplicate copies arrived. Latency percentiles come from an HDR
//! histogram (3 significant digits) per group of deliveries (a topic's messages to one class
//! of receivers); any set of groups, the whole run included, is their sum.

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

/// The measured deliveries of one topic's messages to the nodes of one class.
#[derive(Clone, Default)]
pub struct Group {
    /// Receivers the measured messages should reach (their publishers aside).
    pub expected: u64,
    pub delivered: u64,
    /// First-arrival latency (µs) of each delivery; made at the first one, so that the
    /// groups no node can fill (topics × classes of them) cost nothing.
    latency_us: Option<Box<Histogram<u64>>>,
}

impl Group {
    /// `groups` together: their counts summed, their histograms merged (exact: the same
    /// counts as one histogram of every delivery).
    pub fn sum<'a>(groups: impl IntoIterator<Item = &'a Group>) -> Group {
        let mut all = Group::default();
        for g in groups {
            all.add(g);
        }
        all
    }

    /// Adds `other`'s counts and latencies to this group's.
    fn add(&mut self, other: &Group) {
        self.expected += other.expected;
        self.delivered += other.delivered;
        if let Some(h) = &other.latency_us {
            self.histogram()
                .add(h.as_ref())
                .expect("auto-resizing histograms of the same precision");
        }
    }

    fn histogram(&mut self) -> &mut Histogram<u64> {
        self.latency_us
            .get_or_insert_with(|| Box::new(empty_histogram()))
    }

    /// First-arrival latencies (µs) of the group's deliveries (empty without any).
    pub fn latency_us(&self) -> std::borrow::Cow<'_, Histogram<u64>> {
        match &self.latency_us {
            Some(h) => std::borrow::Cow::Borrowed(h.as_ref()),
            None => std::borrow::Cow::Owned(empty_histogram()),
        }
    }
}

/// A latency histogram of 3 significant digits, growing to what it records.
fn empty_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is valid")
}

pub struct Delivery {
    pub msgs: Vec<MsgStats>,
    /// Receiver classes: group `topic × classes + class`.
    pub classes: usize,
    pub groups: Vec<Group>,
    /// Hop count of every delivery of a measured message.
    pub hops: Vec<u64>,
}

impl Delivery {
    /// Empty statistics with a group per topic × receiver class.
    pub fn new(topics: usize, classes: usize) -> Self {
        Delivery {
            msgs: Vec::new(),
            classes,
            groups: vec![Group::default(); topics * classes],
            hops: Vec::new(),
        }
    }

    /// The group of deliveries on `topic` to nodes of class `class`.
    #[inline]
    pub fn group(&self, topic: usize, class: usize) -> usize {
        topic * self.classes + class
    }

    /// A measured message on `group`'s topic that `n` nodes of its class should receive.
    pub fn expect(&mut self, group: usize, n: u32) {
        self.groups[group].expected += u64::from(n);
    }

    pub fn on_publish(&mut self, m: MsgIdx, expected: u32, measured: bool) {
        debug_assert_eq!(m.idx(), self.msgs.len());
        self.msgs.push(MsgStats {
            expected,
            measured,
            ..Default::default()
        });
    }

    /// Stats of `m`, growing the table: a partition of a run learns of messages as their
    /// copies reach it.
    #[inline]
    fn stats(&mut self, m: MsgIdx) -> &mut MsgStats {
        if m.idx() >= self.msgs.len() {
            self.msgs.resize(m.idx() + 1, MsgStats::default());
        }
        &mut self.msgs[m.idx()]
    }

    /// A first copy of `m` to a receiver of `group`; `measured`: `m` was published inside
    /// the measurement window.
    pub fn on_first_arrival(
        &mut self,
        m: MsgIdx,
        latency: SimTime,
        hops: u16,
        measured: bool,
        group: usize,
    ) {
        let s = self.stats(m);
        s.delivered += 1;
        s.latency_sum_ns += latency.0;
        s.latency_max_ns = s.latency_max_ns.max(latency.0);
        s.hops_sum += u64::from(hops);
        s.hops_max = s.hops_max.max(hops);
        if measured {
            let g = &mut self.groups[group];
            g.delivered += 1;
            g.histogram()
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
        self.stats(m).duplicates += 1;
    }

    /// Adds what a partition of the run counted (deliveries, latencies, hops, duplicates);
    /// `expected` and `measured` stay this table's own. Sums and maxima: the result does not
    /// depend on how the run was partitioned.
    pub fn merge(&mut self, other: &Delivery) {
        for (i, o) in other.msgs.iter().enumerate() {
            let s = self.stats(MsgIdx(i as u32));
            s.delivered += o.delivered;
            s.latency_sum_ns += o.latency_sum_ns;
            s.latency_max_ns = s.latency_max_ns.max(o.latency_max_ns);
            s.hops_sum += o.hops_sum;
            s.hops_max = s.hops_max.max(o.hops_max);
            s.duplicates += o.duplicates;
        }
        for (g, o) in self.groups.iter_mut().zip(&other.groups) {
            g.add(o);
        }
        if self.hops.len() < other.hops.len() {
            self.hops.resize(other.hops.len(), 0);
        }
        for (h, &c) in other.hops.iter().enumerate() {
            self.hops[h] += c;
        }
    }
}

/// Which of a partition's nodes already had each message, so that a delivery counts once per
/// receiver however often the message comes back (after a short `seen_ttl` a node takes a
/// returning copy for a new message). One bit per local node per message, the message's
/// bits allocated at its first arrival here: a message's receivers are near each other in
/// time, so the bits written at once are those of the few messages in flight.
#[derive(Default)]
pub struct Receipts {
    nodes: usize,
    of: Vec<Box<[u64]>>,
}

impl Receipts {
    /// A record for `nodes` local nodes.
    pub fn new(nodes: usize) -> Self {
        Receipts {
            nodes,
            of: Vec::new(),
        }
    }

    /// Records that local node `v` has `m`; false when it had it before.
    #[inline]
    pub fn first(&mut self, m: MsgIdx, v: usize) -> bool {
        if m.idx() >= self.of.len() {
            self.of.resize_with(m.idx() + 1, Default::default);
        }
        let bits = &mut self.of[m.idx()];
        if bits.is_empty() {
            *bits = vec![0u64; self.nodes.div_ceil(64)].into_boxed_slice();
        }
        let (w, b) = (v / 64, 1u64 << (v % 64));
        let had = bits[w] & b != 0;
        bits[w] |= b;
        !had
    }
}
