//! Heartbeat mesh and fanout maintenance, and the GRAFT/PRUNE handlers (spec v1.0
//! "Heartbeat" / "Mesh Maintenance", "Fanout Maintenance"; v1.1 "Prune Backoff",
//! "Outbound Mesh Quotas"). Without peer scoring, "best by score" is "at random".

use super::config::{HeartbeatRpcs, IwantOnce, PruneAt, SubscribeGraft};
use super::peer::Peer;
use super::rpc::RpcPart;
use super::seen::Expiry;
use crate::ids::{SimTime, TopicId};
use crate::message::MessageTable;
use rand::seq::SliceRandom;

impl Peer {
    fn backoff_secs(d: SimTime) -> u32 {
        d.as_nanos().div_ceil(1_000_000_000) as u32
    }

    fn slack(&self) -> SimTime {
        SimTime(self.cfg.heartbeat_interval.as_nanos() * u64::from(self.cfg.backoff_slack))
    }

    /// spec v1.0 JOIN: fanout peers first, then random topic peers, up to D; GRAFT them.
    pub(super) fn join_mesh(&mut self, t: TopicId) {
        let ti = t.idx();
        if !self.cfg.mesh_maintenance {
            self.topics[ti].mesh = self.topics[ti].peers.clone();
            return;
        }
        let mut mesh = std::mem::take(&mut self.topics[ti].fanout);
        self.topics[ti].fanout_last_pub = None;
        mesh.truncate(self.cfg.mesh_n);
        if mesh.len() < self.cfg.mesh_n {
            let mut cands: Vec<u32> = self.topics[ti]
                .peers
                .iter()
                .copied()
                .filter(|s| !mesh.contains(s))
                .collect();
            let need = (self.cfg.mesh_n - mesh.len()).min(cands.len());
            let (chosen, _) = cands.partial_shuffle(&mut self.rng, need);
            mesh.extend_from_slice(chosen);
        }
        for &slot in &mesh {
            self.send_one(slot, RpcPart::Graft { topic: t });
        }
        self.topics[ti].mesh = mesh;
    }

    /// spec v1.1 GRAFT handling: refuse (PRUNE) if not subscribed (or ignore it:
    /// `prune_unsubscribed_graft`), in backoff, or the mesh is full (D_high) and the peer is
    /// not one we dialled (or whoever it is: `graft_outbound_beyond_d_high`); else add to the
    /// mesh.
    pub(super) fn on_graft(&mut self, now: SimTime, slot: u32, t: TopicId) {
        let ti = t.idx();
        if !self.cfg.mesh_maintenance || self.topics[ti].mesh.contains(&slot) {
            return;
        }
        if !self.topics[ti].subscribed && !self.cfg.prune_unsubscribed_graft {
            return;
        }
        let backoff = self.cfg.prune_backoff;
        let exempt = self.cfg.graft_outbound_beyond_d_high && self.nbrs[slot as usize].outbound;
        let refuse = !self.topics[ti].subscribed
            || self.in_backoff(t, slot, now, SimTime::ZERO)
            || (self.topics[ti].mesh.len() >= self.cfg.mesh_n_high && !exempt);
        if refuse {
            self.add_backoff(t, slot, now.saturating_add(backoff));
            self.send_one(
                slot,
                RpcPart::Prune {
                    topic: t,
                    backoff_secs: Self::backoff_secs(backoff),
                },
            );
            return;
        }
        self.topics[ti].mesh.push(slot);
    }

    /// A SUBSCRIBE from the neighbour in `slot` while our mesh of `t` is below D_low
    /// (`subscribe_graft`): GRAFT that peer, or fill the mesh to D, at once; outside
    /// backoff (with slack, as the heartbeat).
    pub(super) fn graft_on_subscribe(&mut self, now: SimTime, slot: u32, t: TopicId) {
        let ti = t.idx();
        let ts = &self.topics[ti];
        if !self.cfg.mesh_maintenance
            || !ts.subscribed
            || ts.mesh.len() >= self.cfg.mesh_n_low
            || ts.mesh.contains(&slot)
        {
            return;
        }
        let slack = self.slack();
        match self.cfg.subscribe_graft {
            SubscribeGraft::None => {}
            SubscribeGraft::Peer => {
                if !self.in_backoff(t, slot, now, slack) {
                    self.topics[ti].mesh.push(slot);
                    self.send_one(slot, RpcPart::Graft { topic: t });
                }
            }
            SubscribeGraft::Rebalance => {
                let mut cands = self.graft_candidates(now, t, slack, false);
                let need = (self.cfg.mesh_n - self.topics[ti].mesh.len()).min(cands.len());
                let (chosen, _) = cands.partial_shuffle(&mut self.rng, need);
                for &s in chosen.iter() {
                    self.topics[ti].mesh.push(s);
                    self.send_one(s, RpcPart::Graft { topic: t });
                }
            }
        }
    }

