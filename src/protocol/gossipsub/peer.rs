//! The gossipsub peer: a pure state machine (quinn-proto style). Inputs arrive through
//! `handle_*(now, ...)`; outputs leave through `poll_transmit`, `poll_event` and
//! `poll_timeout`. It never reads a clock, never touches a global RNG, never sees a socket: its
//! RNG is handed in and `now` is always a parameter. State and surface here; the message
//! path in `messages.rs`; heartbeat mesh/fanout maintenance in `mesh.rs`; gossip in
//! `gossip.rs`.

use super::config::GossipsubConfig;
use super::mcache::MessageCache;
use super::rpc::RpcPart;
use super::seen::SeenCache;
use crate::ids::{MsgIdx, PeerId, SimTime, TopicId};
use crate::message::MessageTable;
use crate::rng::SimRng;
use std::collections::VecDeque;
use std::sync::Arc;

/// A connected peer as this peer sees it. Referred to by its slot in `Peer::nbrs`.
#[derive(Debug, Clone)]
pub(super) struct Neighbour {
    pub id: PeerId,
    /// We dialled it (counts towards D_out).
    pub outbound: bool,
    /// Topics it announced (SUBSCRIBE), sorted.
    pub topics: Vec<TopicId>,
    /// IHAVE messages received from it this heartbeat.
    pub ihave_in: u32,
    /// Ids asked from it through IWANT this heartbeat.
    pub iasked: u32,
}

/// An IDONTWANT received: neighbour `slot` does not want `msg`; delivered at `at` (it
/// expires one TTL later). A host may record it ahead of its delivery
/// (`idontwant_ahead`): until `at` it does not count.
#[derive(Debug, Clone, Copy)]
pub(super) struct DontSend {
    pub msg: MsgIdx,
    pub slot: u32,
    pub at: SimTime,
}

/// Per-topic state of this peer.
#[derive(Debug, Clone, Default)]
pub(super) struct TopicState {
    pub subscribed: bool,
    /// Neighbour slots subscribed to this topic, sorted.
    pub peers: Vec<u32>,
    /// spec: mesh[topic].
    pub mesh: Vec<u32>,
    /// spec: fanout[topic].
    pub fanout: Vec<u32>,
    /// spec: lastpub[topic].
    pub fanout_last_pub: Option<SimTime>,
    /// spec v1.1 backoff: (slot, until).
    pub backoff: Vec<(u32, SimTime)>,
}

/// A single RPC to send: its parts are `Peer::transmit_parts(&t)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub to: PeerId,
    /// `to`'s slot among this peer's neighbours (stable: see `neighbour`).
    pub slot: u32,
    start: u32,
    len: u32,
}

/// What the peer tells its host besides transmits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerEvent {
    /// First copy of `msg` arrived from `from`, `hops` hops from its publisher.
    Received {
        msg: MsgIdx,
        from: PeerId,
        hops: u16,
    },
    /// The application must validate `msg` and answer with `handle_validated`.
    Validate { msg: MsgIdx },
}

/// A message waiting for validation, and every neighbour that sent it meanwhile.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub msg: MsgIdx,
    pub from: u32,
    pub hops: u16,
}

/// A gossipsub peer. Laid out by hand, hottest fields first: the seen cache, the IDONTWANT
/// FIFO, the config, the messages being validated and the output queues (what every
/// delivered RPC touches, duplicates included) fill the first cache lines, so that a host
/// can load them ahead of an event (`HOT_LINES`); mesh-choice streams and heartbeat scratch
/// come last.
#[repr(C, align(64))]
pub struct Peer {
    pub(super) seen: SeenCache,
    /// IDONTWANTs received from every neighbour, in delivery order (so in expiry order: one
    /// TTL for all). One FIFO per peer rather than one per neighbour: a forward reads only
    /// its newest entries (see `unwanted_by`), and expiry pops the front.
    pub(super) dont_send: VecDeque<DontSend>,
    pub(super) cfg: Arc<GossipsubConfig>,
    /// Where the input being handled falls among the deliveries of its instant: an
    /// IDONTWANT recorded ahead and delivered at that very instant counts only if its
    /// sender's id is below this (see `set_deliveries_before`).
    pub(super) deliveries_before: u64,
    pub(super) next_heartbeat: SimTime,
    pub(super) id: PeerId,
    out_read: u32,
    /// Neighbours in connection order; a slot never moves.
    pub(super) nbrs: Vec<Neighbour>,
    pub(super) validating: Vec<Pending>,
    out: Vec<Transmit>,
    out_parts: Vec<RpcPart>,
    pub(super) events: VecDeque<PeerEvent>,
    pub(super) topics: Vec<TopicState>,
    pub(super) mcache: MessageCache,
    /// Ids asked through IWANT this heartbeat (spec: do not ask twice).
    pub(super) iwant_pending: Vec<MsgIdx>,
    /// (peer, slot) sorted by peer, for lookups.
    index: Vec<(PeerId, u32)>,
    /// Scratch: (slot, part) gathered during a heartbeat, batched into one RPC per peer.
    pub(super) batch: Vec<(u32, RpcPart)>,
    pub(super) scratch_ids: Vec<MsgIdx>,
    pub(super) scratch_slots: Vec<u32>,
    /// Draws for mesh and fanout selection. (Both streams are boxed: 320 bytes each, used
    /// at heartbeats, they would otherwise spread the fields every RPC reads over twice as
    /// many cache lines.)
    pub(super) rng: Box<SimRng>,
    /// Draws that traffic triggers (gossip targets and id subsets, fanout peers): a separate
    /// stream so that changing the traffic never shifts the mesh draws.
    pub(super) traffic_rng: Box<SimRng>,
    /// IHAVE groups recorded ahead of their delivery (`ihave_ahead`), in delivery order:
    /// they count towards their neighbour's `ihave_in` from their delivery on.
    pub(super) ihave_ahead: VecDeque<IHaveAhead>,
}

