//! One simulation run: builds the world from a validated scenario (topology, links, peers,
//! generators), then steps the engine from event to event, feeding peers their inputs and
//! carrying their transmits over the network. Owns the event loop; protocol decisions belong
//! to the peers, byte arithmetic to `rpc`/`net`, counting to `metrics`.
//!
//! A run is cut into partitions ([`Shard`]s), each with its own peers, interfaces, event
//! queue and counters, stepped in parallel through conservative time windows: a window is no
//! longer than the smallest latency of a link between two partitions (the lookahead), so
//! nothing one partition sends during a window can reach another before the window ends.
//! Between windows the master fires due publications and hands every cross-partition
//! transmission to its receiver's partition.
//!
//! The output does not depend on the number of partitions: events of one instant are ordered
//! by a key derived from what they are (target peer, kind, sender or message), never by which
//! thread pushed first; each peer's state and draws are its own; loss is a pure function of
//! (sender, transmission count); and every shared counter is a sum or a maximum.

use crate::engine::{prefetch, prefetch_lines, prefetch_slice, EventQueue, WheelQueue};
use crate::ids::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
use crate::message::{Message, MessageTable};
use crate::metrics::accounting::classify;
use crate::metrics::{Accounting, Delivery, Direction};
use crate::net::{latency, lost, topology, Interfaces, Links};
use crate::protocol::gossipsub::rpc::rpc_size;
use crate::protocol::gossipsub::{Peer, PeerEvent, RpcPart, Transmit, WireCtx};
use crate::rng::Streams;
use crate::scenario::{LatencySpec, Scenario, Selector};
use crate::traffic::Generator;
use smallvec::SmallVec;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

/// Largest node count: the event key packs a peer id in 24 bits.
pub const MAX_NODES: u32 = 1 << 24;

/// Longest window, when no link crosses partitions (one partition): bounds the work between
/// two progress reports, nothing else.
const MAX_WINDOW: SimTime = SimTime(100_000_000);

/// Parts an RPC slot keeps room for when freed (most RPCs have one or a few).
const MAX_KEPT_PARTS: usize = 8;

// Order of events of one peer at one instant.
const RANK_PUBLISH: u64 = 0;
const RANK_VALIDATED: u64 = 1;
const RANK_DELIVER: u64 = 2;
const RANK_ARRIVE: u64 = 3;
const RANK_HEARTBEAT: u64 = 4;

/// Orders events of one instant: by target peer, then kind, then `disc` (the sender for a
/// transmission, the message for publish and validation). A function of the event alone.
#[inline]
fn key(target: PeerId, rank: u64, disc: u64) -> u64 {
    debug_assert!(target.0 < MAX_NODES && disc < (1 << 37));
    (u64::from(target.0) << 40) | (rank << 37) | disc
}

/// An event. Small and `Copy`: the queue holds millions. Peers are local indices of the
/// partition that holds the event.
#[derive(Clone, Copy, Debug)]
enum Event {
    Heartbeat(u32),
    /// The first byte of the RPC in `slot` reaches `to`'s downlink; its last byte at `last`.
    /// `carries`: what the arrival may settle without a delivery event.
    Arrive {
        to: u32,
        from: PeerId,
        slot: u32,
        bytes: u32,
        carries: Carries,
        last: SimTime,
    },
    /// The RPC in `slot` has fully arrived at `to`.
    Deliver {
        to: u32,
        from: PeerId,
        slot: u32,
    },
    /// `peer` finished validating `msg`.
    Validated {
        peer: u32,
        msg: MsgIdx,
    },
    /// `peer` publishes `msg`.
    Publish {
        peer: u32,
        msg: MsgIdx,
    },
}

/// What an arriving RPC holds, as far as settling it on arrival goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carries {
    /// IDONTWANTs (recorded on arrival: see `take_idontwants`).
    IDontWant,
    /// Messages only: on arrival, copies its receiver will have seen are counted as
    /// duplicates (see `take_duplicates`).
    Messages,
    /// IHAVEs only: on arrival, one that asks for nothing is counted (see `take_ihaves`).
    IHave,
    Other,
}

impl Carries {
    fn of(parts: &[RpcPart]) -> Carries {
        if parts.iter().any(|p| matches!(p, RpcPart::IDontWant { .. })) {
            Carries::IDontWant
        } else if parts.iter().all(|p| matches!(p, RpcPart::Message { .. })) {
            Carries::Messages
        } else if parts.iter().all(|p| matches!(p, RpcPart::IHave { .. })) {
            Carries::IHave
        } else {
            Carries::Other
        }
    }
}

/// An RPC on the wire: 64 bytes, with up to two parts (nearly every RPC but a heartbeat's
/// IHAVE) and their shares inline.
#[derive(Default)]
struct InFlight {
    /// The sender's slot among the receiver's neighbours.
    from_slot: u32,
    parts: SmallVec<[RpcPart; 2]>,
    shares: SmallVec<[u32; 4]>,
    /// Transport overhead bytes (its own accounting kind).
    overhead: u32,
    /// Bytes on the wire: RPC + overhead (below `max_transmit_size` plus control parts).
    bytes: u32,
}

/// A slot of the RPC slab: one cache line each (the RPC is unaligned where it travels
/// between partitions, so that a handover moves 64 bytes, not 128).
#[derive(Default)]
#[repr(align(64))]
struct Slot(InFlight);

impl std::ops::Deref for Slot {
    type Target = InFlight;
    fn deref(&self) -> &InFlight {
        &self.0
    }
}

impl std::ops::DerefMut for Slot {
    fn deref_mut(&mut self) -> &mut InFlight {
        &mut self.0
    }
}

