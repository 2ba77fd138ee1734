//! One simulation run: builds the world from a validated scenario (topology, links, peers,
//! generators), then steps the engine from event to event, feeding peers their inputs and
//! carrying their transmits over the network. Owns the event loop; protocol decisions belong
//! to the peers, byte arithmetic to `rpc`/`net`, counting to `metrics`.

use crate::engine::{EventQueue, WheelQueue};
use crate::ids::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
use crate::message::{Message, MessageTable};
use crate::metrics::accounting::{classify, Cell};
use crate::metrics::{Accounting, Delivery, Direction};
use crate::net::{latency, topology, Network};
use crate::protocol::gossipsub::rpc::rpc_size;
use crate::protocol::gossipsub::{Peer, PeerEvent, RpcPart, WireCtx};
use crate::rng::Streams;
use crate::scenario::{LatencySpec, Scenario, Selector};
use crate::traffic::Generator;
use std::sync::Arc;

/// An event. Small and `Copy`: the queue holds millions.
#[derive(Clone, Copy, Debug)]
enum Event {
    Heartbeat(PeerId),
    /// The first byte of the RPC in `slot` reaches `to`'s downlink; its last byte at `last`.
    Arrive {
        to: PeerId,
        from: PeerId,
        slot: u32,
        last: SimTime,
    },
    /// The RPC in `slot` has fully arrived at `to`.
    Deliver {
        to: PeerId,
        from: PeerId,
        slot: u32,
    },
    /// `peer` finished validating `msg`.
    Validated {
        peer: PeerId,
        msg: MsgIdx,
    },
    /// Traffic generator `gen` publishes.
    Publish {
        gen: u16,
    },
}

/// An RPC on the wire.
#[derive(Default)]
struct InFlight {
    parts: Vec<RpcPart>,
    shares: Vec<u32>,
    /// Transport overhead bytes (its own accounting kind).
    overhead: u32,
    /// Bytes on the wire: RPC + overhead.
    bytes: u64,
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
}

/// Called every so many events with the simulated time, for progress display.
pub type Progress<'a> = &'a mut dyn FnMut(SimTime, u64);

pub struct Sim {
    sc: Arc<Scenario>,
    now: SimTime,
    queue: WheelQueue<Event>,
    peers: Vec<Peer>,
    net: Network,
    gens: Vec<Generator>,
    msgs: MessageTable,
    topic_len: Vec<u32>,
    flights: Vec<InFlight>,
    free_flights: Vec<u32>,
    acct: Accounting,
    delivery: Delivery,
    received: Vec<u64>,
    duplicates: Vec<u64>,
    world: World,
    events: u64,
    scratch_shares: Vec<u32>,
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

impl Sim {
    pub fn new(sc: Arc<Scenario>) -> Result<Sim, SimError> {
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
        let links: Vec<(u32, u32, SimTime)> = graph
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
        let up = node_class
            .iter()
            .map(|&c| sc.node_classes[c as usize].upload_bps)
            .collect();
        let down = node_class
            .iter()
            .map(|&c| sc.node_classes[c as usize].download_bps)
            .collect();
        let net = Network::new(n, &links, up, down, sc.loss, st.stream("loss", 0));

        let cfg = Arc::new(sc.gossipsub.clone());
        let topics = sc.topics.len();
        let mut phase_rng = st.stream("heartbeat_phase", 0);
        let hb = cfg.heartbeat_interval.0;
        let mut peers: Vec<Peer> = (0..n)
            .map(|v| {
                let first = SimTime(rand::Rng::gen_range(&mut phase_rng, 0..hb));
                Peer::new(
                    PeerId(v),
                    cfg.clone(),
                    st.stream("peer_mesh", u64::from(v)),
                    st.stream("peer_traffic", u64::from(v)),
                    topics,
                    first,
                )
            })
            .collect();
        let mut queue = WheelQueue::default();
        for p in &peers {
            queue.push(p.poll_timeout(), Event::Heartbeat(p.id()));
        }
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
        for (k, g) in gens.iter().enumerate() {
            if g.next_at() < sc.measure_end() {
                queue.push(g.next_at(), Event::Publish { gen: k as u16 });
            }
        }
        let degrees = graph.degrees();
        let components = graph.components();
        let acct = Accounting::new(n as usize, sc.traffic.len(), topics);
        let topic_len = sc.topics.iter().map(|t| t.name.len() as u32).collect();
        let mut sim = Sim {
            now: SimTime::ZERO,
            queue,
            peers: Vec::new(),
            net,
            gens,
            msgs: MessageTable::default(),
            topic_len,
            flights: Vec::new(),
            free_flights: Vec::new(),
            acct,
            delivery: Delivery::default(),
            received: vec![0; n as usize],
            duplicates: vec![0; n as usize],
            world: World {
                node_class,
                region,
                degrees,
                components,
                subscribed,
            },
            events: 0,
            scratch_shares: Vec::new(),
            sc,
        };
        // t = 0: every connection opens, then every node joins its topics.
        for &(a, b) in &graph.edges {
            peers[a as usize].handle_connected(SimTime::ZERO, PeerId(b), true);
            peers[b as usize].handle_connected(SimTime::ZERO, PeerId(a), false);
        }
        for (t, mask) in sim.world.subscribed.iter().enumerate() {
            for (v, &on) in mask.iter().enumerate() {
                if on {
                    peers[v].handle_subscribe(SimTime::ZERO, TopicId(t as u16));
                }
            }
        }
        sim.peers = peers;
        for v in 0..n {
            sim.drain(PeerId(v));
        }
        Ok(sim)
    }

