//! What a partition's Waku machines (`waku`, `protocol::waku::WakuNode`) are fed and what
//! their outputs become: transmissions on service and store links (through the one
//! `Partition::transmit`), deliveries, messages a service relays or pushes, messages a store
//! archives. A light-protocol transmission travels like an RPC (the sender's uplink, the
//! link's latency, the receiver's downlink, loss), inline in its events.

use super::event::{key, Event, Landing, RANK_HEARTBEAT};
use super::flight::Payload;
use super::partition::{Ctx, Partition};
use crate::engine::EventQueue;
use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::metrics::{Counted, Direction};
use crate::protocol::waku::{LightRpc, WakuOut};

/// Bytes in flight of a Waku RPC's arrival or delivery at the end of a run (0 for other
/// events).
pub(super) fn in_flight(ev: &Event, cx: &Ctx<'_>) -> u64 {
    match *ev {
        Event::Arrive {
            what: Landing::Waku(rpc),
            ..
        }
        | Event::Deliver {
            what: Payload::Light(rpc),
            ..
        } => {
            let (size, overhead) = cx.waku_size(rpc);
            u64::from(size) + u64::from(overhead)
        }
        _ => 0,
    }
}

impl Partition {
    /// t = 0: every light client subscribes at its services; light and store clients set
    /// their timers (one per node).
    pub(super) fn start_light(&mut self, cx: &Ctx<'_>) {
        for v in 0..self.light.nodes.len() {
            self.light.nodes[v].handle_start();
            let at = self.light.nodes[v].poll_timeout();
            if at != SimTime::MAX {
                let k = key(self.nodes[v], RANK_HEARTBEAT, 1);
                self.queue.push(at, k, Event::LightTimer(v as u32));
            }
            self.drain_light(v as u32, SimTime::ZERO, cx);
        }
    }

    /// Node `p`'s light or store client timer.
    pub(super) fn light_timer(&mut self, p: u32, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        self.light.nodes[v].handle_timeout(now);
        let at = self.light.nodes[v].poll_timeout();
        if at != SimTime::MAX {
            self.queue.push(
                at,
                key(self.nodes[v], RANK_HEARTBEAT, 1),
                Event::LightTimer(p),
            );
        }
        self.drain_light(p, now, cx);
    }

    /// Light client `p` publishes `m` (by lightpush).
    pub(super) fn light_publish(&mut self, p: u32, m: MsgIdx, now: SimTime, cx: &Ctx<'_>) {
        self.light.nodes[p as usize].handle_publish(now, m);
        self.drain_light(p, now, cx);
    }

    /// Relay `p` now has `m`, `hops` from its publisher: a service pushes it to its
    /// clients on the topic; a store archives it.
    pub(super) fn serve(&mut self, p: u32, m: MsgIdx, hops: u16, now: SimTime, cx: &Ctx<'_>) {
        let Some(node) = self.light.nodes.get_mut(p as usize) else {
            return;
        };
        let meta = cx.msgs.get(m);
        let to_light = cx.sc.traffic[meta.class.idx()].to == crate::scenario::Audience::All;
        if node.handle_message(now, m, meta.topic, meta.published_at, hops, to_light) {
            self.drain_light(p, now, cx);
        }
    }

    /// A light transmission has fully arrived at `to`: counted, then handed to its client
    /// or service.
    pub(super) fn light_deliver(
        &mut self,
        now: SimTime,
        to: u32,
        from: PeerId,
        rpc: LightRpc,
        cx: &Ctx<'_>,
    ) {
        let v = to as usize;
        let (size, overhead) = cx.waku_size(rpc);
        let item = [(Counted::Waku(&rpc), size)];
        let measuring = cx.measuring(now);
        self.acct.on_wire(
            PeerId(to),
            Direction::In,
            item,
            overhead,
            measuring,
            cx.msgs,
        );
        self.light.nodes[v].handle_rpc(now, from, rpc);
        self.drain_light(to, now, cx);
    }

    /// Carries out what `p`'s light client or service wants.
    fn drain_light(&mut self, p: u32, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        while let Some(out) = self.light.nodes[v].poll() {
            match out {
                WakuOut::Send { to, rpc } => {
                    if let LightRpc::StoreResponse { count, .. } = rpc {
                        if cx.measuring(now) {
                            let s = &mut self.light.served[v];
                            s.0 += 1;
                            s.1 += u64::from(count);
                        }
                    }
                    self.light_send(p, to, rpc, now, cx);
                }
                WakuOut::Received { msg, hops } => self.first_copy(v, msg, hops, now, cx),
                WakuOut::Duplicate { msg } => {
                    self.tally[v].duplicates += 1;
                    self.delivery.on_duplicate(msg);
                }
                WakuOut::Relay { msg } => {
                    // A copy its relay already has is not published again (gossipsub drops
                    // an already-seen publication), nor pushed twice.
                    if !self.peers[v].has_seen(msg) {
                        // The service has the message now: its first copy, from its client.
                        self.first_copy(v, msg, 1, now, cx);
                        self.peers[v].handle_publish(now, msg, cx.msgs);
                        self.drain(p, now, cx);
                        self.serve(p, msg, 0, now, cx);
                    }
                }
            }
        }
    }

    /// Puts light transmission `rpc` from local node `p` to `to` on the network.
    fn light_send(&mut self, p: u32, to: PeerId, rpc: LightRpc, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        let (size, overhead) = cx.waku_size(rpc);
        let item = [(Counted::Waku(&rpc), size)];
        let measuring = cx.measuring(now);
        let bytes = self.acct.on_wire(
            PeerId(p),
            Direction::Out,
            item,
            overhead,
            measuring,
            cx.msgs,
        );
        let latency = self.light.latency(v, to);
        self.transmit(v, (to, latency), bytes, Payload::Light(rpc), now, cx);
    }
}