    /// spec v1.1 PRUNE handling: leave the mesh and respect the backoff it carries.
    pub(super) fn on_prune(&mut self, now: SimTime, slot: u32, t: TopicId, backoff_secs: u32) {
        let ti = t.idx();
        self.topics[ti].mesh.retain(|&s| s != slot);
        let d = if backoff_secs == 0 {
            self.cfg.prune_backoff
        } else {
            SimTime::from_secs(u64::from(backoff_secs))
        };
        self.add_backoff(t, slot, now.saturating_add(d));
    }

    /// spec v1.0 "Heartbeat": mesh maintenance, fanout maintenance, gossip emission, cache
    /// shift. Control parts for one peer go out together in one RPC.
    pub fn handle_heartbeat(&mut self, now: SimTime, msgs: &MessageTable) {
        self.seen.expire(now);
        self.batch.clear();
        if self.cfg.mesh_maintenance {
            for t in 0..self.topics.len() {
                if self.topics[t].subscribed {
                    self.maintain_mesh(now, TopicId(t as u16));
                }
            }
        }
        self.maintain_fanout(now);
        if self.cfg.gossip {
            self.emit_gossip(msgs);
        }
        self.flush_batch();
        self.mcache.shift();
        self.expire_heartbeat_state(now);
        self.next_heartbeat = self
            .next_heartbeat
            .saturating_add(self.cfg.heartbeat_interval);
    }