    fn measuring(&self, t: SimTime) -> bool {
        t >= self.sc.warmup && t < self.sc.measure_end()
    }

    /// Runs to the end of the scenario.
    pub fn run(mut self, progress: Progress<'_>) -> RunOutput {
        let end = self.sc.end();
        while let Some((t, ev)) = self.queue.pop() {
            if t > end {
                self.queue.push(t, ev); // keep it for the in-flight count
                break;
            }
            debug_assert!(t >= self.now, "time never goes backwards");
            self.now = t;
            self.events += 1;
            if self.events & 0xFFFF == 0 {
                progress(t, self.events);
            }
            match ev {
                Event::Heartbeat(p) => {
                    self.peers[p.idx()].handle_heartbeat(t, &self.msgs);
                    self.drain(p);
                    let next = self.peers[p.idx()].poll_timeout();
                    self.queue.push(next, Event::Heartbeat(p));
                }
                Event::Arrive {
                    to,
                    from,
                    slot,
                    last,
                } => {
                    let bytes = self.flights[slot as usize].bytes;
                    let done = self.net.receive(t, to, bytes, last);
                    self.queue.push(done, Event::Deliver { to, from, slot });
                }
                Event::Deliver { to, from, slot } => self.deliver(to, from, slot),
                Event::Validated { peer, msg } => {
                    self.peers[peer.idx()].handle_validated(t, msg, &self.msgs);
                    self.drain(peer);
                }
                Event::Publish { gen } => self.publish(gen),
            }
        }
        progress(self.now.min(end), self.events);
        self.finish(end)
    }

    fn publish(&mut self, gen: u16) {
        let now = self.now;
        let g = &mut self.gens[gen as usize];
        let (who, payload) = g.fire();
        let (class, topic) = (g.class, g.topic);
        if g.next_at() < self.sc.measure_end() {
            self.queue.push(g.next_at(), Event::Publish { gen });
        }
        let payload = payload as u32;
        let m = self.msgs.push(Message {
            topic,
            class,
            publisher: who,
            published_at: now,
            payload_len: payload,
            data_len: self.sc.wire.data_len(payload),
        });
        let mask = &self.world.subscribed[topic.idx()];
        let expected = mask.iter().filter(|&&s| s).count() as u32 - u32::from(mask[who.idx()]);
        self.delivery.on_publish(m, expected, self.measuring(now));
        self.peers[who.idx()].handle_publish(now, m, &self.msgs);
        self.drain(who);
    }

    fn deliver(&mut self, to: PeerId, from: PeerId, slot: u32) {
        let now = self.now;
        let measuring = self.measuring(now);
        let f = &self.flights[slot as usize];
        let peer = &mut self.peers[to.idx()];
        let mut total = u64::from(f.overhead);
        for (part, &share) in f.parts.iter().zip(&f.shares) {
            let dup = match *part {
                RpcPart::Message { msg, .. } if peer.is_duplicate(now, msg) => {
                    self.duplicates[to.idx()] += 1;
                    self.delivery.on_duplicate(msg);
                    true
                }
                _ => false,
            };
            if measuring {
                let cell = classify(part, dup, &self.msgs);
                self.acct.add(to, Direction::In, cell, u64::from(share));
            }
            total += u64::from(share);
        }
        if measuring && f.overhead > 0 {
            self.acct
                .add(to, Direction::In, Cell::TRANSPORT, u64::from(f.overhead));
        }
        self.acct.received_total += total;
        let parts = std::mem::take(&mut self.flights[slot as usize].parts);
        self.peers[to.idx()].handle_rpc(now, from, &parts, &self.msgs);
        self.flights[slot as usize].parts = parts;
        self.free_flights.push(slot);
        self.drain(to);
    }

