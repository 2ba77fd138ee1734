//! A node's protocol stack, sans-IO: the relay ([`Peer`]) where its class relays, and its
//! Waku machines ([`WakuNode`]) where it runs any, behind one surface the engine drives
//! ([`Node`], lent by [`Stacks`]): `handle_start`, `handle_publish`, `handle_payload`,
//! `handle_validated`, `handle_timeout`, `poll_timeout`, `poll`, `poll_transmit`. It owns
//! the glue between the two: a message its relay accepts goes to its service and store, a
//! client's lightpush is published on its relay, and what each machine wants done comes
//! out in one order (see [`Node::poll`]). The engine owns the wire, the clock and what the
//! outputs are counted as.

use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::message::MessageTable;
use crate::protocol::gossipsub::{Peer, PeerEvent, RpcPart, Transmit};
use crate::protocol::waku::{LightRpc, WakuNode, WakuOut};

/// What a node's stack reads and nobody writes: the messages, and whether light clients
/// follow each traffic class (a service pushes only those: a class addressed to relays
/// alone has no content topic a light client subscribes to).
#[derive(Clone, Copy)]
pub struct NodeCtx<'a> {
    pub msgs: &'a MessageTable,
    pub to_light: &'a [bool],
}

/// A transmission delivered to a node: a gossipsub RPC from the neighbour in `from_slot`
/// (its parts), or a Waku RPC from `from`.
#[derive(Clone, Copy, Debug)]
pub enum Incoming<'a> {
    Relay {
        from_slot: u32,
        parts: &'a [RpcPart],
    },
    Waku {
        from: PeerId,
        rpc: LightRpc,
    },
}

/// A node's timers: its relay's heartbeat, its Waku machines' (a light client's pings, a
/// store client's checks). Two timers, so that each keeps its own event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Heartbeat,
    Waku,
}

/// What a node wants done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeOut {
    /// Its relay sends an RPC (its parts: the relay's `Peer::transmit_parts`, valid until
    /// its next input).
    Transmit(Transmit),
    /// A Waku machine sends `rpc` to `to` over a service or store link.
    Send { to: PeerId, rpc: LightRpc },
    /// Its first copy of `msg`, `hops` from its publisher (by relay, a filter push, or a
    /// client's lightpush to its service).
    Received { msg: MsgIdx, hops: u16 },
    /// A light client's copy of a message it already had.
    Duplicate { msg: MsgIdx },
    /// Its relay wants `msg` validated: answer with [`Node::handle_validated`].
    Validate { msg: MsgIdx },
}

/// What is left to do for the input a node is handling, newest on top: each input pushes
/// what it started, and whatever it starts is done before what was pending (the order in
/// which a host that carries out each output at once, recursively, would do it). Empty
/// again once `poll` has returned `None`, so [`Stacks`] keeps one for all its nodes.
#[derive(Debug, Default)]
struct Agenda(Vec<Step>);

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Carry out what the relay wants (its transmits, then its events), until it wants
    /// nothing.
    Relay,
    /// Hand `msg`, `hops` from its publisher, which the relay now has, to the Waku side.
    Serve { msg: MsgIdx, hops: u16 },
    /// Carry out what the Waku machines want, until they want nothing.
    Waku,
}

/// The stacks of a host's nodes, by index, and the one agenda of the input being handled.
/// [`Stacks::node`] lends a node its agenda.
pub struct Stacks {
    slots: Vec<Slot>,
    agenda: Agenda,
}

/// One node's machines: its Waku side behind a pointer (`None` for a relay that serves,
/// stores and asks nothing), then its relay inline (`None` for a light node: it holds no
/// gossipsub peer). Laid out in that order, so that whether it has a Waku side (asked of
/// every message its relay accepts) is on the line before the relay's hot lines, and loaded
/// with them (see [`Stacks::prefetch`]).
#[repr(C)]
struct Slot {
    waku: Option<Box<WakuNode>>,
    relay: Option<Peer>,
}