/// IHAVE groups from neighbour `slot` delivered at `at` (see `Peer::ihave_ahead`).
#[derive(Debug, Clone, Copy)]
pub(super) struct IHaveAhead {
    pub at: SimTime,
    pub slot: u32,
    pub groups: u32,
}

impl Peer {
    /// Cache lines at the start of a `Peer` that hold everything a delivered RPC reads in
    /// the peer itself (the buffers it points to aside: see `prefetch_rpc`).
    pub const HOT_LINES: usize = 4;

    /// A peer with no connections. `rng` drives mesh choices, `traffic_rng` gossip and
    /// fanout; `topics` is the number of topics in the simulation; `first_heartbeat` lets the
    /// host spread heartbeat phases.
    pub fn new(
        id: PeerId,
        cfg: Arc<GossipsubConfig>,
        rng: SimRng,
        traffic_rng: SimRng,
        topics: usize,
        first_heartbeat: SimTime,
    ) -> Self {
        let mcache = MessageCache::new(cfg.history_length);
        Peer {
            id,
            cfg,
            rng: Box::new(rng),
            traffic_rng: Box::new(traffic_rng),
            nbrs: Vec::new(),
            index: Vec::new(),
            topics: vec![TopicState::default(); topics],
            seen: SeenCache::default(),
            mcache,
            validating: Vec::new(),
            dont_send: VecDeque::new(),
            deliveries_before: u64::MAX,
            iwant_pending: Vec::new(),
            next_heartbeat: first_heartbeat,
            out: Vec::new(),
            out_parts: Vec::new(),
            out_read: 0,
            events: VecDeque::new(),
            batch: Vec::new(),
            scratch_ids: Vec::new(),
            scratch_slots: Vec::new(),
            ihave_ahead: VecDeque::new(),
        }
    }

    pub fn id(&self) -> PeerId {
        self.id
    }

    pub fn config(&self) -> &GossipsubConfig {
        &self.cfg
    }

    // ---------------------------------------------------------------- outputs

