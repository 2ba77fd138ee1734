//! What each node's stack (`protocol::node::Node`) wants done, carried out: its transmits
//! and Waku RPCs onto the one wire path (`Partition::send`, `Partition::transmit`), its
//! first copies and duplicates into the metrics, its validations into the queue. Also the
//! start of a run, and the bytes of Waku RPCs sent and delivered, counted here.

use super::event::{key, Event, Landing, RANK_VALIDATED};
use super::flight::Payload;
use super::partition::{Ctx, Partition};
use crate::engine::EventQueue;
use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::metrics::{Counted, Direction};
use crate::protocol::node::{Incoming, NodeOut, Timer};
use crate::protocol::waku::LightRpc;

impl Partition {
    /// Bytes in flight in event `ev` at the end of a run (0 for an event that carries
    /// nothing).
    pub(super) fn in_flight(&self, ev: &Event, cx: &Ctx<'_>) -> u64 {
        match *ev {
            Event::Arrive {
                what: Landing::Rpc { slot, .. },
                ..
            }
            | Event::Deliver {
                what: Payload::Rpc(slot),
                ..
            } => u64::from(self.flights[slot].bytes),
            Event::Arrive {
                what: Landing::Forward { msg, .. },
                ..
            }
            | Event::Deliver {
                what: Payload::Forward { msg, .. },
                ..
            } => cx.forward_bytes(msg),
            Event::Arrive {
                what: Landing::Waku(rpc),
                ..
            }
            | Event::Deliver {
                what: Payload::Light(rpc),
                ..
            } => cx.waku_bytes(rpc),
            _ => 0,
        }
    }

    /// t = 0: what connecting and joining made each relay send; each light client
    /// subscribes at its services; Waku timers are set (one per node).
    pub(super) fn start(&mut self, cx: &Ctx<'_>) {
        for v in 0..self.stacks.len() {
            self.stacks.node(v).handle_start();
            self.queue_timer(v as u32, Timer::Waku);
            self.drain(v as u32, SimTime::ZERO, cx);
        }
    }

    /// A Waku RPC has fully arrived at `to`: counted, then handed to its stack.
    pub(super) fn waku_deliver(
        &mut self,
        now: SimTime,
        to: u32,
        from: PeerId,
        rpc: LightRpc,
        cx: &Ctx<'_>,
    ) {
        self.count_waku(to, Direction::In, rpc, now, cx);
        let what = Incoming::Waku { from, rpc };
        self.stacks
            .node(to as usize)
            .handle_payload(now, what, cx.node());
        self.drain(to, now, cx);
    }

    /// Carries out everything local node `p` wants done now. One place sends a relay's
    /// transmits (so that it is inlined here, on the hot path); the rest goes to `carry_out`.
    pub(super) fn drain(&mut self, p: u32, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        let mut row_loaded = false;
        loop {
            let t = match self.stacks.poll_transmit(v) {
                Some(t) => t,
                None => match self.stacks.node(v).poll(now, cx.node()) {
                    None => break,
                    Some(NodeOut::Transmit(t)) => t,
                    Some(out) => {
                        self.carry_out(p, out, now, cx);
                        continue;
                    }
                },
            };
            if !row_loaded {
                // A node that sends at all usually sends to several neighbours: load its
                // whole row of the slot table at once rather than a miss per send.
                row_loaded = true;
                self.conns.prefetch_row(v);
            }
            self.send(p, t, now, cx);
        }
    }

    /// Carries out `out`, an output of local node `p` other than a relay transmit.
    fn carry_out(&mut self, p: u32, out: NodeOut, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        match out {
            NodeOut::Transmit(_) => unreachable!("`drain` sends the relay's transmits"),
            NodeOut::Send { to, rpc } => self.waku_send(p, to, rpc, now, cx),
            NodeOut::Received { msg, hops } => self.first_copy(v, msg, hops, now, cx),
            NodeOut::Duplicate { msg } => {
                self.tally[v].duplicates += 1;
                self.delivery.on_duplicate(msg);
            }
            NodeOut::Validate { msg } => {
                if cx.sc.validation_delay == SimTime::ZERO {
                    self.stacks.node(v).handle_validated(now, msg, cx.node());
                } else {
                    self.queue.push(
                        now + cx.sc.validation_delay,
                        key(self.nodes[v], RANK_VALIDATED, u64::from(msg.0)),
                        Event::Validated { peer: p, msg },
                    );
                }
            }
        }
    }

    /// Local node `v`'s first copy of `msg`, `hops` from its publisher (by relay, a
    /// filter push, or a client's lightpush).
    fn first_copy(&mut self, v: usize, msg: MsgIdx, hops: u16, now: SimTime, cx: &Ctx<'_>) {
        let meta = cx.msgs.get(msg);
        // A copy back at its publisher, or at a receiver that had it before its seen entry
        // expired, is not another delivery: it is counted as the duplicate it is.
        if meta.publisher == self.nodes[v] || !self.receipts.first(msg, v) {
            self.tally[v].duplicates += 1;
            self.delivery.on_duplicate(msg);
            return;
        }
        self.tally[v].received += 1;
        let lat = now.saturating_sub(meta.published_at);
        let group = self
            .delivery
            .group(meta.topic.idx(), usize::from(self.class[v]));
        let measured = cx.measuring(meta.published_at);
        self.delivery
            .on_first_arrival(msg, lat, hops, measured, group);
    }

    /// Puts Waku RPC `rpc` from local node `p` to `to` on the network over their service
    /// or store link; a store's answers are counted as its load while measuring.
    fn waku_send(&mut self, p: u32, to: PeerId, rpc: LightRpc, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        let measuring = cx.measuring(now);
        if let LightRpc::StoreResponse { count, .. } = rpc {
            if measuring {
                let s = &mut self.waku.served[v];
                s.0 += 1;
                s.1 += u64::from(count);
            }
        }
        let bytes = self.count_waku(p, Direction::Out, rpc, now, cx);
        let latency = self.waku.latency(v, to);
        self.transmit(v, (to, latency), bytes, Payload::Light(rpc), now, cx);
    }

    /// Counts Waku RPC `rpc`, sent or received by local node `p`; returns its bytes.
    fn count_waku(
        &mut self,
        p: u32,
        dir: Direction,
        rpc: LightRpc,
        now: SimTime,
        cx: &Ctx<'_>,
    ) -> u64 {
        let (size, overhead) = cx.waku_size(rpc);
        let item = [(Counted::Waku(&rpc), size)];
        let measuring = cx.measuring(now);
        self.acct
            .on_wire(PeerId(p), dir, item, overhead, measuring, cx.msgs)
    }

    /// Local node `v`'s store: messages archived, (pages answered, hashes sent) while
    /// measuring. `None` for a node that stores nothing.
    pub(super) fn store_load(&self, v: usize) -> Option<(u64, (u64, u64))> {
        let archived = self.stacks.waku(v)?.archived_total()?;
        Some((archived as u64, self.waku.served[v]))
    }
}
