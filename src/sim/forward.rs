//! A forwarded message alone in its RPC (the bulk of a run's transmissions: each node
//! forwards each message to its mesh) travels inline in its events, with no slot in the RPC
//! slab: its size follows from the message, its one part from the message and its hops.
//! That spares each copy the slab line it would fill at the send and read at its arrival and
//! delivery, and the copying of its parts. A speed path only: with shortcuts off
//! (`--no-shortcuts`) every RPC takes the slab, and a test requires identical result files
//! both ways. Counting, settling and delivering do here for one part what `partition` and
//! `shortcuts` do for a slot.

use super::flight::Payload;
use super::partition::{Ctx, Partition};
use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::metrics::{Counted, Direction};
use crate::protocol::gossipsub::rpc::one_message_size;
use crate::protocol::gossipsub::{PayloadKind, RpcPart, Transmit, WireCtx};
use crate::protocol::node::Incoming;

/// The one part of a forward of `msg`, `hops` from its publisher.
#[inline]
pub(super) fn part(msg: MsgIdx, hops: u16) -> RpcPart {
    RpcPart::Message {
        msg,
        kind: PayloadKind::Forwarded,
        hops,
    }
}

impl Ctx<'_> {
    /// Bytes of a forward of `msg` on the wire: its RPC's, and the transport's below it.
    pub(super) fn forward_size(&self, msg: MsgIdx) -> (u32, u32) {
        let ctx = WireCtx {
            topic_len: self.topic_len,
            msgs: self.msgs,
        };
        let size = one_message_size(&ctx, msg);
        (size, self.sc.transport.overhead(size))
    }

    /// All the bytes of a forward of `msg` on the wire.
    pub(super) fn forward_bytes(&self, msg: MsgIdx) -> u64 {
        let (size, overhead) = self.forward_size(msg);
        u64::from(size.saturating_add(overhead))
    }
}

impl Partition {
    /// [`Ctx::forward_size`], worked out once per message: each message is forwarded about
    /// once per node and its copies are sized three times each (sent, arrived, counted in).
    #[inline]
    pub(super) fn forward_size(&mut self, msg: MsgIdx, cx: &Ctx<'_>) -> (u32, u32) {
        // No RPC is 0 bytes: 0 marks a size not worked out yet.
        match self.forward_sizes.get(msg.idx()) {
            Some(&s) if s.0 != 0 => s,
            _ => self.size_forward(msg, cx),
        }
    }

    #[cold]
    fn size_forward(&mut self, msg: MsgIdx, cx: &Ctx<'_>) -> (u32, u32) {
        if self.forward_sizes.len() <= msg.idx() {
            self.forward_sizes
                .resize(cx.msgs.len().max(msg.idx() + 1), (0, 0));
        }
        let s = cx.forward_size(msg);
        self.forward_sizes[msg.idx()] = s;
        s
    }

    /// All the bytes of a forward of `msg` on the wire.
    #[inline]
    pub(super) fn forward_bytes(&mut self, msg: MsgIdx, cx: &Ctx<'_>) -> u64 {
        let (size, overhead) = self.forward_size(msg, cx);
        u64::from(size.saturating_add(overhead))
    }

    /// Sends transmit `t` of local peer `p` inline if it is a forward of one message, with
    /// shortcuts on and its sender's slot at the receiver small enough for the event;
    /// returns whether it did.
    #[inline]
    pub(super) fn send_forward(
        &mut self,
        p: u32,
        t: &Transmit,
        now: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        let v = p as usize;
        let parts = self
            .stacks
            .relay(v)
            .expect("a transmit comes from a relay")
            .transmit_parts(t);
        let (
            true,
            &[RpcPart::Message {
                msg,
                kind: PayloadKind::Forwarded,
                hops,
            }],
        ) = (self.shortcuts, parts)
        else {
            return false;
        };
        let conn = self.conns.at(v, t.slot);
        let Ok(from_slot) = u16::try_from(self.conns.rev[conn]) else {
            return false;
        };
        let (size, overhead) = self.forward_size(msg, cx);
        let sent = (Counted::Part(&part(msg, hops), false), size);
        let measuring = cx.measuring(now);
        self.acct.on_wire_one(
            PeerId(p),
            Direction::Out,
            sent,
            overhead,
            measuring,
            cx.msgs,
        );
        let bytes = u64::from(size.saturating_add(overhead));
        let latency = self.conns.lat[conn];
        let what = Payload::Forward {
            hops,
            from_slot,
            msg,
        };
        self.transmit(v, (t.to, latency), bytes, what, now, cx);
        true
    }