    /// The next RPC to send, in the order produced.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.out.get(self.out_read as usize).copied();
        if t.is_some() {
            self.out_read += 1;
        } else {
            self.out.clear();
            self.out_parts.clear();
            self.out_read = 0;
        }
        t
    }

    /// The parts of a transmit returned by `poll_transmit` (valid until the next input).
    pub fn transmit_parts(&self, t: &Transmit) -> &[RpcPart] {
        &self.out_parts[t.start as usize..(t.start + t.len) as usize]
    }

    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        self.events.pop_front()
    }

    /// When the peer next needs `handle_heartbeat`.
    pub fn poll_timeout(&self) -> SimTime {
        self.next_heartbeat
    }

    pub(super) fn send(&mut self, slot: u32, parts: &[RpcPart]) {
        let start = self.out_parts.len() as u32;
        self.out_parts.extend_from_slice(parts);
        self.out.push(Transmit {
            to: self.nbrs[slot as usize].id,
            slot,
            start,
            len: parts.len() as u32,
        });
    }

    pub(super) fn send_one(&mut self, slot: u32, part: RpcPart) {
        self.send(slot, std::slice::from_ref(&part));
    }

    // ---------------------------------------------------------------- queries

    pub fn has_seen(&self, m: MsgIdx) -> bool {
        self.seen.contains(m)
    }

    /// Whether a copy of `m` arriving at `now` is a duplicate: seen, and not yet expired.
    /// Hosts classify arrivals with this so that their count agrees with the peer's handling.
    pub fn is_duplicate(&mut self, now: SimTime, m: MsgIdx) -> bool {
        self.seen.expire(now);
        self.seen.contains(m)
    }

    pub fn is_subscribed(&self, t: TopicId) -> bool {
        self.topics[t.idx()].subscribed
    }

    /// Mesh peers of `t`.
    pub fn mesh(&self, t: TopicId) -> impl Iterator<Item = PeerId> + '_ {
        self.topics[t.idx()]
            .mesh
            .iter()
            .map(|&s| self.nbrs[s as usize].id)
    }

    pub fn mesh_len(&self, t: TopicId) -> usize {
        self.topics[t.idx()].mesh.len()
    }

    /// Connected peers subscribed to `t`.
    pub fn topic_peers_len(&self, t: TopicId) -> usize {
        self.topics[t.idx()].peers.len()
    }

    pub fn connections(&self) -> usize {
        self.nbrs.len()
    }

    pub fn outbound_connections(&self) -> usize {
        self.nbrs.iter().filter(|n| n.outbound).count()
    }

    /// The neighbour in `slot`. Slots are given in connection order and never move, so a
    /// host may keep per-connection facts (latency, the reverse slot) in tables by slot.
    pub fn neighbour(&self, slot: u32) -> PeerId {
        self.nbrs[slot as usize].id
    }

    /// The slot of connected peer `p`.
    pub fn slot_of(&self, p: PeerId) -> Option<u32> {
        self.index
            .binary_search_by_key(&p, |e| e.0)
            .ok()
            .map(|i| self.index[i].1)
    }

    pub(super) fn in_backoff(&self, t: TopicId, slot: u32, now: SimTime, slack: SimTime) -> bool {
        self.topics[t.idx()]
            .backoff
            .iter()
            .any(|&(s, until)| s == slot && now < until.saturating_add(slack))
    }

    pub(super) fn add_backoff(&mut self, t: TopicId, slot: u32, until: SimTime) {
        let b = &mut self.topics[t.idx()].backoff;
        match b.iter_mut().find(|(s, _)| *s == slot) {
            Some(e) => e.1 = e.1.max(until),
            None => b.push((slot, until)),
        }
    }

    // ---------------------------------------------------------------- inputs: connections

    /// A connection to `p` is open; `outbound` if we dialled it.
    pub fn handle_connected(&mut self, _now: SimTime, p: PeerId, outbound: bool) {
        let Err(pos) = self.index.binary_search_by_key(&p, |e| e.0) else {
            return; // already connected
        };
        let slot = self.nbrs.len() as u32;
        self.index.insert(pos, (p, slot));
        self.nbrs.push(Neighbour {
            id: p,
            outbound,
            topics: Vec::new(),
            ihave_in: 0,
            iasked: 0,
        });
        // spec v1.0 "Topic Membership": announce our subscriptions to a new peer.
        let parts: Vec<RpcPart> = (0..self.topics.len())
            .filter(|&t| self.topics[t].subscribed)
            .map(|t| RpcPart::Subscribe {
                topic: TopicId(t as u16),
                subscribe: true,
            })
            .collect();
        if !parts.is_empty() {
            self.send(slot, &parts);
        }
    }

    // ---------------------------------------------------------------- inputs: application

    /// spec v1.0 "Topic Membership" JOIN: announce, then build the mesh from fanout peers and
    /// random topic peers.
    pub fn handle_subscribe(&mut self, _now: SimTime, t: TopicId) {
        if self.topics[t.idx()].subscribed {
            return;
        }
        self.topics[t.idx()].subscribed = true;
        for slot in 0..self.nbrs.len() as u32 {
            self.send_one(
                slot,
                RpcPart::Subscribe {
                    topic: t,
                    subscribe: true,
                },
            );
        }
        self.join_mesh(t);
    }

    /// spec v1.0 LEAVE: announce, and PRUNE every mesh peer with the unsubscribe backoff.
    pub fn handle_unsubscribe(&mut self, now: SimTime, t: TopicId) {
        if !self.topics[t.idx()].subscribed {
            return;
        }
        let backoff_secs = self
            .cfg
            .unsubscribe_backoff
            .as_nanos()
            .div_ceil(1_000_000_000) as u32;
        let mesh = std::mem::take(&mut self.topics[t.idx()].mesh);
        for &slot in &mesh {
            if self.cfg.mesh_maintenance {
                self.send_one(
                    slot,
                    RpcPart::Prune {
                        topic: t,
                        backoff_secs,
                    },
                );
            }
            let until = now.saturating_add(self.cfg.unsubscribe_backoff);
            self.add_backoff(t, slot, until);
        }
        self.topics[t.idx()].subscribed = false;
        for slot in 0..self.nbrs.len() as u32 {
            self.send_one(
                slot,
                RpcPart::Subscribe {
                    topic: t,
                    subscribe: false,
                },
            );
        }
    }

    // ---------------------------------------------------------------- inputs: network

    /// An RPC from connected peer `from`.
    pub fn handle_rpc(
        &mut self,
        now: SimTime,
        from: PeerId,
        parts: &[RpcPart],
        msgs: &MessageTable,
    ) {
        let Some(slot) = self.slot_of(from) else {
            return; // not connected (any more): ignore.
        };
        self.handle_rpc_from_slot(now, slot, parts, msgs);
    }

    /// `handle_rpc` from the neighbour in `slot` (a host that knows the slot spares the
    /// lookup).
    pub fn handle_rpc_from_slot(
        &mut self,
        now: SimTime,
        slot: u32,
        parts: &[RpcPart],
        msgs: &MessageTable,
    ) {
        let mut iwant_start = None;
        for (i, part) in parts.iter().enumerate() {
            match *part {
                RpcPart::Subscribe { topic, subscribe } => {
                    self.on_subscription(slot, topic, subscribe);
                    if subscribe {
                        self.graft_on_subscribe(now, slot, topic);
                    }
                }
                RpcPart::Message { msg, hops, .. } => self.on_message(now, slot, msg, hops, msgs),
                RpcPart::IHave { .. } => {} // handled per IHAVE group below
                RpcPart::IWant { .. } => {
                    iwant_start.get_or_insert(i);
                }
                RpcPart::IDontWant { msg } => self.record_idontwant(slot, msg, now),
                RpcPart::Graft { topic } => self.on_graft(now, slot, topic),
                RpcPart::Prune {
                    topic,
                    backoff_secs,
                } => self.on_prune(now, slot, topic, backoff_secs),
            }
        }
        self.on_ihave_groups(now, slot, parts);
        if iwant_start.is_some() {
            self.on_iwant(slot, parts);
        }
    }

    /// Records that the neighbour in `slot` does not want `msg`, from `at` on (its delivery).
    /// Calls must come in delivery order.
    pub(super) fn record_idontwant(&mut self, slot: u32, msg: MsgIdx, at: SimTime) {
        debug_assert!(self.dont_send.back().is_none_or(|d| d.at <= at));
        self.dont_send.push_back(DontSend { msg, slot, at });
    }

    fn on_subscription(&mut self, slot: u32, t: TopicId, subscribe: bool) {
        let n = &mut self.nbrs[slot as usize];
        let ts = &mut self.topics[t.idx()];
        if subscribe {
            if let Err(pos) = n.topics.binary_search(&t) {
                n.topics.insert(pos, t);
            }
            if let Err(pos) = ts.peers.binary_search(&slot) {
                ts.peers.insert(pos, slot);
            }
            // A static mesh: every connection on a shared topic is a mesh link.
            if !self.cfg.mesh_maintenance && ts.subscribed && !ts.mesh.contains(&slot) {
                ts.mesh.push(slot);
            }
        } else {
            n.topics.retain(|&x| x != t);
            ts.peers.retain(|&s| s != slot);
            ts.mesh.retain(|&s| s != slot);
            ts.fanout.retain(|&s| s != slot);
        }
    }
}

#[cfg(test)]
mod layout {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// What a delivered RPC reads in the peer lies within its first `HOT_LINES` lines.
    #[test]
    fn hot_fields_fill_the_first_lines() {
        let end = offset_of!(Peer, events) + size_of::<VecDeque<PeerEvent>>();
        assert!(end <= Peer::HOT_LINES * 64, "hot fields end at byte {end}");
        for at in [
            offset_of!(Peer, seen),
            offset_of!(Peer, dont_send),
            offset_of!(Peer, cfg),
            offset_of!(Peer, deliveries_before),
            offset_of!(Peer, nbrs),
            offset_of!(Peer, validating),
            offset_of!(Peer, out),
            offset_of!(Peer, out_parts),
            offset_of!(Peer, out_read),
        ] {
            assert!(at < end);
        }
        assert_eq!(std::mem::align_of::<Peer>(), 64);
    }
}
