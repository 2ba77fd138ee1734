//! One partition of a run and its event loop: its nodes' stacks, their interfaces and
//! connections, the events addressed to them, and what they counted. Feeds each event to
//! its node's stack; what the stack wants done is carried out by `drive`. The one wire path
//! is here: a transmission, whatever it carries, is sent, arrives and is delivered by the
//! same functions. Protocol decisions belong to the stacks (`protocol::node`), byte
//! arithmetic to `rpc`, `wire` and `net`, counting to `metrics`; what may be settled on
//! arrival without a delivery event lives in `shortcuts`, the inline path of a forward of one
//! message in `forward`, cache hints in `prefetch`.

use super::carries::Carries;
use super::conns::SlotTable;
use super::event::{key, Event, Landing, RANK_ARRIVE, RANK_DELIVER, RANK_HEARTBEAT};
use super::flight::{Carried, Flights, Outgoing, Payload};
use super::waku::WakuLinks;
use crate::engine::{EventQueue, WheelQueue};
use crate::ids::{MsgIdx, PeerId, SimTime};
use crate::message::MessageTable;
use crate::metrics::{Accounting, Counted, Delivery, Direction, Receipts};
use crate::net::{lost, Interfaces};
use crate::protocol::gossipsub::rpc::rpc_size_fast;
use crate::protocol::gossipsub::{Peer, RpcPart, Transmit, WireCtx};
use crate::protocol::node::{Incoming, NodeCtx, Stacks, Timer};
use crate::protocol::waku::wire::{self, LightCtx};
use crate::protocol::waku::LightRpc;
use crate::scenario::Scenario;

/// What every partition reads and nobody writes during a window.
pub(super) struct Ctx<'a> {
    pub sc: &'a Scenario,
    pub msgs: &'a MessageTable,
    pub topic_len: &'a [u32],
    /// By traffic class: whether light clients follow it.
    pub to_light: &'a [bool],
    /// Partition of each node, and its index there.
    pub part: &'a [u16],
    pub local: &'a [u32],
}

impl<'a> Ctx<'a> {
    /// The context of a window: the run's scenario and layout, and its message table as it
    /// stands (the one thing that grows between windows).
    pub fn new(sc: &'a Scenario, layout: &'a Layout, msgs: &'a MessageTable) -> Self {
        Ctx {
            sc,
            msgs,
            topic_len: &layout.topic_len,
            to_light: &layout.to_light,
            part: &layout.part,
            local: &layout.local,
        }
    }

    #[inline]
    pub fn measuring(&self, t: SimTime) -> bool {
        self.sc.measuring(t)
    }

    /// What a node's stack reads.
    #[inline]
    pub fn node(&self) -> NodeCtx<'a> {
        NodeCtx {
            msgs: self.msgs,
            to_light: self.to_light,
        }
    }

    /// Bytes of Waku RPC `rpc` on the wire, and the transport's below it.
    pub fn waku_size(&self, rpc: LightRpc) -> (u32, u32) {
        let lx = LightCtx {
            topic_len: self.topic_len,
            msgs: self.msgs,
            content_topic_len: self.sc.wire.content_topic_len,
            content_topics: &self.sc.content_topics,
        };
        let size = wire::size(rpc, &lx);
        (size, self.sc.transport.overhead(size))
    }

    /// All the bytes of Waku RPC `rpc` on the wire, the transport's included.
    pub fn waku_bytes(&self, rpc: LightRpc) -> u64 {
        let (size, overhead) = self.waku_size(rpc);
        u64::from(size) + u64::from(overhead)
    }
}

/// The run's fixed tables, built once with it: each topic's name length, whether light
/// clients follow each traffic class, each node's partition and its index there.
pub(super) struct Layout {
    pub topic_len: Vec<u32>,
    pub to_light: Vec<bool>,
    pub part: Vec<u16>,
    pub local: Vec<u32>,
}

/// A peer's counts.
#[derive(Clone, Copy, Default)]
pub(super) struct Tally {
    /// Transmissions (the loss draw's counter).
    pub sent: u64,
    /// First copies and duplicates received.
    pub received: u64,
    pub duplicates: u64,
}