impl Stacks {
    /// Each node's relay and Waku machines, in index order.
    pub fn new(nodes: impl IntoIterator<Item = (Option<Peer>, Option<WakuNode>)>) -> Self {
        let slots = nodes
            .into_iter()
            .map(|(relay, w)| Slot {
                waku: w.map(Box::new),
                relay,
            })
            .collect();
        Stacks {
            slots,
            agenda: Agenda::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Node `v`'s stack, to drive.
    #[inline]
    pub fn node(&mut self, v: usize) -> Node<'_> {
        Node {
            slot: &mut self.slots[v],
            agenda: &mut self.agenda,
        }
    }

    /// Node `v`'s next relay transmit: [`Node::poll_transmit`] (the host's hot path).
    #[inline]
    pub fn poll_transmit(&mut self, v: usize) -> Option<Transmit> {
        self.node(v).poll_transmit()
    }

    /// Node `v`'s relay (`None`: a light node).
    #[inline]
    pub fn relay(&self, v: usize) -> Option<&Peer> {
        self.slots[v].relay.as_ref()
    }

    #[inline]
    pub fn relay_mut(&mut self, v: usize) -> Option<&mut Peer> {
        self.slots[v].relay.as_mut()
    }

    /// Node `v`'s Waku machines, if it runs any.
    pub fn waku(&self, v: usize) -> Option<&WakuNode> {
        self.slots[v].waku.as_deref()
    }

    /// Hints the CPU to load node `v`'s hot lines, without reading them: the line of its
    /// Waku pointer and its relay's `Peer::HOT_LINES`.
    #[inline]
    pub fn prefetch(&self, v: usize) {
        crate::prefetch::prefetch_lines(&self.slots[v], Peer::HOT_LINES + 1);
    }
}

/// One node's protocol stack: its machines, and the agenda it is lent.
pub struct Node<'a> {
    slot: &'a mut Slot,
    agenda: &'a mut Agenda,
}