    /// Sends what the heartbeat gathered, peers in slot order: one RPC per peer, or one per
    /// GRAFT, PRUNE and topic's IHAVE (`heartbeat_rpcs`).
    fn flush_batch(&mut self) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.sort_by_key(|&(slot, _)| slot); // stable: keeps each peer's parts in order
        let per_control = self.cfg.heartbeat_rpcs == HeartbeatRpcs::PerControl;
        // Whether `b` goes in the same RPC as `a`, before it.
        let together = |a: &(u32, RpcPart), b: &(u32, RpcPart)| {
            a.0 == b.0
                && (!per_control
                    || matches!((a.1, b.1), (RpcPart::IHave { topic: x, .. }, RpcPart::IHave { topic: y, .. }) if x == y))
        };
        let mut parts = Vec::new();
        for chunk in batch.chunk_by(together) {
            parts.clear();
            parts.extend(chunk.iter().map(|&(_, p)| p));
            self.send(chunk[0].0, &parts);
        }
        batch.clear();
        self.batch = batch;
    }

    fn maintain_mesh(&mut self, now: SimTime, t: TopicId) {
        let ti = t.idx();
        let slack = self.slack();
        // Too few: graft random topic peers not in backoff.
        if self.topics[ti].mesh.len() < self.cfg.mesh_n_low {
            let mut cands = self.graft_candidates(now, t, slack, false);
            let need = (self.cfg.mesh_n - self.topics[ti].mesh.len()).min(cands.len());
            let (chosen, _) = cands.partial_shuffle(&mut self.rng, need);
            for &slot in chosen.iter() {
                self.topics[ti].mesh.push(slot);
                self.batch.push((slot, RpcPart::Graft { topic: t }));
            }
        }
        // Too many (above D_high, or at it: `prune_at`): keep D (retain_scores of them at
        // random, the rest random but honouring the outbound quota), prune the rest.
        let high = self.cfg.mesh_n_high;
        let too_many = match self.cfg.prune_at {
            PruneAt::AboveDHigh => self.topics[ti].mesh.len() > high,
            PruneAt::AtDHigh => self.topics[ti].mesh.len() >= high,
        };
        if too_many && self.topics[ti].mesh.len() > self.cfg.mesh_n {
            let mut mesh = std::mem::take(&mut self.topics[ti].mesh);
            mesh.shuffle(&mut self.rng);
            let d = self.cfg.mesh_n;
            self.keep_outbound(&mut mesh, d);
            let backoff = self.cfg.prune_backoff;
            for &slot in &mesh[d..] {
                self.add_backoff(t, slot, now.saturating_add(backoff));
                self.batch.push((
                    slot,
                    RpcPart::Prune {
                        topic: t,
                        backoff_secs: Self::backoff_secs(backoff),
                    },
                ));
            }
            mesh.truncate(d);
            self.topics[ti].mesh = mesh;
        }
        // Outbound quota: graft outbound peers if the mesh holds fewer than D_out.
        if self.topics[ti].mesh.len() >= self.cfg.mesh_n_low {
            let outbound = self.topics[ti]
                .mesh
                .iter()
                .filter(|&&s| self.nbrs[s as usize].outbound)
                .count();
            if outbound < self.cfg.mesh_outbound_min {
                let mut cands = self.graft_candidates(now, t, slack, true);
                let need = (self.cfg.mesh_outbound_min - outbound).min(cands.len());
                let (chosen, _) = cands.partial_shuffle(&mut self.rng, need);
                for &slot in chosen.iter() {
                    self.topics[ti].mesh.push(slot);
                    self.batch.push((slot, RpcPart::Graft { topic: t }));
                }
            }
        }
    }

    /// Of a shuffled mesh whose first `d` are kept: swaps outbound peers from the pruned
    /// part into the kept part, replacing inbound peers beyond the retain_scores prefix,
    /// until the kept part holds D_out outbound peers (or none is left to swap in).
    fn keep_outbound(&self, mesh: &mut [u32], d: usize) {
        let outbound_kept = mesh[..d]
            .iter()
            .filter(|&&s| self.nbrs[s as usize].outbound)
            .count();
        if outbound_kept >= self.cfg.mesh_outbound_min {
            return;
        }
        let mut need = self.cfg.mesh_outbound_min - outbound_kept;
        let mut j = d;
        for i in (self.cfg.retain_scores..d).rev() {
            if need == 0 {
                break;
            }
            if self.nbrs[mesh[i] as usize].outbound {
                continue;
            }
            while j < mesh.len() && !self.nbrs[mesh[j] as usize].outbound {
                j += 1;
            }
            if j == mesh.len() {
                break;
            }
            mesh.swap(i, j);
            need -= 1;
        }
    }

    fn graft_candidates(
        &self,
        now: SimTime,
        t: TopicId,
        slack: SimTime,
        outbound_only: bool,
    ) -> Vec<u32> {
        let ts = &self.topics[t.idx()];
        ts.peers
            .iter()
            .copied()
            .filter(|s| !ts.mesh.contains(s))
            .filter(|&s| !outbound_only || self.nbrs[s as usize].outbound)
            .filter(|&s| !self.in_backoff(t, s, now, slack))
            .collect()
    }

    /// spec v1.0 "Fanout Maintenance": forget fanout topics idle for fanout_ttl; top the
    /// others up to D.
    fn maintain_fanout(&mut self, now: SimTime) {
        for ti in 0..self.topics.len() {
            let Some(last) = self.topics[ti].fanout_last_pub else {
                continue;
            };
            if last.saturating_add(self.cfg.fanout_ttl) < now {
                self.topics[ti].fanout.clear();
                self.topics[ti].fanout_last_pub = None;
                continue;
            }
            if self.topics[ti].fanout.len() < self.cfg.mesh_n {
                let ts = &self.topics[ti];
                let mut cands: Vec<u32> = ts
                    .peers
                    .iter()
                    .copied()
                    .filter(|s| !ts.fanout.contains(s))
                    .collect();
                let need = (self.cfg.mesh_n - ts.fanout.len()).min(cands.len());
                let (chosen, _) = cands.partial_shuffle(&mut self.traffic_rng, need);
                self.topics[ti].fanout.extend_from_slice(chosen);
            }
        }
    }

    fn expire_heartbeat_state(&mut self, now: SimTime) {
        let slack = self.slack();
        for ts in &mut self.topics {
            ts.backoff
                .retain(|&(_, until)| now < until.saturating_add(slack));
        }
        for n in &mut self.nbrs {
            n.ihave_in = 0;
            n.iasked = 0;
        }
        // IHAVE groups counted ahead and delivered by now fall in the interval just reset.
        while self.ihave_ahead.front().is_some_and(|d| d.at <= now) {
            self.ihave_ahead.pop_front();
        }
        let ttl = self.cfg.idontwant_ttl;
        while self
            .dont_send
            .front()
            .is_some_and(|d| Expiry::at(d.at.saturating_add(ttl)).passed(now))
        {
            self.dont_send.pop_front();
        }
        // Ids asked are forgotten each heartbeat, or once they arrived (`iwant_once`).
        match self.cfg.iwant_once {
            IwantOnce::Heartbeat | IwantOnce::EveryPeer => self.iwant_pending.clear(),
            IwantOnce::UntilReceived => {
                let seen = &self.seen;
                self.iwant_pending.retain(|&m| !seen.contains(m));
            }
        }
    }
}