/// A transmission to a peer of another partition, handed over between windows.
struct Outgoing {
    first: SimTime,
    last: SimTime,
    to: PeerId,
    from: PeerId,
    flight: InFlight,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Topology(#[from] topology::TopologyError),
}

/// Static facts about the built world, for the report.
pub struct World {
    pub node_class: Vec<u16>,
    pub region: Vec<u16>,
    pub degrees: Vec<u32>,
    pub components: usize,
    pub subscribed: Vec<Vec<bool>>,
}

/// Everything a run produced.
pub struct RunOutput {
    pub world: World,
    pub acct: Accounting,
    pub delivery: Delivery,
    pub msgs: MessageTable,
    /// Per node: first copies received, duplicates received.
    pub received: Vec<u64>,
    pub duplicates: Vec<u64>,
    /// Per node × topic: mesh size and topic peers at the end.
    pub mesh: Vec<Vec<(u32, u32)>>,
    pub outbound: Vec<u32>,
    pub events: u64,
    pub in_flight_end: u64,
    pub end: SimTime,
    /// How the run was cut: partitions and the window length between barriers.
    pub partitions: usize,
    pub lookahead: SimTime,
}

/// Called after each window with the simulated time and events so far, for progress display.
pub type Progress<'a> = &'a mut dyn FnMut(SimTime, u64);

/// What every partition reads and nobody writes during a window.
struct Ctx<'a> {
    sc: &'a Scenario,
    msgs: &'a MessageTable,
    topic_len: &'a [u32],
    /// Partition of each node, and its index there.
    part: &'a [u16],
    local: &'a [u32],
}

impl Ctx<'_> {
    #[inline]
    fn measuring(&self, t: SimTime) -> bool {
        self.sc.measuring(t)
    }
}

/// One partition of a run: its peers (local index → `nodes`), their interfaces, the events
/// addressed to them, and what they counted.
struct Shard {
    id: u16,
    nodes: Vec<PeerId>,
    peers: Vec<Peer>,
    conns: SlotTable,
    ifs: Interfaces,
    /// Per local peer, what it sent and received (one cache line for the three).
    tally: Vec<Tally>,
    queue: WheelQueue<Event>,
    flights: Vec<Slot>,
    free_flights: Vec<u32>,
    /// Transmissions to other partitions, by receiving partition.
    outbox: Vec<Vec<Outgoing>>,
    acct: Accounting,
    delivery: Delivery,
    events: u64,
    scratch_shares: Vec<u32>,
}

/// The connections of a partition's peers by (local peer, slot): one-way latency, and the
/// slot the peer has among the other end's neighbours. A peer's slots never move and the
/// connections open once, at t = 0, so a send looks these up by index instead of searching
/// (churn, when it comes, will have to extend a peer's row when it connects).
struct SlotTable {
    off: Vec<u32>,
    lat: Vec<SimTime>,
    rev: Vec<u32>,
}

impl SlotTable {
    fn new(nodes: &[PeerId], peers: &[Option<Peer>], links: &Links) -> Self {
        let mut t = SlotTable {
            off: Vec::with_capacity(nodes.len() + 1),
            lat: Vec::new(),
            rev: Vec::new(),
        };
        t.off.push(0);
        for &v in nodes {
            let p = peers[v.idx()]
                .as_ref()
                .expect("built before the partitions");
            for s in 0..p.connections() as u32 {
                let q = p.neighbour(s);
                let other = peers[q.idx()]
                    .as_ref()
                    .expect("built before the partitions");
                t.lat
                    .push(links.latency(v, q).expect("peers connect over links"));
                t.rev
                    .push(other.slot_of(v).expect("connections open at both ends"));
            }
            t.off.push(t.lat.len() as u32);
        }
        t
    }

    /// Hints the CPU to load local peer `v`'s row.
    #[inline]
    fn prefetch_row(&self, v: usize) {
        let (a, b) = (self.off[v] as usize, self.off[v + 1] as usize);
        prefetch_slice(&self.lat[a..b], 8);
        prefetch_slice(&self.rev[a..b], 4);
    }

    /// Index of (local peer `v`, `slot`).
    #[inline]
    fn at(&self, v: usize, slot: u32) -> usize {
        self.off[v] as usize + slot as usize
    }
}

/// A peer's counts.
#[derive(Clone, Copy, Default)]
struct Tally {
    /// Transmissions (the loss draw's counter).
    sent: u64,
    /// First copies and duplicates received.
    received: u64,
    duplicates: u64,
}

/// The nodes a selector picks, sorted (`Scenario::selected` of them).
fn select(
    sc: &Scenario,
    sel: &Selector,
    node_class: &[u16],
    rng: &mut crate::rng::SimRng,
) -> Vec<PeerId> {
    let nodes = sc.nodes;
    match sel {
        Selector::All => (0..nodes).map(PeerId).collect(),
        Selector::Class(c) => (0..nodes)
            .filter(|&v| node_class[v as usize] as usize == *c)
            .map(PeerId)
            .collect(),
        Selector::Fraction(_) => {
            let k = sc.selected(sel) as usize;
            let mut v: Vec<PeerId> = rand::seq::index::sample(rng, nodes as usize, k)
                .into_iter()
                .map(|i| PeerId(i as u32))
                .collect();
            v.sort_unstable();
            v
        }
    }
}

/// Cuts the nodes into `parts` partitions of contiguous ids; returns each node's partition.
/// Ids carry no locality (topologies and regions are drawn at random), so each partition
/// gets a fair share of every burst of traffic; windows are then as long as the shortest
/// link. (Whole regions per partition allow longer windows but were measured slower: a
/// message floods its own region first, so the load of one window sits in one partition.)
fn partition(n: usize, parts: usize) -> Vec<u16> {
    (0..n).map(|v| (v * parts / n) as u16).collect()
}

/// Shortest latency of a link between two partitions (`None`: no such link).
fn cut_latency(links: &Links, part: &[u16]) -> Option<SimTime> {
    links
        .iter()
        .filter(|(a, b, _)| part[a.idx()] != part[b.idx()])
        .map(|(_, _, l)| l)
        .min()
}

pub struct Sim {
    sc: Arc<Scenario>,
    publisher: Publisher,
    msgs: MessageTable,
    topic_len: Vec<u32>,
    part: Vec<u16>,
    local: Vec<u32>,
    shards: Vec<Shard>,
    lookahead: SimTime,
    world: World,
}

/// The traffic side of the master: fires publications, numbers messages, and keeps what
/// only it knows of each (expected receivers, inside the window or not).
struct Publisher {
    gens: Vec<Generator>,
    /// Subscribers per topic.
    topic_subscribers: Vec<u32>,
    delivery: Delivery,
}