/// One partition of a run: its nodes (local index → `nodes`) and their stacks, their
/// interfaces, the events addressed to them, and what they counted.
pub(super) struct Partition {
    pub id: u16,
    pub nodes: Vec<PeerId>,
    pub stacks: Stacks,
    pub conns: SlotTable,
    pub ifs: Interfaces,
    /// Per local peer, what it sent and received (one cache line for the three).
    pub tally: Vec<Tally>,
    pub queue: WheelQueue<Event>,
    pub flights: Flights,
    /// Transmissions to other partitions, by receiving partition.
    pub outbox: Vec<Vec<Outgoing>>,
    pub acct: Accounting,
    pub delivery: Delivery,
    /// Which local nodes had each message (a delivery counts once per receiver).
    pub receipts: Receipts,
    /// Each local node's class (its deliveries' group).
    pub class: Vec<u16>,
    /// Its nodes' service and store links, and what their stores served.
    pub waku: WakuLinks,
    pub events: u64,
    /// Whether arrivals may be settled without a delivery event (see `shortcuts`).
    pub shortcuts: bool,
    scratch_shares: Vec<u32>,
    /// By message: a forward's bytes, RPC and transport (see `forward`).
    pub forward_sizes: Vec<(u32, u32)>,
}

impl Partition {
    /// A partition of `nodes`, with their stacks and connections, in a run of `partitions`;
    /// shortcuts on. Nothing is queued until `queue_heartbeats`.
    pub fn new(
        id: u16,
        nodes: Vec<PeerId>,
        stacks: Stacks,
        conns: SlotTable,
        ifs: Interfaces,
        acct: Accounting,
        partitions: usize,
    ) -> Self {
        Partition {
            id,
            tally: vec![Tally::default(); nodes.len()],
            nodes,
            stacks,
            conns,
            ifs,
            queue: WheelQueue::default(),
            flights: Flights::default(),
            outbox: (0..partitions).map(|_| Vec::new()).collect(),
            acct,
            delivery: Delivery::new(0, 0),
            receipts: Receipts::new(0),
            class: Vec::new(),
            waku: WakuLinks::default(),
            events: 0,
            shortcuts: true,
            scratch_shares: Vec::new(),
            forward_sizes: Vec::new(),
        }
    }

    /// Counts deliveries by topic and by the class of the receiver: `class`, each local
    /// node's class (of `classes`), among `topics` topics. A partition must be given them
    /// before it runs.
    pub fn with_classes(mut self, class: Vec<u16>, topics: usize, classes: usize) -> Self {
        debug_assert_eq!(class.len(), self.nodes.len());
        self.class = class;
        self.delivery = Delivery::new(topics, classes);
        self.receipts = Receipts::new(self.nodes.len());
        self
    }

    /// Its nodes' service and store links.
    pub fn with_waku(mut self, waku: WakuLinks) -> Self {
        self.waku = waku;
        self
    }

    /// Queues every relay's first heartbeat (a light node has none: its Waku timer is
    /// queued when it starts).
    pub fn queue_heartbeats(&mut self) {
        for i in 0..self.stacks.len() {
            self.queue_timer(i as u32, Timer::Heartbeat);
        }
    }

    /// Queues local node `p`'s next `timer`, if it wants one: a heartbeat at the heartbeat
    /// rank, a Waku timer after it.
    pub(super) fn queue_timer(&mut self, p: u32, timer: Timer) {
        let v = p as usize;
        let at = self.stacks.node(v).poll_timeout(timer);
        if at == SimTime::MAX {
            return;
        }
        let (disc, ev) = match timer {
            Timer::Heartbeat => (0, Event::Heartbeat(p)),
            Timer::Waku => (1, Event::LightTimer(p)),
        };
        self.queue
            .push(at, key(self.nodes[v], RANK_HEARTBEAT, disc), ev);
    }

    /// With `on` false, every RPC takes the plain path: an arrival, then a delivery.
    pub fn with_shortcuts(mut self, on: bool) -> Self {
        self.shortcuts = on;
        self
    }

    /// Takes a transmission from another partition.
    pub fn accept(&mut self, o: Outgoing, local: &[u32]) {
        let payload = match o.what {
            Carried::Rpc(flight) => Payload::Rpc(self.flights.put(flight)),
            Carried::Forward {
                hops,
                from_slot,
                msg,
            } => Payload::Forward {
                hops,
                from_slot,
                msg,
            },
            Carried::Light(rpc) => Payload::Light(rpc),
        };
        self.push_arrive(o.to, o.from, payload, o.first, o.last, local);
    }

