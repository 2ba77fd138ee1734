//! The seen cache (spec v1.0 "Message Processing": seen_ttl). A bitset over dense message
//! indices answers "seen?" in nanoseconds; a FIFO of (message, expiry) clears bits when
//! `seen_ttl` has passed, since every entry has the same TTL and so expires in insertion
//! order. The bitset covers only the indices from the oldest word with a live entry on (its
//! zero words in front are dropped as entries expire), so its size follows the messages of
//! one TTL, not of the whole run. Expiries are kept to the millisecond, rounded up (an entry
//! lives at most 1 ms longer than its TTL), so that an entry is 8 bytes: at 10K nodes and
//! nwaku's 2-minute TTL this cache is most of a peer's memory. Owns membership only.

use crate::ids::{MsgIdx, SimTime};
use std::collections::VecDeque;

/// A deadline to the millisecond, rounded up: 4 bytes (49 days of simulated time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expiry(u32);

impl Expiry {
    /// Later than any deadline (`passed` is false up to 49 days of simulated time).
    pub const NEVER: Expiry = Expiry(u32::MAX);

    /// The first millisecond boundary at or after `t`.
    #[inline]
    pub fn at(t: SimTime) -> Expiry {
        Expiry(u32::try_from(t.0.div_ceil(1_000_000)).unwrap_or(u32::MAX))
    }

    /// Whether the deadline is at or before `now`.
    #[inline]
    pub fn passed(self, now: SimTime) -> bool {
        u64::from(self.0) * 1_000_000 <= now.0
    }
}

#[derive(Debug, Clone)]
pub struct SeenCache {
    /// Bit `m` of the run's messages is bit `m % 64` of `bits[m / 64 - base]`.
    bits: Vec<u64>,
    base: u32,
    expiry: VecDeque<(MsgIdx, Expiry)>,
    /// The oldest entry's expiry (`Expiry::NEVER` when empty): most calls to `expire` end
    /// here, without reading the FIFO (another cache line, in another allocation).
    next: Expiry,
}

impl Default for SeenCache {
    fn default() -> Self {
        SeenCache {
            bits: Vec::new(),
            base: 0,
            expiry: VecDeque::new(),
            next: Expiry::NEVER,
        }
    }
}

impl SeenCache {
    /// Drops entries whose TTL ended at or before `now`.
    #[inline]
    pub fn expire(&mut self, now: SimTime) {
        if self.next.passed(now) {
            self.expire_front(now);
        }
    }

    fn expire_front(&mut self, now: SimTime) {
        while let Some(&(m, t)) = self.expiry.front() {
            if !t.passed(now) {
                self.next = t;
                return;
            }
            let w = self.word(m).expect("a live entry's word is kept");
            self.bits[w] &= !(1u64 << (m.idx() % 64));
            self.expiry.pop_front();
            if w == 0 && self.bits[0] == 0 {
                self.trim_front();
            }
        }
        self.next = Expiry::NEVER;
    }

    /// Drops the zero words in front (no live entry below the first non-zero one).
    fn trim_front(&mut self) {
        let k = self
            .bits
            .iter()
            .position(|&w| w != 0)
            .unwrap_or(self.bits.len());
        self.bits.drain(..k);
        self.base += k as u32;
    }

    /// Index in `bits` of `m`'s word, if it is within the bitset.
    #[inline]
    fn word(&self, m: MsgIdx) -> Option<usize> {
        let w = (m.idx() / 64).checked_sub(self.base as usize)?;
        (w < self.bits.len()).then_some(w)
    }

    /// Hints the CPU to load the word holding `m`'s bit.
    #[inline]
    pub fn prefetch(&self, m: MsgIdx) {
        if let Some(w) = self.word(m) {
            crate::prefetch::prefetch(&self.bits[w]);
        }
    }

    /// Whether `m` is seen now and stays seen until `at` at least, for a caller that knows
    /// `m` was inserted at `since` or later with this `ttl`: its own entry outlives `at`, or
    /// no entry at all expires before `at` (entries expire in insertion order).
    #[inline]
    pub fn holds_until(&self, m: MsgIdx, at: SimTime, since: SimTime, ttl: SimTime) -> bool {
        (!self.next.passed(at) || !Expiry::at(since.saturating_add(ttl)).passed(at))
            && self.contains(m)
    }

    #[inline]
    pub fn contains(&self, m: MsgIdx) -> bool {
        self.word(m)
            .is_some_and(|w| self.bits[w] & (1u64 << (m.idx() % 64)) != 0)
    }