impl Node<'_> {
    /// The relay of a node an RPC was sent to (only relays have neighbours).
    #[inline]
    fn peer(&mut self) -> &mut Peer {
        self.slot
            .relay
            .as_mut()
            .expect("gossipsub reaches relays only")
    }

    /// At start: what connecting and joining made its relay send, and a light client's
    /// subscriptions at its services.
    pub fn handle_start(&mut self) {
        if let Some(w) = &mut self.slot.waku {
            w.handle_start();
            self.agenda.0.push(Step::Waku);
        }
        if self.slot.relay.is_some() {
            self.agenda.0.push(Step::Relay);
        }
    }

    /// Its application publishes `msg`: by lightpush where it follows the topic as a light
    /// client, else on its relay (then its service and store have it too).
    pub fn handle_publish(&mut self, now: SimTime, msg: MsgIdx, cx: NodeCtx<'_>) {
        let topic = cx.msgs.get(msg).topic;
        if let Some(w) = self.slot.waku.as_mut().filter(|w| w.follows(topic)) {
            w.handle_publish(now, msg);
            self.agenda.0.push(Step::Waku);
            return;
        }
        self.peer().handle_publish(now, msg, cx.msgs);
        self.push_serve(msg, 0);
        self.agenda.0.push(Step::Relay);
    }

    /// A transmission has fully arrived.
    #[inline]
    pub fn handle_payload(&mut self, now: SimTime, what: Incoming<'_>, cx: NodeCtx<'_>) {
        match what {
            Incoming::Relay { from_slot, parts } => {
                self.peer()
                    .handle_rpc_from_slot(now, from_slot, parts, cx.msgs);
                self.agenda.0.push(Step::Relay);
            }
            Incoming::Waku { from, rpc } => {
                let w = self
                    .slot
                    .waku
                    .as_mut()
                    .expect("Waku RPCs go over service links");
                w.handle_rpc(now, from, rpc);
                self.agenda.0.push(Step::Waku);
            }
        }
    }

    /// Its application finished validating `msg`: the relay forwards it if it still
    /// waits for it, and its service and store have it first.
    #[inline]
    pub fn handle_validated(&mut self, now: SimTime, msg: MsgIdx, cx: NodeCtx<'_>) {
        let hops = self.peer().handle_validated(now, msg, cx.msgs);
        // Within a relay step (a verdict given at once) the relay is being drained already.
        if !matches!(self.agenda.0.last(), Some(Step::Relay)) {
            self.agenda.0.push(Step::Relay);
        }
        if let Some(hops) = hops {
            self.push_serve(msg, hops);
        }
    }

    /// When `timer` next wants [`Node::handle_timeout`] (`SimTime::MAX`: never).
    pub fn poll_timeout(&self, timer: Timer) -> SimTime {
        match timer {
            Timer::Heartbeat => self
                .slot
                .relay
                .as_ref()
                .map_or(SimTime::MAX, Peer::poll_timeout),
            Timer::Waku => self
                .slot
                .waku
                .as_ref()
                .map_or(SimTime::MAX, |w| w.poll_timeout()),
        }
    }

    pub fn handle_timeout(&mut self, now: SimTime, timer: Timer, cx: NodeCtx<'_>) {
        match timer {
            Timer::Heartbeat => {
                self.peer().handle_heartbeat(now, cx.msgs);
                self.agenda.0.push(Step::Relay);
            }
            Timer::Waku => {
                if let Some(w) = &mut self.slot.waku {
                    w.handle_timeout(now);
                    self.agenda.0.push(Step::Waku);
                }
            }
        }
    }

    /// The relay's next transmit, while carrying out what the relay wants is what is due
    /// (the fast path of [`Node::poll`], which returns the same transmits where a host
    /// calls only it).
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        match self.agenda.0.last() {
            Some(Step::Relay) => self.slot.relay.as_mut()?.poll_transmit(),
            _ => None,
        }
    }

    /// The next thing it wants done, `None` once it wants nothing. Whatever an input
    /// started comes out before what was pending, and each machine's outputs in its own
    /// order: a relay's transmits before its events, then each message it has passed to its
    /// service and store; a lightpush published on the relay is first carried out there
    /// (its transmits), then served to the light clients.
    #[inline]
    pub fn poll(&mut self, now: SimTime, cx: NodeCtx<'_>) -> Option<NodeOut> {
        while let Some(&step) = self.agenda.0.last() {
            match step {
                Step::Relay => {
                    let peer = self.peer();
                    if let Some(t) = peer.poll_transmit() {
                        return Some(NodeOut::Transmit(t));
                    }
                    match peer.poll_event() {
                        Some(PeerEvent::Received { msg, hops, .. }) => {
                            return Some(NodeOut::Received { msg, hops })
                        }
                        Some(PeerEvent::Validate { msg }) => {
                            return Some(NodeOut::Validate { msg })
                        }
                        None => {
                            self.agenda.0.pop();
                        }
                    }
                }
                Step::Serve { msg, hops } => {
                    self.agenda.0.pop();
                    self.serve(now, msg, hops, cx);
                }
                Step::Waku => {
                    if let Some(out) = self.poll_waku(now, cx) {
                        return Some(out);
                    }
                }
            }
        }
        None
    }

    /// Queues serving `msg` to its Waku side, if it has one.
    #[inline]
    fn push_serve(&mut self, msg: MsgIdx, hops: u16) {
        if self.slot.waku.is_some() {
            self.agenda.0.push(Step::Serve { msg, hops });
        }
    }

    /// Its relay has `msg`, `hops` from its publisher: a store archives it, a service
    /// pushes it to its clients on the topic (not a class addressed to relays only).
    fn serve(&mut self, now: SimTime, msg: MsgIdx, hops: u16, cx: NodeCtx<'_>) {
        let Some(w) = &mut self.slot.waku else {
            return;
        };
        let meta = cx.msgs.get(msg);
        let to_light = cx.to_light[meta.class.idx()];
        if w.handle_message(now, msg, meta.topic, meta.published_at, hops, to_light) {
            self.agenda.0.push(Step::Waku);
        }
    }

    /// The Waku side's next output, the service's lightpushes done here: a client's
    /// message its relay has not seen is published there (a copy it already has is not
    /// published again, as gossipsub drops an already-seen publication, nor pushed twice).
    /// Pops the step once the machines want nothing.
    fn poll_waku(&mut self, now: SimTime, cx: NodeCtx<'_>) -> Option<NodeOut> {
        let w = self
            .slot
            .waku
            .as_mut()
            .expect("a Waku step has a Waku side");
        loop {
            match w.poll() {
                Some(WakuOut::Send { to, rpc }) => return Some(NodeOut::Send { to, rpc }),
                Some(WakuOut::Received { msg, hops }) => {
                    return Some(NodeOut::Received { msg, hops })
                }
                Some(WakuOut::Duplicate { msg }) => return Some(NodeOut::Duplicate { msg }),
                Some(WakuOut::Relay { msg }) => {
                    let Some(peer) = self.slot.relay.as_mut().filter(|p| !p.has_seen(msg)) else {
                        continue;
                    };
                    peer.handle_publish(now, msg, cx.msgs);
                    self.agenda.0.push(Step::Serve { msg, hops: 0 });
                    self.agenda.0.push(Step::Relay);
                    // The service has the message now: its first copy, from its client.
                    return Some(NodeOut::Received { msg, hops: 1 });
                }
                None => {
                    self.agenda.0.pop();
                    return None;
                }
            }
        }
    }
}