impl Publisher {
    /// When the next publication is due, if inside the publishing period.
    fn next_at(&self, sc: &Scenario) -> Option<SimTime> {
        self.gens
            .iter()
            .map(Generator::next_at)
            .filter(|&t| t < sc.measure_end())
            .min()
    }

    /// Fires every publication due before `until`: the message gets its index here, in time
    /// order (generator order at equal times), and `sink` gets (publisher, time, message).
    fn fire_due(
        &mut self,
        sc: &Scenario,
        subscribed: &[Vec<bool>],
        msgs: &mut MessageTable,
        until: SimTime,
        mut sink: impl FnMut(PeerId, SimTime, MsgIdx),
    ) {
        let stop = sc.measure_end().min(until);
        loop {
            let Some((k, at)) = self
                .gens
                .iter()
                .enumerate()
                .map(|(k, g)| (k, g.next_at()))
                .filter(|&(_, at)| at < stop)
                .min_by_key(|&(k, at)| (at, k))
            else {
                return;
            };
            let g = &mut self.gens[k];
            let (who, payload) = g.fire();
            let (class, topic) = (g.class, g.topic);
            let payload = payload as u32;
            let m = msgs.push(Message {
                topic,
                class,
                publisher: who,
                published_at: at,
                payload_len: payload,
                data_len: sc.wire.data_len(payload),
            });
            let expected =
                self.topic_subscribers[topic.idx()] - u32::from(subscribed[topic.idx()][who.idx()]);
            self.delivery.on_publish(m, expected, sc.measuring(at));
            sink(who, at, m);
        }
    }
}

/// The end of the next window, or `None` when the run is over: a window starts at the
/// earliest pending event or publication and lasts one lookahead.
fn window_end(
    sc: &Scenario,
    publisher: &Publisher,
    lookahead: SimTime,
    next_event: Option<SimTime>,
) -> Option<SimTime> {
    let end = sc.end();
    let t0 = match (next_event, publisher.next_at(sc)) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    (t0 <= end).then(|| (t0 + lookahead).min(end + SimTime(1)))
}

/// The event a publication becomes in its publisher's partition.
fn publish_event(who: PeerId, local: &[u32], m: MsgIdx) -> (u64, Event) {
    (
        key(who, RANK_PUBLISH, u64::from(m.0)),
        Event::Publish {
            peer: local[who.idx()],
            msg: m,
        },
    )
}

/// A barrier whose waiters spin briefly, then sleep: windows are short (often a millisecond
/// of simulated time, ~100 µs of work) and `std::sync::Barrier` sleeps at once, whose futex
/// wake-up costs more than a typical wait; sleeping after the spin keeps runs with more
/// threads than cores from burning their time slices spinning.
struct SpinBarrier {
    n: usize,
    /// Spins before sleeping: long when every thread has a core of its own, short when
    /// threads outnumber cores (a spinner then holds the core a laggard needs).
    spins: u32,
    count: AtomicUsize,
    generation: AtomicUsize,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    /// Set when a thread panicked: the others stop waiting for it and panic too, instead of
    /// waiting forever.
    poisoned: AtomicBool,
}

