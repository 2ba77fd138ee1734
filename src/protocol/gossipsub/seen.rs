//! The seen cache (spec v1.0 "Message Processing": seen_ttl). A bitset over dense message
//! indices answers "seen?" in nanoseconds; a FIFO of (message, expiry) clears bits when
//! `seen_ttl` has passed, exactly, since every entry has the same TTL and so expires in
//! insertion order. Owns membership only.

use crate::ids::{MsgIdx, SimTime};
use std::collections::VecDeque;

#[derive(Default, Debug, Clone)]
pub struct SeenCache {
    bits: Vec<u64>,
    expiry: VecDeque<(MsgIdx, SimTime)>,
}

impl SeenCache {
    /// Drops entries whose TTL ended at or before `now`.
    pub fn expire(&mut self, now: SimTime) {
        while let Some(&(m, t)) = self.expiry.front() {
            if t > now {
                break;
            }
            self.bits[m.idx() / 64] &= !(1u64 << (m.idx() % 64));
            self.expiry.pop_front();
        }
    }

    #[inline]
    pub fn contains(&self, m: MsgIdx) -> bool {
        self.bits
            .get(m.idx() / 64)
            .is_some_and(|w| w & (1u64 << (m.idx() % 64)) != 0)
    }

    /// Marks `m` seen until `now + ttl`. Returns false if it already was.
    pub fn insert(&mut self, m: MsgIdx, now: SimTime, ttl: SimTime) -> bool {
        if self.contains(m) {
            return false;
        }
        let w = m.idx() / 64;
        if w >= self.bits.len() {
            self.bits.resize(w + 1, 0);
        }
        self.bits[w] |= 1u64 << (m.idx() % 64);
        self.expiry.push_back((m, now.saturating_add(ttl)));
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
        /// Against a naive oracle: a list of (id, inserted_at).
        #[test]
        fn matches_naive(ops in proptest::collection::vec((0u32..300, 0u64..50), 1..400)) {
            let ttl = SimTime(100);
            let mut s = SeenCache::default();
            let mut naive: Vec<(u32, u64)> = Vec::new();
            let mut now = 0u64;
            for (id, dt) in ops {
                now += dt;
                s.expire(SimTime(now));
                naive.retain(|&(_, t)| t + 100 > now);
                let fresh = !naive.iter().any(|&(i, _)| i == id);
                prop_assert_eq!(s.contains(MsgIdx(id)), !fresh);
                prop_assert_eq!(s.insert(MsgIdx(id), SimTime(now), ttl), fresh);
                if fresh { naive.push((id, now)); }
            }
        }
    }
}