    /// Queues the arrival at `to` (a peer of this partition) of `payload`: its first byte at
    /// `first`, its last at `last`.
    #[allow(
        clippy::inline_always,
        reason = "on the hot path of every send; left to itself LLVM outlines it once it has two callers"
    )]
    #[inline(always)]
    fn push_arrive(
        &mut self,
        to: PeerId,
        from: PeerId,
        payload: Payload,
        first: SimTime,
        last: SimTime,
        local: &[u32],
    ) {
        let k = key(to, RANK_ARRIVE, u64::from(from.0));
        let to = local[to.idx()];
        let (carries, what) = match payload {
            Payload::Rpc(slot) => {
                let f = &self.flights[slot];
                let carries = Carries::of(&f.parts, self.shortcuts);
                (
                    carries,
                    Landing::Rpc {
                        slot,
                        bytes: f.bytes,
                    },
                )
            }
            // Only ever sent with shortcuts on.
            Payload::Forward {
                hops,
                from_slot,
                msg,
            } => (
                Carries::Messages,
                Landing::Forward {
                    hops,
                    from_slot,
                    msg,
                },
            ),
            Payload::Light(rpc) => (Carries::Other, Landing::Waku(rpc)),
        };
        let ev = Event::Arrive {
            carries,
            to,
            from,
            what,
            last,
        };
        self.queue.push(first, k, ev);
    }

    /// Puts `bytes` of `payload` from local node `v` on the link to `to` (its one-way
    /// latency beside it): booked on `v`'s uplink, then lost, queued for its arrival here, or
    /// posted to its receiver's partition. The one way onto the network, whatever the
    /// payload.
    #[inline]
    pub(super) fn transmit(
        &mut self,
        v: usize,
        (to, latency): (PeerId, SimTime),
        bytes: u64,
        payload: Payload,
        now: SimTime,
        cx: &Ctx<'_>,
    ) {
        let from = self.nodes[v];
        let (first, last) = self.ifs.send(now, v, latency, bytes);
        let count = self.tally[v].sent;
        self.tally[v].sent += 1;
        if lost(cx.sc.loss, cx.sc.seed, from, count) {
            self.acct.dropped_total += bytes;
            if let Payload::Rpc(slot) = payload {
                self.flights.release(slot);
            }
            return;
        }
        let dest = cx.part[to.idx()];
        if dest == self.id {
            self.push_arrive(to, from, payload, first, last, cx.local);
        } else {
            let what = match payload {
                Payload::Rpc(slot) => Carried::Rpc(self.flights.take(slot)),
                Payload::Forward {
                    hops,
                    from_slot,
                    msg,
                } => Carried::Forward {
                    hops,
                    from_slot,
                    msg,
                },
                Payload::Light(rpc) => Carried::Light(rpc),
            };
            self.outbox[usize::from(dest)].push(Outgoing {
                first,
                last,
                to,
                from,
                what,
            });
        }
    }

    /// Steps every event before `until`.
    pub fn run_window(&mut self, until: SimTime, cx: &Ctx<'_>) {
        while let Some((t, ev)) = self.queue.pop_before(until) {
            self.prefetch_next();
            self.events += 1;
            match ev {
                Event::Heartbeat(p) => {
                    self.before_input(&ev);
                    self.heartbeat(p, t, cx);
                }
                Event::Arrive {
                    carries,
                    to,
                    from,
                    what: Landing::Rpc { slot, bytes },
                    last,
                } => {
                    let done = self.ifs.receive(t, to as usize, u64::from(bytes), last);
                    if self.settle_on_arrival(to, slot, carries, done, cx) {
                        continue;
                    }
                    self.push_deliver(done, to, from, Payload::Rpc(slot));
                }
                Event::Arrive {
                    to,
                    from,
                    what:
                        Landing::Forward {
                            hops,
                            from_slot,
                            msg,
                        },
                    last,
                    ..
                } => self.arrive_forward(t, (to, from), (hops, from_slot, msg), last, cx),
                Event::Arrive {
                    to,
                    from,
                    what: Landing::Waku(rpc),
                    last,
                    ..
                } => {
                    let done = self.ifs.receive(t, to as usize, cx.waku_bytes(rpc), last);
                    self.push_deliver(done, to, from, Payload::Light(rpc));
                }
                Event::Deliver { to, from, what } => {
                    self.before_input(&ev);
                    match what {
                        Payload::Rpc(slot) => self.deliver(t, to, from, slot, cx),
                        Payload::Forward {
                            hops,
                            from_slot,
                            msg,
                        } => self.deliver_forward(t, to, from, (hops, from_slot, msg), cx),
                        Payload::Light(rpc) => self.waku_deliver(t, to, from, rpc, cx),
                    }
                }
                Event::Validated { peer, msg } => {
                    self.before_input(&ev);
                    self.stacks
                        .node(peer as usize)
                        .handle_validated(t, msg, cx.node());
                    self.drain(peer, t, cx);
                }
                Event::Publish { peer, msg } => {
                    self.before_input(&ev);
                    self.stacks
                        .node(peer as usize)
                        .handle_publish(t, msg, cx.node());
                    self.drain(peer, t, cx);
                }
                Event::LightTimer(p) => {
                    self.stacks
                        .node(p as usize)
                        .handle_timeout(t, Timer::Waku, cx.node());
                    self.queue_timer(p, Timer::Waku);
                    self.drain(p, t, cx);
                }
            }
        }
    }

    /// Local node `p`'s heartbeat at `now`: its stack's, what it wants done, its next.
    fn heartbeat(&mut self, p: u32, now: SimTime, cx: &Ctx<'_>) {
        self.stacks
            .node(p as usize)
            .handle_timeout(now, Timer::Heartbeat, cx.node());
        self.drain(p, now, cx);
        self.queue_timer(p, Timer::Heartbeat);
    }

    /// Queues the delivery at `to`, at `done`, of what `from` sent: its last byte is in.
    #[inline]
    pub(super) fn push_deliver(&mut self, done: SimTime, to: u32, from: PeerId, what: Payload) {
        let k = key(self.nodes[to as usize], RANK_DELIVER, u64::from(from.0));
        self.queue.push(done, k, Event::Deliver { to, from, what });
    }

    /// Counts the RPC in `slot` as received by `to` at `now`: its bytes by kind, and which
    /// of its messages `dup` says are duplicates.
    pub(super) fn count_in(
        &mut self,
        to: u32,
        slot: u32,
        now: SimTime,
        mut dup: impl FnMut(&mut Peer, MsgIdx) -> bool,
        cx: &Ctx<'_>,
    ) {
        let v = to as usize;
        let f = &self.flights[slot];
        let peer = self
            .stacks
            .relay_mut(v)
            .expect("gossipsub RPCs reach relays only");
        let (tally, delivery) = (&mut self.tally[v], &mut self.delivery);
        let parts = f.parts.iter().zip(&f.shares).map(|(part, &share)| {
            let dup = match *part {
                RpcPart::Message { msg, .. } if dup(peer, msg) => {
                    tally.duplicates += 1;
                    delivery.on_duplicate(msg);
                    true
                }
                _ => false,
            };
            (Counted::Part(part, dup), share)
        });
        let dir = Direction::In;
        let measuring = cx.measuring(now);
        self.acct
            .on_wire(PeerId(to), dir, parts, f.overhead, measuring, cx.msgs);
    }

    fn deliver(&mut self, now: SimTime, to: u32, from: PeerId, slot: u32, cx: &Ctx<'_>) {
        let v = to as usize;
        self.count_in(to, slot, now, |peer, msg| peer.is_duplicate(now, msg), cx);
        let from_slot = self.flights[slot].from_slot;
        debug_assert_eq!(
            self.stacks.relay(v).map(|p| p.neighbour(from_slot)),
            Some(from)
        );
        let parts = std::mem::take(&mut self.flights[slot].parts);
        let what = Incoming::Relay {
            from_slot,
            parts: &parts,
        };
        self.stacks.node(v).handle_payload(now, what, cx.node());
        self.flights[slot].parts = parts;
        self.flights.release(slot);
        self.drain(to, now, cx);
    }

    /// Puts transmit `t` of local peer `p` on the network: sized, counted, then transmitted.
    pub(super) fn send(&mut self, p: u32, t: Transmit, now: SimTime, cx: &Ctx<'_>) {
        if self.send_forward(p, &t, now, cx) {
            return;
        }
        let v = p as usize;
        let parts = self
            .stacks
            .relay(v)
            .expect("a transmit comes from a relay")
            .transmit_parts(&t);
        let slot = self.flights.alloc();
        let ctx = WireCtx {
            topic_len: cx.topic_len,
            msgs: cx.msgs,
        };
        let size = rpc_size_fast(parts, &ctx, &mut self.scratch_shares);
        let overhead = cx.sc.transport.overhead(size);
        let conn = self.conns.at(v, t.slot);
        let f = &mut self.flights[slot];
        f.parts.clear();
        f.parts.extend_from_slice(parts);
        f.shares.clear();
        f.shares.extend_from_slice(&self.scratch_shares);
        f.overhead = overhead;
        f.bytes = size.saturating_add(overhead);
        f.from_slot = self.conns.rev[conn];
        let bytes = u64::from(f.bytes);
        let sent = f.parts.iter().map(|p| Counted::Part(p, false));
        let sent = sent.zip(f.shares.iter().copied());
        let measuring = cx.measuring(now);
        self.acct.on_wire(
            PeerId(p),
            Direction::Out,
            sent,
            overhead,
            measuring,
            cx.msgs,
        );
        let latency = self.conns.lat[conn];
        self.transmit(v, (t.to, latency), bytes, Payload::Rpc(slot), now, cx);
    }
}
