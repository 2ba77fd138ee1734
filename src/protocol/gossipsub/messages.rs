//! A peer's message path: its own publications (with fanout), first copies and
//! duplicates from neighbours, the application's verdicts, forwarding to the mesh, and the
//! IDONTWANTs a large message calls for (spec v1.0 "Message Processing", v1.1 flood
//! publishing, v1.2 IDONTWANT). The peer's state and surface are in `peer.rs`.

use super::config::IdontwantWhen;
use super::mcache::CacheEntry;
use super::peer::{Peer, PeerEvent, Pending};
use super::rpc::{pubsub_message_len, PayloadKind, RpcPart};
use super::seen::Expiry;
use crate::ids::{MsgIdx, SimTime, TopicId};
use crate::message::MessageTable;

impl Peer {
    /// spec v1.0 "Message Publishing" (+ v1.1 flood publishing): our own message `m`.
    pub fn handle_publish(&mut self, now: SimTime, m: MsgIdx, msgs: &MessageTable) {
        let topic = msgs.get(m).topic;
        self.seen.expire(now);
        self.seen.insert(m, now, self.cfg.seen_ttl);
        self.mcache.put(CacheEntry {
            msg: m,
            topic,
            hops: 0,
        });
        let part = RpcPart::Message {
            msg: m,
            kind: PayloadKind::Published,
            hops: 1,
        };
        let ts = &self.topics[topic.idx()];
        let targets: Vec<u32> = if self.cfg.flood_publish {
            ts.peers.clone()
        } else if ts.subscribed {
            ts.mesh.clone()
        } else {
            self.fanout_for_publish(now, topic)
        };
        // `idontwant_on_publish`: each recipient hears first that we need no copy back.
        let dont = self.cfg.idontwant_on_publish && self.idontwant_due(m, msgs);
        for slot in targets {
            if dont {
                self.send_one(slot, RpcPart::IDontWant { msg: m });
            }
            self.send_one(slot, part);
        }
    }

    /// spec v1.0 fanout: the peers to publish to on a topic we are not subscribed to.
    fn fanout_for_publish(&mut self, now: SimTime, t: TopicId) -> Vec<u32> {
        let ts = &mut self.topics[t.idx()];
        ts.fanout_last_pub = Some(now);
        if ts.fanout.is_empty() {
            let mut cands = ts.peers.clone();
            let n = self.cfg.mesh_n.min(cands.len());
            let (chosen, _) =
                rand::seq::SliceRandom::partial_shuffle(&mut cands[..], &mut self.traffic_rng, n);
            let mut f = chosen.to_vec();
            f.sort_unstable();
            self.topics[t.idx()].fanout = f;
        }
        self.topics[t.idx()].fanout.clone()
    }

    /// The application's verdict on `m` (always "accept" today: invalid messages come with
    /// the validation issue). Forwards it to the mesh. Returns the hops it came over, if it
    /// was waiting for this verdict.
    pub fn handle_validated(
        &mut self,
        now: SimTime,
        m: MsgIdx,
        msgs: &MessageTable,
    ) -> Option<u16> {
        let first = self.validating.iter().position(|p| p.msg == m)?;
        let hops = self.validating[first].hops;
        let topic = msgs.get(m).topic;
        self.mcache.put(CacheEntry {
            msg: m,
            topic,
            hops,
        });
        // Every neighbour that sent it while it was validated already has it.
        let mut exclude = std::mem::take(&mut self.scratch_slots);
        exclude.clear();
        exclude.extend(
            self.validating
                .iter()
                .filter(|p| p.msg == m)
                .map(|p| p.from),
        );
        self.validating.retain(|p| p.msg != m);
        self.unwanted_by(m, msgs.get(m).published_at, now, &mut exclude);
        self.forward(m, topic, hops, &exclude);
        self.scratch_slots = exclude;
        Some(hops)
    }

    /// Adds to `slots` every neighbour that sent IDONTWANT for `m` (published at
    /// `published`). Reads the FIFO from its newest entry back to the first that arrived
    /// before `m` was published: no IDONTWANT for `m` is older than `m`, and an entry's
    /// expiry (arrival + TTL, rounded up to the millisecond) grows with its arrival.
    ///
    /// Entries recorded ahead of their delivery (`idontwant_ahead`) count only once
    /// delivered: before `now`, or at `now` from a sender the host's event order puts first.
    fn unwanted_by(&self, m: MsgIdx, published: SimTime, now: SimTime, slots: &mut Vec<u32>) {
        let ttl = self.cfg.idontwant_ttl;
        let horizon = Expiry::at(published.saturating_add(ttl));
        for d in self.dont_send.iter().rev() {
            if Expiry::at(d.at.saturating_add(ttl)) < horizon {
                break;
            }
            if d.msg == m
                && (d.at < now
                    || d.at == now
                        && u64::from(self.nbrs[d.slot as usize].id.0) < self.deliveries_before)
            {
                slots.push(d.slot);
            }
        }
    }

    /// spec v1.0 "Message Processing": forward to mesh peers except those in `exclude`:
    /// those that sent it and (v1.2) those that sent IDONTWANT for it.
    fn forward(&mut self, m: MsgIdx, topic: TopicId, hops: u16, exclude: &[u32]) {
        if !self.topics[topic.idx()].subscribed {
            return;
        }
        let part = RpcPart::Message {
            msg: m,
            kind: PayloadKind::Forwarded,
            hops: hops.saturating_add(1),
        };
        for i in 0..self.topics[topic.idx()].mesh.len() {
            let slot = self.topics[topic.idx()].mesh[i];
            if exclude.contains(&slot) {
                continue;
            }
            self.send_one(slot, part);
        }
    }

    /// Whether `m` is large enough for IDONTWANT (`idontwant_threshold`, compared as
    /// `idontwant_when` says).
    fn idontwant_due(&self, m: MsgIdx, msgs: &MessageTable) -> bool {
        let Some(th) = self.cfg.idontwant_threshold else {
            return false;
        };
        let data = u64::from(msgs.get(m).data_len);
        match self.cfg.idontwant_when {
            IdontwantWhen::DataAbove => data > th,
            IdontwantWhen::DataAtLeast => data >= th,
            IdontwantWhen::MessageAbove => u64::from(pubsub_message_len(msgs, m)) > th,
        }
    }

    pub(super) fn on_message(
        &mut self,
        now: SimTime,
        slot: u32,
        m: MsgIdx,
        hops: u16,
        msgs: &MessageTable,
    ) {
        self.seen.expire(now);
        if !self.seen.insert(m, now, self.cfg.seen_ttl) {
            // Duplicate: remember the sender if we are still validating, to spare it a copy.
            if self.validating.iter().any(|p| p.msg == m) {
                self.validating.push(Pending {
                    msg: m,
                    from: slot,
                    hops,
                });
            }
            return;
        }
        let meta = msgs.get(m);
        self.events.push_back(PeerEvent::Received {
            msg: m,
            from: self.nbrs[slot as usize].id,
            hops,
        });
        // spec v1.2: IDONTWANT to mesh peers, before validation, for large messages.
        if self.idontwant_due(m, msgs) && self.topics[meta.topic.idx()].subscribed {
            for i in 0..self.topics[meta.topic.idx()].mesh.len() {
                let s = self.topics[meta.topic.idx()].mesh[i];
                if s != slot {
                    self.send_one(s, RpcPart::IDontWant { msg: m });
                }
            }
        }
        self.validating.push(Pending {
            msg: m,
            from: slot,
            hops,
        });
        self.events.push_back(PeerEvent::Validate { msg: m });
    }
}