/// Poisons the barrier if the thread holding it unwinds.
struct PoisonOnPanic<'a>(&'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::SeqCst);
            let _held = self.0.lock.lock();
            self.0.wake.notify_all();
        }
    }
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        SpinBarrier {
            n,
            spins: if n <= cores { 4000 } else { 64 },
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            poisoned: AtomicBool::new(false),
        }
    }

    fn check_poison(&self) {
        if self.poisoned.load(Ordering::SeqCst) {
            panic!("a partition's thread panicked; stopping the others");
        }
    }

    fn wait(&self) {
        let g = self.generation.load(Ordering::SeqCst);
        if self.count.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
            self.count.store(0, Ordering::SeqCst);
            self.generation.fetch_add(1, Ordering::SeqCst);
            if self.sleepers.load(Ordering::SeqCst) > 0 {
                let _held = self.lock.lock().expect("no panics while held");
                self.wake.notify_all();
            }
            return;
        }
        for _ in 0..self.spins {
            if self.generation.load(Ordering::Acquire) != g {
                return;
            }
            std::hint::spin_loop();
        }
        self.check_poison();
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.generation.load(Ordering::SeqCst) == g {
            if self.poisoned.load(Ordering::SeqCst) {
                drop(held);
                self.check_poison();
                unreachable!("check_poison panics when poisoned");
            }
            held = self.wake.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        drop(held);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Sim {
    /// Builds the world, to be stepped on `threads` threads (at least 1). The results do not
    /// depend on `threads`.
    pub fn new(sc: Arc<Scenario>, threads: usize) -> Result<Sim, SimError> {
        let st = Streams::new(sc.seed);
        let n = sc.nodes;
        let class_weights: Vec<f64> = sc.node_classes.iter().map(|c| c.share).collect();
        let node_class = latency::assign(n, &class_weights, &mut st.stream("node_classes", 0));
        let region = match &sc.latency {
            LatencySpec::Regions { weights, .. } => {
                latency::assign(n, weights, &mut st.stream("regions", 0))
            }
            _ => vec![0; n as usize],
        };
        let graph = topology::build(&sc.topology, n, &mut st.stream("topology", 0))?;
        let mut lat_rng = st.stream("latency", 0);
        let link_list: Vec<(u32, u32, SimTime)> = graph
            .edges
            .iter()
            .map(|&(a, b)| {
                (
                    a,
                    b,
                    latency::sample(
                        &sc.latency,
                        region[a as usize],
                        region[b as usize],
                        &mut lat_rng,
                    ),
                )
            })
            .collect();
        let links = Links::new(n, &link_list);
        drop(link_list);

        // Partitions and the window length. A zero-latency cut cannot be stepped in
        // parallel: one partition then.
        let threads = threads.clamp(1, n as usize);
        let mut part = partition(n as usize, threads);
        let mut lookahead = cut_latency(&links, &part).map_or(MAX_WINDOW, |l| l.min(MAX_WINDOW));
        if lookahead == SimTime::ZERO {
            part = vec![0; n as usize];
            lookahead = MAX_WINDOW;
        }
        let parts = part.iter().map(|&p| p as usize + 1).max().unwrap_or(1);
        let mut local = vec![0u32; n as usize];
        let mut members: Vec<Vec<PeerId>> = vec![Vec::new(); parts];
        for v in 0..n {
            let p = part[v as usize] as usize;
            local[v as usize] = members[p].len() as u32;
            members[p].push(PeerId(v));
        }
        let cfg = Arc::new(sc.gossipsub.clone());
        let topics = sc.topics.len();
        let mut phase_rng = st.stream("heartbeat_phase", 0);
        let hb = cfg.heartbeat_interval.0;
        let mut all_peers: Vec<Option<Peer>> = (0..n)
            .map(|v| {
                let first = SimTime(rand::Rng::gen_range(&mut phase_rng, 0..hb));
                Some(Peer::new(
                    PeerId(v),
                    cfg.clone(),
                    st.stream("peer_mesh", u64::from(v)),
                    st.stream("peer_traffic", u64::from(v)),
                    topics,
                    first,
                ))
            })
            .collect();
        let subscribed: Vec<Vec<bool>> = sc
            .topics
            .iter()
            .enumerate()
            .map(|(t, spec)| {
                let mut mask = vec![false; n as usize];
                for p in select(
                    &sc,
                    &spec.subscribers,
                    &node_class,
                    &mut st.stream("topic_subscribers", t as u64),
                ) {
                    mask[p.idx()] = true;
                }
                mask
            })
            .collect();
        let topic_subscribers: Vec<u32> = subscribed
            .iter()
            .map(|m| m.iter().filter(|&&s| s).count() as u32)
            .collect();
        let gens: Vec<Generator> = sc
            .traffic
            .iter()
            .enumerate()
            .map(|(k, tc)| {
                let pubs = select(
                    &sc,
                    &tc.publishers,
                    &node_class,
                    &mut st.stream("publishers", k as u64),
                );
                Generator::new(ClassId(k as u16), tc, pubs, st.stream("traffic", k as u64))
            })
            .collect();

        // t = 0: every connection opens, then every node joins its topics.
        for &(a, b) in &graph.edges {
            let pa = all_peers[a as usize].as_mut().expect("built above");
            pa.handle_connected(SimTime::ZERO, PeerId(b), true);
            let pb = all_peers[b as usize].as_mut().expect("built above");
            pb.handle_connected(SimTime::ZERO, PeerId(a), false);
        }
        for (t, mask) in subscribed.iter().enumerate() {
            for (v, &on) in mask.iter().enumerate() {
                if on {
                    let p = all_peers[v].as_mut().expect("built above");
                    p.handle_subscribe(SimTime::ZERO, TopicId(t as u16));
                }
            }
        }

        let classes = sc.traffic.len();
        let tables: Vec<SlotTable> = members
            .iter()
            .map(|nodes| SlotTable::new(nodes, &all_peers, &links))
            .collect();
        let shards: Vec<Shard> = members
            .into_iter()
            .enumerate()
            .zip(tables)
            .map(|((id, nodes), conns)| {
                let peers: Vec<Peer> = nodes
                    .iter()
                    .map(|v| {
                        all_peers[v.idx()]
                            .take()
                            .expect("each node in one partition")
                    })
                    .collect();
                let up = nodes
                    .iter()
                    .map(|v| sc.node_classes[node_class[v.idx()] as usize].upload_bps)
                    .collect();
                let down = nodes
                    .iter()
                    .map(|v| sc.node_classes[node_class[v.idx()] as usize].download_bps)
                    .collect();
                let mut queue = WheelQueue::default();
                for (i, p) in peers.iter().enumerate() {
                    queue.push(
                        p.poll_timeout(),
                        key(p.id(), RANK_HEARTBEAT, 0),
                        Event::Heartbeat(i as u32),
                    );
                }
                let k = nodes.len();
                Shard {
                    id: id as u16,
                    peers,
                    conns,
                    ifs: Interfaces::new(up, down),
                    tally: vec![Tally::default(); k],
                    queue,
                    flights: Vec::new(),
                    free_flights: Vec::new(),
                    outbox: (0..parts).map(|_| Vec::new()).collect(),
                    acct: Accounting::new(k, classes, topics),
                    delivery: Delivery::default(),
                    events: 0,
                    scratch_shares: Vec::new(),
                    nodes,
                }
            })
            .collect();
        drop(all_peers);
        drop(links);

        let degrees = graph.degrees();
        let components = graph.components();
        drop(graph);
        let topic_len = sc.topics.iter().map(|t| t.name.len() as u32).collect();
        let mut sim = Sim {
            publisher: Publisher {
                gens,
                topic_subscribers,
                delivery: Delivery::default(),
            },
            msgs: MessageTable::default(),
            topic_len,
            part,
            local,
            shards,
            lookahead,
            world: World {
                node_class,
                region,
                degrees,
                components,
                subscribed,
            },
            sc,
        };
        // What the joins at t = 0 send.
        let cx = Ctx {
            sc: &sim.sc,
            msgs: &sim.msgs,
            topic_len: &sim.topic_len,
            part: &sim.part,
            local: &sim.local,
        };
        for s in &mut sim.shards {
            for i in 0..s.peers.len() {
                s.drain(i as u32, SimTime::ZERO, &cx);
            }
        }
        Self::hand_over(&mut sim.shards, &sim.part, &sim.local);
        Ok(sim)
    }

    /// Partitions the run is cut into (threads actually used).
    pub fn partitions(&self) -> usize {
        self.shards.len()
    }

    /// Moves every cross-partition transmission into its receiver's queue (serially: for
    /// setup and the one-partition loop).
    fn hand_over(shards: &mut [Shard], part: &[u16], local: &[u32]) {
        for i in 0..shards.len() {
            for d in 0..shards.len() {
                let mut out = std::mem::take(&mut shards[i].outbox[d]);
                for o in out.drain(..) {
                    debug_assert_eq!(usize::from(part[o.to.idx()]), d);
                    shards[d].accept(o, local);
                }
                shards[i].outbox[d] = out;
            }
        }
    }

    /// Runs to the end of the scenario.
    pub fn run(mut self, progress: Progress<'_>) -> RunOutput {
        let end = self.sc.end();
        if self.shards.len() == 1 {
            self.run_one(progress);
        } else {
            self.run_parallel(progress);
        }
        self.finish(end)
    }

    fn run_one(&mut self, progress: Progress<'_>) {
        loop {
            let next = self.shards[0].queue.peek_time();
            let Some(until) = window_end(&self.sc, &self.publisher, self.lookahead, next) else {
                break;
            };
            let (shard, local) = (&mut self.shards[0], &self.local);
            self.publisher.fire_due(
                &self.sc,
                &self.world.subscribed,
                &mut self.msgs,
                until,
                |who, at, m| {
                    let (k, ev) = publish_event(who, local, m);
                    shard.queue.push(at, k, ev);
                },
            );
            let cx = Ctx {
                sc: &self.sc,
                msgs: &self.msgs,
                topic_len: &self.topic_len,
                part: &self.part,
                local: &self.local,
            };
            self.shards[0].run_window(until, &cx);
            progress(until.saturating_sub(SimTime(1)), self.shards[0].events);
        }
    }

    /// One thread per partition, all stepping the same window, three barriers a window:
    /// (A) every partition has stepped and posted its outgoing transmissions; (B) every
    /// partition has taken its incoming ones and posted its next event time; then the master
    /// (the calling thread, partition 0) fires due publications and sets the next window,
    /// and (C) releases everyone into it.
    fn run_parallel(&mut self, progress: Progress<'_>) {
        const STOP: u64 = u64::MAX;
        let p = self.shards.len();
        let barrier = SpinBarrier::new(p);
        let mail: Vec<Mutex<Vec<Outgoing>>> = (0..p * p).map(|_| Mutex::new(Vec::new())).collect();
        let pubs: Vec<Mutex<Vec<(SimTime, u64, Event)>>> =
            (0..p).map(|_| Mutex::new(Vec::new())).collect();
        let peeks: Vec<AtomicU64> = (0..p).map(|_| AtomicU64::new(STOP)).collect();
        let until = AtomicU64::new(STOP);
        let msgs = RwLock::new(std::mem::take(&mut self.msgs));
        let (sc, topic_len, part, local) = (&*self.sc, &self.topic_len, &self.part, &self.local);
        let subscribed = &self.world.subscribed;
        let publisher = &mut self.publisher;
        let lookahead = self.lookahead;
        let events = AtomicU64::new(0);

        // One partition's share of a window, from release (C) to posted next-event time (B).
        let step = |w: usize, shard: &mut Shard| -> bool {
            let _poison = PoisonOnPanic(&barrier);
            barrier.wait(); // C
            let u = until.load(Ordering::Acquire);
            if u == STOP {
                return false;
            }
            for (t, k, ev) in pubs[w].lock().expect("no panics while held").drain(..) {
                shard.queue.push(t, k, ev);
            }
            {
                let guard = msgs.read().expect("no panics while held");
                let cx = Ctx {
                    sc,
                    msgs: &guard,
                    topic_len,
                    part,
                    local,
                };
                let before = shard.events;
                shard.run_window(SimTime(u), &cx);
                events.fetch_add(shard.events - before, Ordering::Relaxed);
            }
            for d in 0..p {
                if !shard.outbox[d].is_empty() {
                    let mut m = mail[w * p + d].lock().expect("no panics while held");
                    std::mem::swap(&mut *m, &mut shard.outbox[d]);
                }
            }
            barrier.wait(); // A
            for src in 0..p {
                let mut m = mail[src * p + w].lock().expect("no panics while held");
                for o in m.drain(..) {
                    shard.accept(o, local);
                }
            }
            let next = shard.queue.peek_time().map_or(STOP, |t| t.0);
            peeks[w].store(next, Ordering::Release);
            barrier.wait(); // B
            true
        };

        let mut next_event = self
            .shards
            .iter_mut()
            .filter_map(|s| s.queue.peek_time())
            .min();
        let (first, rest) = self.shards.split_at_mut(1);
        std::thread::scope(|scope| {
            for (i, shard) in rest.iter_mut().enumerate() {
                let step = &step;
                scope.spawn(move || while step(i + 1, shard) {});
            }
            loop {
                // Serial section: every other thread waits at C.
                match window_end(sc, publisher, lookahead, next_event) {
                    None => until.store(STOP, Ordering::Release),
                    Some(u) => {
                        let mut table = msgs.write().expect("no panics while held");
                        publisher.fire_due(sc, subscribed, &mut table, u, |who, at, m| {
                            let (k, ev) = publish_event(who, local, m);
                            pubs[usize::from(part[who.idx()])]
                                .lock()
                                .expect("no panics while held")
                                .push((at, k, ev));
                        });
                        until.store(u.0, Ordering::Release);
                        progress(u.saturating_sub(SimTime(1)), events.load(Ordering::Relaxed));
                    }
                }
                if !step(0, &mut first[0]) {
                    break;
                }
                next_event = peeks
                    .iter()
                    .map(|x| x.load(Ordering::Acquire))
                    .min()
                    .filter(|&t| t != STOP)
                    .map(SimTime);
            }
        });
        self.msgs = msgs.into_inner().expect("no panics while held");
    }

    fn finish(mut self, end: SimTime) -> RunOutput {
        let n = self.sc.nodes as usize;
        let topics = self.sc.topics.len();
        // One partition holds every node in order: its counters are the run's, moved rather
        // than copied (at 1M nodes they are gigabytes).
        // (What is left in its place has zero totals, so the loop below adds nothing twice.)
        let moved = self.shards.len() == 1;
        let mut acct = if moved {
            std::mem::replace(&mut self.shards[0].acct, Accounting::new(0, 0, 0))
        } else {
            Accounting::new(n, self.sc.traffic.len(), topics)
        };
        let mut delivery = self.publisher.delivery;
        let (mut received, mut duplicates) = (vec![0u64; n], vec![0u64; n]);
        let mut mesh: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut outbound = vec![0u32; n];
        let (mut events, mut in_flight) = (0u64, 0u64);
        let partitions = self.shards.len();
        for mut s in self.shards {
            while let Some((_, ev)) = s.queue.pop() {
                if let Event::Deliver { slot, .. } | Event::Arrive { slot, .. } = ev {
                    in_flight += u64::from(s.flights[slot as usize].bytes);
                }
            }
            events += s.events;
            acct.add_totals(&s.acct);
            delivery.merge(&s.delivery);
            for (i, (v, p)) in s.nodes.iter().zip(&s.peers).enumerate() {
                if !moved {
                    acct.copy_node(*v, &s.acct, PeerId(i as u32));
                }
                received[v.idx()] = s.tally[i].received;
                duplicates[v.idx()] = s.tally[i].duplicates;
                mesh[v.idx()] = (0..topics)
                    .map(|t| {
                        let t = TopicId(t as u16);
                        (p.mesh_len(t) as u32, p.topic_peers_len(t) as u32)
                    })
                    .collect();
                outbound[v.idx()] = p.outbound_connections() as u32;
            }
        }
        RunOutput {
            world: self.world,
            acct,
            delivery,
            msgs: self.msgs,
            received,
            duplicates,
            mesh,
            outbound,
            events,
            in_flight_end: in_flight,
            end,
            partitions,
            lookahead: self.lookahead,
        }
    }
}

impl Shard {
    /// Takes a transmission from another partition.
    fn accept(&mut self, o: Outgoing, local: &[u32]) {
        let slot = self.alloc_flight();
        self.flights[slot as usize].0 = o.flight;
        self.push_arrive(o.to, o.from, slot, o.first, o.last, local);
    }

    /// Queues the arrival at `to` (a peer of this partition) of the RPC in `slot`: its first
    /// byte at `first`, its last at `last`.
    fn push_arrive(
        &mut self,
        to: PeerId,
        from: PeerId,
        slot: u32,
        first: SimTime,
        last: SimTime,
        local: &[u32],
    ) {
        let f = &self.flights[slot as usize];
        self.queue.push(
            first,
            key(to, RANK_ARRIVE, u64::from(from.0)),
            Event::Arrive {
                to: local[to.idx()],
                from,
                slot,
                bytes: f.bytes,
                carries: Carries::of(&f.parts),
                last,
            },
        );
    }

    /// Frees a slot. A slot that carried a big RPC (a heartbeat's IHAVE ids, one part per
    /// id) gives its buffers back: kept, every slot would ratchet up to the largest RPC it
    /// ever carried, and the slab is as large as the RPCs in flight at the busiest moment.
    fn release_flight(&mut self, slot: u32) {
        let f = &mut self.flights[slot as usize];
        if f.parts.capacity() > MAX_KEPT_PARTS {
            f.parts = SmallVec::new();
            f.shares = SmallVec::new();
        }
        self.free_flights.push(slot);
    }

    fn alloc_flight(&mut self) -> u32 {
        // Freed slots are reused last-in first-out; the next one is cold by now: load it
        // while this one is filled.
        if let Some(&next) = self
            .free_flights
            .get(self.free_flights.len().wrapping_sub(2))
        {
            prefetch(&self.flights[next as usize]);
        }
        self.free_flights.pop().unwrap_or_else(|| {
            self.flights.push(Slot::default());
            (self.flights.len() - 1) as u32
        })
    }

    /// Asks the CPU to start loading what the coming events will read (hints: nothing is
    /// read into the run). Each event touches cache lines scattered over memory: its RPC's
    /// slot, its peer, interfaces and counts, and, behind the peer's pointers, a seen-cache
    /// word, a neighbour record, the IDONTWANT FIFO's tail. In two stages: the lines whose
    /// addresses are known from the event alone two events ahead, those behind pointers
    /// (read from lines loaded a stage earlier) one event ahead. The first stage is repeated
    /// for the next event, which was not always second a step ago (pushed since, or the
    /// first of a bucket): a hint for lines already on their way costs little.
    #[inline]
    fn prefetch_next(&self) {
        if let Some(ev) = self.queue.peek_second() {
            self.prefetch_direct(ev);
        }
        let Some(ev) = self.queue.peek_next() else {
            return;
        };
        self.prefetch_direct(ev);
        if let Event::Deliver { to, slot, .. }
        | Event::Arrive {
            to,
            slot,
            carries: Carries::IDontWant | Carries::Messages | Carries::IHave,
            ..
        } = *ev
        {
            let f = &self.flights[slot as usize];
            let msg = match f.parts.first() {
                Some(&RpcPart::Message { msg, .. } | &RpcPart::IHave { msg, .. }) => Some(msg),
                _ => None,
            };
            self.peers[to as usize].prefetch_rpc(f.from_slot, msg);
        }
    }

    /// The first stage of `prefetch_next`: lines whose addresses the event gives.
    #[inline]
    fn prefetch_direct(&self, ev: &Event) {
        match *ev {
            Event::Arrive {
                to, slot, carries, ..
            } => {
                self.ifs.prefetch(to as usize);
                if carries != Carries::Other {
                    // Settled on arrival, it may read what a delivery reads.
                    prefetch(&self.flights[slot as usize]);
                    prefetch_lines(&self.peers[to as usize], Peer::HOT_LINES);
                    self.acct.prefetch_node(PeerId(to));
                    if carries == Carries::Messages {
                        prefetch(&self.tally[to as usize]);
                    }
                }
            }
            Event::Deliver { to, slot, .. } => {
                prefetch(&self.flights[slot as usize]);
                prefetch_lines(&self.peers[to as usize], Peer::HOT_LINES);
                prefetch(&self.tally[to as usize]);
                self.acct.prefetch_node(PeerId(to));
            }
            Event::Heartbeat(p)
            | Event::Validated { peer: p, .. }
            | Event::Publish { peer: p, .. } => {
                prefetch_lines(&self.peers[p as usize], Peer::HOT_LINES)
            }
        }
    }

    /// Steps every event before `until`.
    fn run_window(&mut self, until: SimTime, cx: &Ctx<'_>) {
        while let Some((t, ev)) = self.queue.pop_before(until) {
            self.prefetch_next();
            self.events += 1;
            match ev {
                Event::Heartbeat(p) => {
                    self.peers[p as usize].set_deliveries_before(u64::MAX);
                    self.peers[p as usize].handle_heartbeat(t, cx.msgs);
                    self.drain(p, t, cx);
                    let peer = &self.peers[p as usize];
                    self.queue.push(
                        peer.poll_timeout(),
                        key(peer.id(), RANK_HEARTBEAT, 0),
                        Event::Heartbeat(p),
                    );
                }
                Event::Arrive {
                    to,
                    from,
                    slot,
                    bytes,
                    carries,
                    last,
                } => {
                    let done = self.ifs.receive(t, to as usize, u64::from(bytes), last);
                    // An RPC delivered after the end stays in flight: it goes the usual way.
                    let settled = done <= cx.sc.end()
                        && match carries {
                            Carries::IDontWant => self.take_idontwants(to, slot, done, cx),
                            Carries::Messages => self.take_duplicates(to, slot, done, cx),
                            Carries::IHave => self.take_ihaves(to, slot, done, cx),
                            Carries::Other => false,
                        };
                    if settled {
                        continue;
                    }
                    self.queue.push(
                        done,
                        key(self.nodes[to as usize], RANK_DELIVER, u64::from(from.0)),
                        Event::Deliver { to, from, slot },
                    );
                }
                Event::Deliver { to, from, slot } => {
                    self.peers[to as usize].set_deliveries_before(u64::from(from.0) + 1);
                    self.deliver(t, to, from, slot, cx)
                }
                Event::Validated { peer, msg } => {
                    self.peers[peer as usize].set_deliveries_before(0);
                    self.peers[peer as usize].handle_validated(t, msg, cx.msgs);
                    self.drain(peer, t, cx);
                }
                Event::Publish { peer, msg } => {
                    self.peers[peer as usize].set_deliveries_before(0);
                    self.peers[peer as usize].handle_publish(t, msg, cx.msgs);
                    self.drain(peer, t, cx);
                }
            }
        }
    }

    /// Records the IDONTWANTs of the RPC in `slot` at its receiver `to` as soon as the RPC
    /// arrives, to take effect when it is delivered at `done` (no later than the end of
    /// the run), and counts their bytes received. Exact: the downlink is FIFO, so `done`
    /// is known at arrival and grows with arrival order, and the peer lets an entry count
    /// only from `done` on (see `Peer::idontwant_ahead`). Returns whether that was the
    /// whole RPC (nearly always: IDONTWANTs travel alone); then it needs no delivery event,
    /// a quarter of all events in an nwaku run. (Churn, when it comes, must drop the
    /// entries of a neighbour that disconnects before they are delivered.)
    fn take_idontwants(&mut self, to: u32, slot: u32, done: SimTime, cx: &Ctx<'_>) -> bool {
        let measuring = cx.measuring(done);
        let f = &mut self.flights[slot as usize].0;
        let peer = &mut self.peers[to as usize];
        let (mut kept, mut taken) = (0, 0u64);
        for i in 0..f.parts.len() {
            let (part, share) = (f.parts[i], f.shares[i]);
            if let RpcPart::IDontWant { msg } = part {
                peer.idontwant_ahead(f.from_slot, msg, done);
                if measuring {
                    self.acct.add(
                        PeerId(to),
                        Direction::In,
                        classify(&part, false, cx.msgs),
                        u64::from(share),
                    );
                }
                taken += u64::from(share);
            } else {
                f.parts[kept] = part;
                f.shares[kept] = share;
                kept += 1;
            }
        }
        f.parts.truncate(kept);
        f.shares.truncate(kept);
        self.acct.received_total += taken;
        if kept > 0 {
            // The rest is delivered as usual.
            f.bytes -= taken as u32;
            return false;
        }
        if measuring {
            self.acct
                .add_transport(PeerId(to), Direction::In, f.overhead);
        }
        self.acct.received_total += u64::from(f.overhead);
        self.release_flight(slot);
        true
    }

    /// Handles on its arrival an RPC of messages that `to` has all seen and will still
    /// have seen when it is delivered at `done` (no later than the end of the run): its
    /// delivery would change nothing but counters (see `Peer::known_duplicate`), so they
    /// are counted now and it needs no delivery event. In a mesh of degree D a node gets
    /// each message from several neighbours, many after the first copy was delivered: on
    /// the 10K-node slice such deliveries were a quarter of all events. Returns whether it
    /// was one. (Churn, when it comes, must not settle a copy whose sender may disconnect
    /// before `done`.)
    fn take_duplicates(&mut self, to: u32, slot: u32, done: SimTime, cx: &Ctx<'_>) -> bool {
        let peer = &self.peers[to as usize];
        let known = self.flights[slot as usize].parts.iter().all(|p| match *p {
            RpcPart::Message { msg, .. } => peer.known_duplicate(msg, done, cx.msgs),
            _ => false,
        });
        if known {
            self.count_in(to, slot, done, |_, _| true, cx);
            self.release_flight(slot);
        }
        known
    }

    /// Handles on its arrival an RPC of IHAVEs whose every id `to` has seen and will still
    /// have seen when it is delivered at `done` (no later than the end of the run): its
    /// delivery would ask for nothing (see `Peer::known_ihave`), so its groups are counted
    /// towards the flood limit as of `done` and its bytes now, and it needs no delivery
    /// event. Every node sends an IHAVE to D_lazy peers each heartbeat: on a 1M-node slice
    /// with one message a second these deliveries were 12% of all events (4% on a 10K-node
    /// slice with 14 a second). Returns whether it was one. (Churn, when it comes, must drop
    /// the counts of a neighbour that disconnects before `done`.)
    fn take_ihaves(&mut self, to: u32, slot: u32, done: SimTime, cx: &Ctx<'_>) -> bool {
        let f = &self.flights[slot as usize];
        let peer = &mut self.peers[to as usize];
        if !peer.known_ihave(&f.parts, done, cx.msgs) {
            return false;
        }
        peer.ihave_ahead(f.from_slot, &f.parts, done);
        self.count_in(to, slot, done, |_, _| false, cx);
        self.release_flight(slot);
        true
    }

    /// Counts the RPC in `slot` as received by `to` at `now`: its bytes by kind, and which
    /// of its messages `dup` says are duplicates.
    fn count_in(
        &mut self,
        to: u32,
        slot: u32,
        now: SimTime,
        mut dup: impl FnMut(&mut Peer, MsgIdx) -> bool,
        cx: &Ctx<'_>,
    ) {
        let measuring = cx.measuring(now);
        let v = to as usize;
        let f = &self.flights[slot as usize];
        let peer = &mut self.peers[v];
        let mut total = u64::from(f.overhead);
        for (part, &share) in f.parts.iter().zip(&f.shares) {
            let dup = match *part {
                RpcPart::Message { msg, .. } if dup(peer, msg) => {
                    self.tally[v].duplicates += 1;
                    self.delivery.on_duplicate(msg);
                    true
                }
                _ => false,
            };
            if measuring {
                let cell = classify(part, dup, cx.msgs);
                self.acct
                    .add(PeerId(to), Direction::In, cell, u64::from(share));
            }
            total += u64::from(share);
        }
        if measuring {
            self.acct
                .add_transport(PeerId(to), Direction::In, f.overhead);
        }
        self.acct.received_total += total;
    }

    fn deliver(&mut self, now: SimTime, to: u32, from: PeerId, slot: u32, cx: &Ctx<'_>) {
        let v = to as usize;
        self.count_in(to, slot, now, |peer, msg| peer.is_duplicate(now, msg), cx);
        let from_slot = self.flights[slot as usize].from_slot;
        debug_assert_eq!(self.peers[v].neighbour(from_slot), from);
        let parts = std::mem::take(&mut self.flights[slot as usize].parts);
        self.peers[v].handle_rpc_from_slot(now, from_slot, &parts, cx.msgs);
        self.flights[slot as usize].parts = parts;
        self.release_flight(slot);
        self.drain(to, now, cx);
    }

    /// Carries out everything local peer `p` wants to do now: transmits onto the network,
    /// events into metrics and validation.
    fn drain(&mut self, p: u32, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        let mut row_loaded = false;
        loop {
            while let Some(t) = self.peers[v].poll_transmit() {
                if !row_loaded {
                    // A node that sends at all usually sends to several neighbours: load its
                    // whole row of the slot table at once rather than a miss per send.
                    row_loaded = true;
                    self.conns.prefetch_row(v);
                }
                self.send(p, t, now, cx);
            }
            let Some(ev) = self.peers[v].poll_event() else {
                break;
            };
            match ev {
                PeerEvent::Received { msg, hops, .. } => {
                    self.tally[v].received += 1;
                    let published = cx.msgs.get(msg).published_at;
                    let lat = now.saturating_sub(published);
                    self.delivery
                        .on_first_arrival(msg, lat, hops, cx.measuring(published));
                }
                PeerEvent::Validate { msg } => {
                    if cx.sc.validation_delay == SimTime::ZERO {
                        self.peers[v].handle_validated(now, msg, cx.msgs);
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
    }

    fn send(&mut self, p: u32, t: Transmit, now: SimTime, cx: &Ctx<'_>) {
        let v = p as usize;
        let from = self.nodes[v];
        let measuring = cx.measuring(now);
        let slot = self.alloc_flight();
        let parts = self.peers[v].transmit_parts(&t);
        let ctx = WireCtx {
            topic_len: cx.topic_len,
            msgs: cx.msgs,
        };
        let size = rpc_size(parts, &ctx, &mut self.scratch_shares);
        let overhead = cx.sc.transport.overhead(size);
        let f = &mut self.flights[slot as usize];
        f.parts.clear();
        f.parts.extend_from_slice(parts);
        f.shares.clear();
        f.shares.extend_from_slice(&self.scratch_shares);
        f.overhead = overhead;
        let bytes = size.saturating_add(overhead);
        f.bytes = bytes;
        let bytes = u64::from(bytes);
        if measuring {
            let f = &self.flights[slot as usize];
            for (part, &share) in f.parts.iter().zip(&f.shares) {
                let cell = classify(part, false, cx.msgs);
                self.acct
                    .add(PeerId(p), Direction::Out, cell, u64::from(share));
            }
            self.acct.add_transport(PeerId(p), Direction::Out, overhead);
        }
        self.acct.sent_total += bytes;
        let conn = self.conns.at(v, t.slot);
        let lat = self.conns.lat[conn];
        self.flights[slot as usize].from_slot = self.conns.rev[conn];
        let (first, last) = self.ifs.send(now, v, lat, bytes);
        let count = self.tally[v].sent;
        self.tally[v].sent += 1;
        if lost(cx.sc.loss, cx.sc.seed, from, count) {
            self.acct.dropped_total += bytes;
            self.release_flight(slot);
            return;
        }
        let dest = cx.part[t.to.idx()];
        if dest == self.id {
            self.push_arrive(t.to, from, slot, first, last, cx.local);
        } else {
            let flight = std::mem::take(&mut self.flights[slot as usize].0);
            self.free_flights.push(slot);
            self.outbox[usize::from(dest)].push(Outgoing {
                first,
                last,
                to: t.to,
                from,
                flight,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barrier_releases_everyone_each_round() {
        let b = SpinBarrier::new(3);
        let hits = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 0..200 {
                        hits.fetch_add(1, Ordering::SeqCst);
                        b.wait();
                        // Everyone has counted this round before anyone passes.
                        assert!(hits.load(Ordering::SeqCst) >= 3 * (round + 1));
                        b.wait();
                    }
                });
            }
        });
        assert_eq!(hits.into_inner(), 600);
    }

    /// A thread that panics does not leave the others waiting forever: they panic too.
    #[test]
    fn a_panicking_thread_poisons_the_barrier() {
        let b = SpinBarrier::new(2);
        let r = std::thread::scope(|s| {
            let waiter = s.spawn(|| b.wait());
            let failer = s.spawn(|| {
                let _poison = PoisonOnPanic(&b);
                panic!("deliberate");
            });
            (waiter.join(), failer.join())
        });
        assert!(r.0.is_err() && r.1.is_err());
    }

    /// An RPC slot is one cache line (the point of keeping parts inline).
    #[test]
    fn an_rpc_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<InFlight>(), 64);
        assert_eq!(std::mem::size_of::<Slot>(), 64);
        assert_eq!(std::mem::align_of::<Slot>(), 64);
    }

    #[test]
    fn partitions_are_contiguous_and_balanced() {
        let p = partition(10, 3);
        assert_eq!(p, vec![0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(partition(5, 1), vec![0; 5]);
    }
}