    /// Carries out everything peer `p` wants to do now: transmits onto the network, events
    /// into metrics and validation.
    fn drain(&mut self, p: PeerId) {
        loop {
            while let Some(t) = self.peers[p.idx()].poll_transmit() {
                self.send(p, t);
            }
            let Some(ev) = self.peers[p.idx()].poll_event() else {
                break;
            };
            match ev {
                PeerEvent::Received { msg, hops, .. } => {
                    self.received[p.idx()] += 1;
                    let lat = self.now.saturating_sub(self.msgs.get(msg).published_at);
                    self.delivery.on_first_arrival(msg, lat, hops);
                }
                PeerEvent::Validate { msg } => {
                    if self.sc.validation_delay == SimTime::ZERO {
                        self.peers[p.idx()].handle_validated(self.now, msg, &self.msgs);
                    } else {
                        self.queue.push(
                            self.now + self.sc.validation_delay,
                            Event::Validated { peer: p, msg },
                        );
                    }
                }
            }
        }
    }

    fn send(&mut self, from: PeerId, t: crate::protocol::gossipsub::Transmit) {
        let now = self.now;
        let measuring = self.measuring(now);
        let slot = self.free_flights.pop().unwrap_or_else(|| {
            self.flights.push(InFlight::default());
            (self.flights.len() - 1) as u32
        });
        let parts = self.peers[from.idx()].transmit_parts(&t);
        let ctx = WireCtx {
            topic_len: &self.topic_len,
            msgs: &self.msgs,
        };
        let mut shares = std::mem::take(&mut self.scratch_shares);
        let size = rpc_size(parts, &ctx, &mut shares);
        let overhead = self.sc.transport.overhead(size);
        let f = &mut self.flights[slot as usize];
        f.parts.clear();
        f.parts.extend_from_slice(parts);
        std::mem::swap(&mut f.shares, &mut shares);
        f.overhead = overhead;
        let bytes = u64::from(size) + u64::from(overhead);
        f.bytes = bytes;
        self.scratch_shares = shares;
        if measuring {
            let f = &self.flights[slot as usize];
            for (part, &share) in f.parts.iter().zip(&f.shares) {
                let cell = classify(part, false, &self.msgs);
                self.acct.add(from, Direction::Out, cell, u64::from(share));
            }
            if overhead > 0 {
                self.acct
                    .add(from, Direction::Out, Cell::TRANSPORT, u64::from(overhead));
            }
        }
        self.acct.sent_total += bytes;
        match self.net.send(now, from, t.to, bytes) {
            Some((first, last)) => self.queue.push(
                first,
                Event::Arrive {
                    to: t.to,
                    from,
                    slot,
                    last,
                },
            ),
            None => {
                self.acct.dropped_total += bytes;
                self.free_flights.push(slot);
            }
        }
    }

    fn finish(mut self, end: SimTime) -> RunOutput {
        let mut in_flight = 0u64;
        while let Some((_, ev)) = self.queue.pop() {
            if let Event::Deliver { slot, .. } | Event::Arrive { slot, .. } = ev {
                in_flight += self.flights[slot as usize].bytes;
            }
        }
        let topics = self.sc.topics.len();
        let mesh = self
            .peers
            .iter()
            .map(|p| {
                (0..topics)
                    .map(|t| {
                        (
                            p.mesh_len(TopicId(t as u16)) as u32,
                            p.topic_peers_len(TopicId(t as u16)) as u32,
                        )
                    })
                    .collect()
            })
            .collect();
        let outbound = self
            .peers
            .iter()
            .map(|p| p.outbound_connections() as u32)
            .collect();
        RunOutput {
            world: self.world,
            acct: self.acct,
            delivery: self.delivery,
            msgs: self.msgs,
            received: self.received,
            duplicates: self.duplicates,
            mesh,
            outbound,
            events: self.events,
            in_flight_end: in_flight,
            end,
        }
    }
}
