//! The message cache (spec v1.0 "Message Cache"): `history_length` heartbeat windows of recent
//! messages; the newest `history_gossip` are advertised in IHAVE; IWANTs are served from all of
//! them, at most `gossip_retransmission` times per peer and message. Owns the windows only.

use crate::ids::{MsgIdx, TopicId};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    pub msg: MsgIdx,
    pub topic: TopicId,
    /// Hop count at which this peer got the message (0 for its own).
    pub hops: u16,
}

#[derive(Debug, Clone)]
pub struct MessageCache {
    /// The newest first; opened one per shift up to `history_length`, then recycled, so that
    /// a long history costs only the windows a run reaches.
    windows: VecDeque<Vec<CacheEntry>>,
    history_length: usize,
    /// (message, neighbour slot, times served through IWANT); dropped with the message.
    served: Vec<(MsgIdx, u32, u32)>,
}

impl MessageCache {
    pub fn new(history_length: usize) -> Self {
        assert!(history_length >= 1, "validated: history_length >= 1");
        MessageCache {
            windows: VecDeque::from([Vec::new()]),
            history_length,
            served: Vec::new(),
        }
    }

    /// spec: mcache.put — into the newest window.
    pub fn put(&mut self, e: CacheEntry) {
        self.windows[0].push(e);
    }

    /// spec: mcache.get.
    pub fn get(&self, msg: MsgIdx) -> Option<CacheEntry> {
        self.windows
            .iter()
            .flat_map(|w| w.iter())
            .find(|e| e.msg == msg)
            .copied()
    }

    /// spec: mcache.get_gossip_ids — ids of `topic` in the newest `history_gossip` windows.
    pub fn gossip_ids(&self, topic: TopicId, history_gossip: usize, out: &mut Vec<MsgIdx>) {
        out.clear();
        for w in self.windows.iter().take(history_gossip) {
            out.extend(w.iter().filter(|e| e.topic == topic).map(|e| e.msg));
        }
    }

    /// Counts one more IWANT serve of `msg` to neighbour `slot`; false once the limit is hit.
    pub fn try_serve(&mut self, msg: MsgIdx, slot: u32, limit: u32) -> bool {
        match self
            .served
            .iter_mut()
            .find(|(m, s, _)| *m == msg && *s == slot)
        {
            Some((_, _, n)) if *n >= limit => false,
            Some((_, _, n)) => {
                *n += 1;
                true
            }
            None if limit == 0 => false,
            None => {
                self.served.push((msg, slot, 1));
                true
            }
        }
    }

    /// spec: mcache.shift — drops the oldest window and opens a new one.
    pub fn shift(&mut self) {
        if self.windows.len() < self.history_length {
            self.windows.push_front(Vec::new());
            return;
        }
        let mut oldest = self.windows.pop_back().expect("history_length >= 1");
        if !self.served.is_empty() && !oldest.is_empty() {
            self.served
                .retain(|(m, _, _)| !oldest.iter().any(|e| e.msg == *m));
        }
        oldest.clear();
        self.windows.push_front(oldest);
    }

    /// Removes every trace of neighbour `slot` (it disconnected).
    pub fn forget_peer(&mut self, slot: u32) {
        self.served.retain(|(_, s, _)| *s != slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(m: u32) -> CacheEntry {
        CacheEntry {
            msg: MsgIdx(m),
            topic: TopicId(0),
            hops: 0,
        }
    }

    /// A long history opens its windows as heartbeats go by, not all at the start: a history
    /// of a million windows cost every node 24 MB before the run did anything.
    #[test]
    fn windows_open_as_the_history_grows() {
        let mut c = MessageCache::new(1_000_000);
        assert_eq!(c.windows.len(), 1);
        for _ in 0..10 {
            c.shift();
        }
        assert_eq!(c.windows.len(), 11);
        let mut c = MessageCache::new(2);
        c.put(e(1));
        c.shift();
        c.shift();
        assert_eq!(c.windows.len(), 2);
        assert!(c.get(MsgIdx(1)).is_none(), "dropped after two windows");
    }

    #[test]
    fn windows_gossip_and_expiry() {
        let mut c = MessageCache::new(3);
        let mut ids = Vec::new();
        c.put(e(1));
        c.shift();
        c.put(e(2));
        c.shift();
        c.put(e(3));
        c.gossip_ids(TopicId(0), 2, &mut ids);
        assert_eq!(ids, vec![MsgIdx(3), MsgIdx(2)]);
        assert!(c.get(MsgIdx(1)).is_some());
        c.shift();
        assert!(
            c.get(MsgIdx(1)).is_none(),
            "dropped after history_length windows"
        );
        assert!(c.try_serve(MsgIdx(2), 7, 2));
        assert!(c.try_serve(MsgIdx(2), 7, 2));
        assert!(!c.try_serve(MsgIdx(2), 7, 2));
        assert!(c.try_serve(MsgIdx(2), 8, 2));
    }
}