    /// Marks `m` seen until `now + ttl`. Returns false if it already was.
    pub fn insert(&mut self, m: MsgIdx, now: SimTime, ttl: SimTime) -> bool {
        if self.contains(m) {
            return false;
        }
        let w = (m.idx() / 64) as u32;
        if self.bits.is_empty() {
            self.base = w;
        } else if w < self.base {
            // A message older than every live one (rare: a late copy): widen in front.
            let k = (self.base - w) as usize;
            self.bits.splice(0..0, std::iter::repeat_n(0, k));
            self.base = w;
        }
        let i = (w - self.base) as usize;
        if i >= self.bits.len() {
            self.bits.resize(i + 1, 0);
        }
        self.bits[i] |= 1u64 << (m.idx() % 64);
        let until = Expiry::at(now.saturating_add(ttl));
        if self.expiry.is_empty() {
            self.next = until;
        }
        self.expiry.push_back((m, until));
        true
    }

    pub fn len(&self) -> usize {
        self.expiry.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a naive oracle: a list of (id, inserted_at), expiring at inserted_at + ttl
        /// rounded up to the millisecond.
        #[test]
        fn matches_naive(ops in proptest::collection::vec((0u32..300, 0u64..50_000_000), 1..400)) {
            let ttl = SimTime(100_000_000);
            let mut s = SeenCache::default();
            let mut naive: Vec<(u32, u64)> = Vec::new();
            let mut now = 0u64;
            for (id, dt) in ops {
                now += dt;
                s.expire(SimTime(now));
                naive.retain(|&(_, t)| (t + 100_000_000).div_ceil(1_000_000) * 1_000_000 > now);
                let fresh = !naive.iter().any(|&(i, _)| i == id);
                prop_assert_eq!(s.contains(MsgIdx(id)), !fresh);
                prop_assert_eq!(s.insert(MsgIdx(id), SimTime(now), ttl), fresh);
                if fresh { naive.push((id, now)); }
            }
        }
    }

    /// The bitset follows the live window: a long run does not grow it, and a copy older
    /// than everything live widens it in front.
    #[test]
    fn bitset_spans_only_live_messages() {
        let ttl = SimTime(1_000_000_000);
        let mut s = SeenCache::default();
        for i in 0..100_000u32 {
            let now = SimTime(u64::from(i) * 1_000_000);
            s.expire(now);
            assert!(s.insert(MsgIdx(i), now, ttl));
        }
        // 1000 live entries (one per ms over a 1-s TTL): 16 words, not 1563.
        assert_eq!(s.len(), 1000);
        assert!(s.bits.len() <= 1000 / 64 + 2, "{} words", s.bits.len());
        let now = SimTime(100_000 * 1_000_000);
        s.expire(now);
        assert!(!s.contains(MsgIdx(5)));
        assert!(s.insert(MsgIdx(5), now, ttl));
        assert!(s.contains(MsgIdx(5)) && s.contains(MsgIdx(99_999)));
        assert!(!s.contains(MsgIdx(6)) && !s.contains(MsgIdx(98_000)));
        // Everything expires: the bitset empties.
        s.expire(SimTime(now.0 + 2 * ttl.0));
        assert!(s.is_empty() && s.bits.is_empty());
        assert!(!s.contains(MsgIdx(5)));
    }

    /// `holds_until` promises membership up to an instant only while no entry, the one
    /// asked about or an older one, expires before it.
    #[test]
    fn holds_until_only_while_nothing_expires() {
        let ttl = SimTime::from_millis(100);
        let ms = SimTime::from_millis;
        let mut s = SeenCache::default();
        assert!(s.insert(MsgIdx(1), SimTime::ZERO, ttl));
        assert!(s.insert(MsgIdx(2), ms(50), ttl));
        // Known only to be inserted at 0 or later: promised while nothing expires.
        assert!(s.holds_until(MsgIdx(2), ms(99), SimTime::ZERO, ttl));
        // Entry 1 expires at 100 ms: nothing is promised from then on, not even for entry 2,
        // which would outlive it (the host then delivers as usual) ...
        assert!(!s.holds_until(MsgIdx(2), ms(100), SimTime::ZERO, ttl));
        // ... unless the caller knows entry 2 is no older than 50 ms: it lives until 150 ms.
        assert!(s.holds_until(MsgIdx(2), ms(149), ms(50), ttl));
        assert!(!s.holds_until(MsgIdx(2), ms(150), ms(50), ttl));
        assert!(!s.holds_until(MsgIdx(3), ms(10), ms(10), ttl));
        s.expire(ms(100));
        assert!(s.holds_until(MsgIdx(2), ms(149), SimTime::ZERO, ttl));
        assert!(!s.holds_until(MsgIdx(2), ms(150), SimTime::ZERO, ttl));
        assert!(!s.holds_until(MsgIdx(1), ms(100), SimTime::ZERO, ttl));
    }

    #[test]
    fn expiry_rounds_up_to_the_millisecond() {
        let e = Expiry::at(SimTime(2_000_001));
        assert!(!e.passed(SimTime(2_999_999)));
        assert!(e.passed(SimTime(3_000_000)));
        assert!(Expiry::at(SimTime(2_000_000)).passed(SimTime(2_000_000)));
    }
}
