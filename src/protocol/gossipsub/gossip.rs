//! Gossip: IHAVE emission at each heartbeat, and the IHAVE/IWANT handlers (spec v1.0
//! "Control Messages", "Heartbeat: gossip emission"; v1.1 "Adaptive Gossip Dissemination",
//! "Flood protection" limits on IHAVE/IWANT).

use super::config::IwantOnce;
use super::mcache::CacheEntry;
use super::peer::Peer;
use super::rpc::{PayloadKind, RpcPart};
use crate::ids::{MsgIdx, SimTime, TopicId};
use crate::message::MessageTable;
use rand::seq::SliceRandom;

impl Peer {
    /// spec v1.1 gossip emission: for each topic in mesh ∪ fanout, advertise the ids of the
    /// newest `history_gossip` windows to max(D_lazy, gossip_factor × eligible) random topic
    /// peers outside the mesh/fanout, drawn anew each heartbeat.
    pub(super) fn emit_gossip(&mut self, _msgs: &MessageTable) {
        let mut ids = std::mem::take(&mut self.scratch_ids);
        let mut eligible = std::mem::take(&mut self.scratch_slots);
        for ti in 0..self.topics.len() {
            let ts = &self.topics[ti];
            if !ts.subscribed && ts.fanout_last_pub.is_none() {
                continue;
            }
            let t = TopicId(ti as u16);
            self.mcache.gossip_ids(t, self.cfg.history_gossip, &mut ids);
            if ids.is_empty() {
                continue;
            }
            eligible.clear();
            eligible.extend(
                ts.peers
                    .iter()
                    .copied()
                    .filter(|s| !ts.mesh.contains(s) && !ts.fanout.contains(s)),
            );
            let target = self
                .cfg
                .gossip_lazy
                .max((self.cfg.gossip_factor * eligible.len() as f64) as usize);
            let n = target.min(eligible.len());
            let (chosen, _) = eligible.partial_shuffle(&mut self.traffic_rng, n);
            for &slot in chosen.iter() {
                if ids.len() > self.cfg.max_ihave_length {
                    // Each peer gets its own random subset of the ids.
                    ids.shuffle(&mut self.traffic_rng);
                }
                for &m in ids.iter().take(self.cfg.max_ihave_length) {
                    self.batch.push((slot, RpcPart::IHave { topic: t, msg: m }));
                }
            }
        }
        self.scratch_ids = ids;
        self.scratch_slots = eligible;
    }

    /// spec v1.0 IHAVE handling: ask (IWANT) for advertised ids we have not seen and have
    /// not asked for this heartbeat; ignore IHAVEs past max_ihave_messages per heartbeat and
    /// ids past max_ihave_length per heartbeat from one peer, and topics we are not in.
    pub(super) fn on_ihave_groups(&mut self, now: SimTime, slot: u32, parts: &[RpcPart]) {
        // Most RPCs carry no IHAVE: they read nothing below (`ihave_ahead` lies past the
        // lines a delivery reads; folding it later changes nothing, as it is folded before
        // any count is read).
        if !parts.iter().any(|p| matches!(p, RpcPart::IHave { .. })) {
            return;
        }
        self.seen.expire(now);
        // Groups counted ahead and delivered since count now.
        while let Some(d) = self.ihave_ahead.front().copied() {
            if d.at >= now {
                break;
            }
            self.nbrs[d.slot as usize].ihave_in += d.groups;
            self.ihave_ahead.pop_front();
        }
        let mut ask = std::mem::take(&mut self.scratch_ids);
        ask.clear();
        let mut i = 0;
        while i < parts.len() {
            let RpcPart::IHave { topic, .. } = parts[i] else {
                i += 1;
                continue;
            };
            let start = i;
            while i < parts.len()
                && matches!(parts[i], RpcPart::IHave { topic: t, .. } if t == topic)
            {
                i += 1;
            }
            let n = &mut self.nbrs[slot as usize];
            n.ihave_in += 1;
            if n.ihave_in > self.cfg.max_ihave_messages as u32
                || !self.topics[topic.idx()].subscribed
            {
                continue;
            }
            for p in &parts[start..i] {
                let RpcPart::IHave { msg, .. } = *p else {
                    unreachable!("group holds IHAVE parts only")
                };
                if self.nbrs[slot as usize].iasked as usize >= self.cfg.max_ihave_length {
                    break;
                }
                let once = self.cfg.iwant_once != IwantOnce::EveryPeer;
                if self.seen.contains(msg) || once && self.iwant_pending.contains(&msg) {
                    continue;
                }
                self.nbrs[slot as usize].iasked += 1;
                if once {
                    self.iwant_pending.push(msg);
                }
                ask.push(msg);
            }
        }
        if !ask.is_empty() {
            let parts: Vec<RpcPart> = ask.iter().map(|&msg| RpcPart::IWant { msg }).collect();
            self.send(slot, &parts);
        }
        self.scratch_ids = ask;
    }

    /// spec v1.0 IWANT handling: serve what the message cache still holds, at most
    /// gossip_retransmission times per peer and id, together in one RPC.
    pub(super) fn on_iwant(&mut self, slot: u32, parts: &[RpcPart]) {
        let mut serve: Vec<RpcPart> = Vec::new();
        for p in parts {
            let RpcPart::IWant { msg } = *p else { continue };
            let Some(CacheEntry { hops, .. }) = self.mcache.get(msg) else {
                continue;
            };
            if self
                .mcache
                .try_serve(msg, slot, self.cfg.gossip_retransmission)
            {
                serve.push(RpcPart::Message {
                    msg,
                    kind: PayloadKind::IWantServed,
                    hops: hops.saturating_add(1),
                });
            }
        }
        if !serve.is_empty() {
            self.send(slot, &serve);
        }
    }

    /// Test hook: the ids this peer would advertise for `t` now.
    pub fn gossip_ids(&self, t: TopicId) -> Vec<MsgIdx> {
        let mut v = Vec::new();
        self.mcache.gossip_ids(t, self.cfg.history_gossip, &mut v);
        v
    }
}

/// IHAVE groups in `parts`: runs of IHAVE parts of one topic (each counts once against
/// max_ihave_messages; see `on_ihave_groups`).
pub(super) fn ihave_groups(parts: &[RpcPart]) -> u32 {
    let mut groups = 0;
    let mut prev = None;
    for p in parts {
        match *p {
            RpcPart::IHave { topic, .. } => {
                if prev != Some(topic) {
                    groups += 1;
                }
                prev = Some(topic);
            }
            _ => prev = None,
        }
    }
    groups
}
