//! Event queues: a binary heap (the simple reference) and a bucketed timing wheel (the fast
//! default). Both pop events in exactly the same total order, `(time, key, insertion
//! sequence)`: the caller's `key` orders events of the same instant (the engine derives it
//! from what the event is, so the order does not depend on which thread pushed first), and
//! equal keys come out in the order they were pushed. Owns ordering only; knows nothing of
//! what an event means.

use crate::ids::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What the engine needs from a queue. Swappable so a faster structure can replace the wheel
/// without touching the engine.
pub trait EventQueue<E> {
    fn push(&mut self, at: SimTime, key: u64, ev: E);
    fn pop(&mut self) -> Option<(SimTime, E)>;
    /// Time of the event `pop` would return next.
    fn peek_time(&mut self) -> Option<SimTime>;
    /// Pops the next event if it is earlier than `limit`.
    #[inline]
    fn pop_before(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        if self.peek_time()? < limit {
            self.pop()
        } else {
            None
        }
    }
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Entry<E> {
    time: u64,
    key: u64,
    seq: u64,
    ev: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.key == other.key && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest `(time, key, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.key, other.seq).cmp(&(self.time, self.key, self.seq))
    }
}

/// Reference queue: one binary heap over `(time, key, seq)`.
pub struct HeapQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for HeapQueue<E> {
    fn default() -> Self {
        HeapQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> for HeapQueue<E> {
    fn push(&mut self, at: SimTime, key: u64, ev: E) {
        self.heap.push(Entry {
            time: at.0,
            key,
            seq: self.seq,
            ev,
        });
        self.seq += 1;
    }
    fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (SimTime(e.time), e.ev))
    }
    fn peek_time(&mut self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time))
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Most emptied slot buffers kept for reuse, and the largest capacity kept.
const MAX_SPARE: usize = 256;
const MAX_SPARE_CAPACITY: usize = 1024;

/// Bucketed timing wheel, two levels. Time is cut into buckets of `2^shift` ns; a ring of
/// fine slots covers the near future (one span); a ring of coarse slots, one span each, the
/// farther future (heartbeats, a second ahead); a heap what lies beyond. When the draining
/// bucket enters a new span, that span's coarse entries (and any from the heap) are sorted
/// once into `far`, which feeds each bucket as it comes up. The bucket being drained is
/// sorted once when it comes up (popped from its end), and what is pushed into it meanwhile
/// goes to a small heap beside it; a pop takes the earlier of the two, so order inside a
/// bucket is still exact `(time, key, seq)`.
pub struct WheelQueue<E> {
    shift: u32,
    /// log2 of the fine slots (buckets per span).
    span_log2: u32,
    mask: u64,
    slots: Vec<Vec<Entry<E>>>,
    /// Absolute index of the bucket in `current`.
    cur: u64,
    /// The draining bucket, latest first (pops from the end).
    current: Vec<Entry<E>>,
    /// Entries pushed into the draining bucket after it was sorted.
    late: BinaryHeap<Entry<E>>,
    in_slots: usize,
    /// Coarse slots: entries of span `c` (bucket >> `span_log2`) in `coarse[c & coarse_mask]`,
    /// for the spans after the current one up to `coarse_mask` ahead.
    coarse: Vec<Vec<Entry<E>>>,
    coarse_mask: u64,
    in_coarse: usize,
    /// The current span's entries from the coarse slot and the heap, sorted (latest first).
    far: Vec<Entry<E>>,
    overflow: BinaryHeap<Entry<E>>,
    /// An emptied `far` buffer, for the next coarse slot to fill.
    coarse_spare: Vec<Entry<E>>,
    /// Emptied slot buffers, reused by slots that get their first entry: retained capacity
    /// follows the slots in use, not the peak of every slot the ring ever passed over.
    spare: Vec<Vec<Entry<E>>>,
    seq: u64,
    len: usize,
}

impl<E> WheelQueue<E> {
    /// `bucket_ns_log2`: log2 of the bucket width in ns; `slots_log2`: log2 of the fine ring
    /// size (buckets per span); `coarse_log2`: log2 of the coarse ring size (spans).
    pub fn new(bucket_ns_log2: u32, slots_log2: u32, coarse_log2: u32) -> Self {
        let n = 1usize << slots_log2;
        let nc = 1usize << coarse_log2;
        WheelQueue {
            shift: bucket_ns_log2,
            span_log2: slots_log2,
            mask: (n as u64) - 1,
            slots: (0..n).map(|_| Vec::new()).collect(),
            cur: 0,
            current: Vec::new(),
            late: BinaryHeap::new(),
            in_slots: 0,
            coarse: (0..nc).map(|_| Vec::new()).collect(),
            coarse_mask: (nc as u64) - 1,
            in_coarse: 0,
            far: Vec::new(),
            overflow: BinaryHeap::new(),
            coarse_spare: Vec::new(),
            spare: Vec::new(),
            seq: 0,
            len: 0,
        }
    }

    /// Puts an entry of bucket `b` (after the draining one, at most a ring's length after)
    /// into its fine slot.
    #[inline]
    fn push_fine(&mut self, b: u64, e: Entry<E>) {
        let slot = &mut self.slots[(b & self.mask) as usize];
        if slot.capacity() == 0 {
            if let Some(v) = self.spare.pop() {
                *slot = v;
            }
        }
        slot.push(e);
        self.in_slots += 1;
    }

    /// Moves `cur`'s span, from its coarse slot and the heap, into `far`, sorted. Called each
    /// time `cur` enters a new span, so that no coarse entry belongs to the current span or
    /// an earlier one.
    fn cascade(&mut self) {
        debug_assert!(self.far.is_empty());
        let span = self.cur >> self.span_log2;
        let slot = std::mem::take(&mut self.coarse[(span & self.coarse_mask) as usize]);
        self.in_coarse -= slot.len();
        // The emptied `far` buffer waits for the next coarse slot to fill (a span of
        // heartbeats: few buffers, each large; kept in every coarse slot they would add up).
        let empty = std::mem::replace(&mut self.far, slot);
        if empty.capacity() > 0 {
            self.coarse_spare = empty;
        }
        while let Some(top) = self.overflow.peek() {
            if (top.time >> self.shift) >> self.span_log2 > span {
                break;
            }
            let e = self.overflow.pop().expect("peeked entry exists");
            self.far.push(e);
        }
        // `Entry`'s order is reversed (earliest is greatest): ascending puts it last.
        self.far.sort_unstable();
        debug_assert!(self
            .far
            .first()
            .is_none_or(|e| e.time >> self.shift >= self.cur));
    }

    /// Moves everything of bucket `self.cur` (fine slot and `far`) into `current`.
    fn load_current(&mut self) {
        debug_assert!(self.current.is_empty() && self.late.is_empty());
        let slot = std::mem::take(&mut self.slots[(self.cur & self.mask) as usize]);
        self.in_slots -= slot.len();
        let empty = std::mem::replace(&mut self.current, slot);
        // Keep a few modest buffers for reuse; let big or surplus ones go, so that retained
        // capacity cannot ratchet up to (buffers in circulation × largest bucket ever).
        if empty.capacity() > 0
            && empty.capacity() <= MAX_SPARE_CAPACITY
            && self.spare.len() < MAX_SPARE
        {
            self.spare.push(empty);
        }
        while let Some(e) = self.far.last() {
            if (e.time >> self.shift) > self.cur {
                break;
            }
            let e = self.far.pop().expect("last entry exists");
            self.current.push(e);
        }
        self.current.sort_unstable();
    }

    /// Whether the next entry is the late heap's top rather than the sorted bucket's last
    /// (`Entry`'s order is reversed: the earlier entry is the greater).
    #[inline]
    fn late_first(&self) -> bool {
        match (self.current.last(), self.late.peek()) {
            (Some(a), Some(b)) => b > a,
            (None, _) => true,
            (Some(_), None) => false,
        }
    }

    /// The next entry: the earlier of the sorted bucket's last and the late heap's top.
    #[inline]
    fn next_entry(&self) -> Option<&Entry<E>> {
        if self.late_first() {
            self.late.peek()
        } else {
            self.current.last()
        }
    }
}

impl<E> Default for WheelQueue<E> {
    /// ~131 µs buckets, 4096 fine slots: a ~537 ms fine horizon, enough for link delays and
    /// uplink queues; heartbeats (a second ahead) wait in coarse slots. The fine ring is
    /// kept short on purpose: with a heartbeat in nearly every slot of a longer ring, every
    /// slot holds a buffer, and buffers circulate through `spare` at the size of the busiest
    /// bucket, so that the queue's capacity dwarfs the events it holds.
    ///
    /// Coarse slots of one span (537 ms) each, 64 of them: a heartbeat is appended to the
    /// slot of a span one or two ahead and sorted with its span, instead of taking its turn
    /// in a heap of every node's heartbeat (half a million per partition at 1M nodes).
    /// README "Performance" has what each choice measured.
    fn default() -> Self {
        WheelQueue::new(17, 12, 6)
    }
}

impl<E> EventQueue<E> for WheelQueue<E> {
    fn push(&mut self, at: SimTime, key: u64, ev: E) {
        let e = Entry {
            time: at.0,
            key,
            seq: self.seq,
            ev,
        };
        self.seq += 1;
        self.len += 1;
        let b = at.0 >> self.shift;
        if b <= self.cur {
            // Same bucket as the one draining (or, defensively, earlier): exact order via heap.
            self.late.push(e);
        } else if b - self.cur <= self.mask {
            self.push_fine(b, e);
        } else {
            let span = b >> self.span_log2;
            let ahead = span - (self.cur >> self.span_log2);
            // `ahead` >= 1: the span after `cur`'s still shares fine slots with `cur`'s.
            if ahead <= self.coarse_mask {
                let slot = &mut self.coarse[(span & self.coarse_mask) as usize];
                if slot.capacity() == 0 {
                    *slot = std::mem::take(&mut self.coarse_spare);
                }
                slot.push(e);
                self.in_coarse += 1;
            } else {
                self.overflow.push(e);
            }
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(SimTime, E)> {
        self.fill_current();
        let e = if self.late_first() {
            self.late.pop()?
        } else {
            self.current.pop()?
        };
        self.len -= 1;
        Some((SimTime(e.time), e.ev))
    }

    #[inline]
    fn peek_time(&mut self) -> Option<SimTime> {
        self.fill_current();
        self.next_entry().map(|e| SimTime(e.time))
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl<E> WheelQueue<E> {
    /// The event `pop` returns next if nothing earlier is pushed meanwhile, when it is in the
    /// draining bucket already (a hint, for prefetching what it will touch).
    #[inline]
    pub fn peek_next(&self) -> Option<&E> {
        self.next_entry().map(|e| &e.ev)
    }

    /// The event after `peek_next`'s, when both are in the sorted draining bucket and
    /// nothing was pushed into it since (a hint, like `peek_next`).
    #[inline]
    pub fn peek_second(&self) -> Option<&E> {
        if !self.late.is_empty() {
            return None;
        }
        let n = self.current.len();
        (n >= 2).then(|| &self.current[n - 2].ev)
    }

    /// Advances the wheel until the draining bucket holds the earliest entry (or all is empty).
    fn fill_current(&mut self) {
        loop {
            if !self.current.is_empty() || !self.late.is_empty() || self.len == 0 {
                return;
            }
            let span = self.cur >> self.span_log2;
            if let (0, Some(e)) = (self.in_slots, self.far.last()) {
                // Only the current span's far entries left: jump to the first.
                self.cur = e.time >> self.shift;
            } else if self.in_slots == 0 {
                // Nothing left in this span: jump to the first span that holds anything.
                let coarse = (self.in_coarse > 0)
                    .then(|| {
                        (1..=self.coarse_mask)
                            .map(|d| span + d)
                            .find(|&c| !self.coarse[(c & self.coarse_mask) as usize].is_empty())
                    })
                    .flatten();
                let heap = self
                    .overflow
                    .peek()
                    .map(|top| (top.time >> self.shift) >> self.span_log2);
                let next = match (coarse, heap) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => unreachable!("len > 0 and the fine ring empty"),
                };
                self.cur = next << self.span_log2;
            } else {
                self.cur += 1;
            }
            if self.cur >> self.span_log2 != span {
                self.cascade();
            }
            self.load_current();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The wheel pops exactly what the heap pops, in the same order, whatever the mix of
        /// pushes (same-instant, in the fine ring, in the coarse ring, beyond both) and pops.
        #[test]
        fn wheel_matches_heap(ops in proptest::collection::vec((0u8..5, 0u64..20_000_000_000), 1..600)) {
            let mut heap = HeapQueue::default();
            let mut wheel = WheelQueue::new(16, 6, 2);
            // Like the engine: `now` is the time of the last popped event; pushes are never
            // earlier than `now`.
            let mut now = 0u64;
            for (i, (op, dt)) in ops.iter().enumerate() {
                let at = match op {
                    0 => {
                        let got = wheel.pop();
                        prop_assert_eq!(heap.pop(), got);
                        if let Some((t, _)) = got { now = t.0; }
                        continue;
                    }
                    1 => now,
                    2 => now + dt % 100_000,
                    // Fine ring: 4.2 ms; coarse ring: 4 spans (16.8 ms).
                    3 => now + dt % 25_000_000,
                    _ => now + dt,
                };
                // Few distinct keys, so that equal (time, key) pairs exercise the sequence.
                let key = (i as u64 * 7) % 3;
                heap.push(SimTime(at), key, i);
                wheel.push(SimTime(at), key, i);
                prop_assert_eq!(heap.peek_time(), wheel.peek_time());
                prop_assert_eq!(heap.len(), wheel.len());
            }
            while let Some(x) = heap.pop() {
                prop_assert_eq!(Some(x), wheel.pop());
            }
            prop_assert!(wheel.pop().is_none());
        }
    }

    #[test]
    fn same_instant_by_key_then_fifo() {
        let mut q = WheelQueue::default();
        for i in 0..10 {
            q.push(SimTime::from_millis(5), 1, i);
        }
        q.push(SimTime::from_millis(5), 0, 50);
        q.push(SimTime::from_millis(1), 9, 99);
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(1)));
        assert_eq!(q.pop(), Some((SimTime::from_millis(1), 99)));
        // The smaller key first, then equal keys in push order.
        assert_eq!(q.pop(), Some((SimTime::from_millis(5), 50)));
        for i in 0..10 {
            assert_eq!(q.pop(), Some((SimTime::from_millis(5), i)));
        }
    }
}