    /// A forward from `from` has reached `to`'s downlink at `now`, its last byte at `last`:
    /// the downlink booked, then settled now if it can be, else its delivery queued.
    #[inline]
    pub(super) fn arrive_forward(
        &mut self,
        now: SimTime,
        (to, from): (u32, PeerId),
        (hops, from_slot, msg): (u16, u16, MsgIdx),
        last: SimTime,
        cx: &Ctx<'_>,
    ) {
        let bytes = self.forward_bytes(msg, cx);
        let done = self.ifs.receive(now, to as usize, bytes, last);
        if !self.settle_forward(to, (msg, hops), done, cx) {
            let what = Payload::Forward {
                hops,
                from_slot,
                msg,
            };
            self.push_deliver(done, to, from, what);
        }
    }

    /// A forward has reached `to`'s downlink (its last byte there at `done`): settled now
    /// if `to` has seen its message and will still have at `done` (see
    /// `shortcuts::settle_duplicates_on_arrival`); returns whether it was.
    #[inline]
    fn settle_forward(
        &mut self,
        to: u32,
        (msg, hops): (MsgIdx, u16),
        done: SimTime,
        cx: &Ctx<'_>,
    ) -> bool {
        let known = done <= cx.sc.end()
            && self
                .stacks
                .relay(to as usize)
                .expect("gossipsub RPCs reach relays only")
                .known_duplicate(msg, done, cx.msgs);
        if known {
            self.count_forward_in(to, msg, hops, true, done, cx);
        }
        known
    }

    /// Counts a forward of `msg` as received by `to` at `now`, a duplicate if `dup`.
    fn count_forward_in(
        &mut self,
        to: u32,
        msg: MsgIdx,
        hops: u16,
        dup: bool,
        now: SimTime,
        cx: &Ctx<'_>,
    ) {
        if dup {
            self.tally[to as usize].duplicates += 1;
            self.delivery.on_duplicate(msg);
        }
        let (size, overhead) = self.forward_size(msg, cx);
        let got = (Counted::Part(&part(msg, hops), dup), size);
        let measuring = cx.measuring(now);
        self.acct
            .on_wire_one(PeerId(to), Direction::In, got, overhead, measuring, cx.msgs);
    }

    /// A forward of `msg` from `from` (at `from_slot` among `to`'s neighbours) has fully
    /// arrived at `to`: counted, then handed to its stack.
    pub(super) fn deliver_forward(
        &mut self,
        now: SimTime,
        to: u32,
        from: PeerId,
        (hops, from_slot, msg): (u16, u16, MsgIdx),
        cx: &Ctx<'_>,
    ) {
        let v = to as usize;
        let dup = self
            .stacks
            .relay_mut(v)
            .expect("gossipsub RPCs reach relays only")
            .is_duplicate(now, msg);
        self.count_forward_in(to, msg, hops, dup, now, cx);
        let from_slot = u32::from(from_slot);
        debug_assert_eq!(
            self.stacks.relay(v).map(|p| p.neighbour(from_slot)),
            Some(from)
        );
        let parts = [part(msg, hops)];
        let what = Incoming::Relay {
            from_slot,
            parts: &parts,
        };
        self.stacks.node(v).handle_payload(now, what, cx.node());
        self.drain(to, now, cx);
    }
}
