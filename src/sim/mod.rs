//! One simulation run: built from a validated scenario ([`build`]), stepped from event to
//! event in partitions ([`partition`], [`parallel`]), then gathered into a [`RunOutput`]
//! (here). The nodes' stacks (`protocol::node`) make every protocol decision; this module
//! only feeds them inputs and carries their transmits over the network.
//!
//! Where to look: `build` makes the world (classes, regions, topology, links, peers,
//! subscriptions, generators, partitions) from the named random `streams`; `services` who
//! serves and stores for whom; `event` holds the events and their order at one instant;
//! `partition` the event loop and the one wire path (send, `transmit`, arrival, delivery);
//! `drive` what a stack's outputs become; `flight` the RPCs on the wire; `waku` the nodes'
//! service and store links; `publisher` the traffic; `parallel` windows and hand-over
//! between threads; `shortcuts` what is settled on arrival without a delivery event
//! (`carries` what an RPC holds for it); `prefetch` cache hints. `tests/layers.rs` lists the
//! files bottom to top (`SIM_FILES`): a file names only files below it.
//!
//! The output does not depend on the number of partitions: events of one instant are ordered
//! by a key derived from what they are, never by which thread pushed first; each peer's
//! state and draws are its own; loss is a pure function of (sender, transmission count);
//! and every shared counter is a sum or a maximum. Nor does it depend on the shortcuts.

mod build;
mod carries;
mod conns;
mod drive;
mod event;
mod flight;
mod forward;
mod parallel;
mod partition;
mod prefetch;
mod publisher;
mod services;
mod shortcuts;
mod streams;
mod waku;

pub use build::{connections, peering, Peering, TopicPeering};
pub use streams::Stream;

use crate::engine::EventQueue;
use crate::ids::{PeerId, SimTime, TopicId};
use crate::message::MessageTable;
use crate::metrics::{Accounting, Delivery};
use crate::net::topology;
use crate::scenario::Scenario;
use partition::Partition;
use publisher::Publisher;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Topology(#[from] topology::TopologyError),
    /// Light clients could not all be given their service nodes.
    #[error("service nodes: {0}")]
    Service(String),
}

/// How a run is stepped. Nothing here changes a result byte (the event count aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Threads, at least 1 (the run is cut into at most that many partitions).
    pub threads: usize,
    /// Settle on arrival what needs no delivery event (see `shortcuts`); off, every RPC
    /// takes the plain path.
    pub shortcuts: bool,
}

impl Options {
    /// `threads` threads, shortcuts on.
    pub fn threads(threads: usize) -> Self {
        Options {
            threads,
            shortcuts: true,
        }
    }
}

/// Static facts about the built world, for the report.
pub struct World {
    pub node_class: Vec<u16>,
    pub region: Vec<u16>,
    pub degrees: Vec<u32>,
    pub components: usize,
    /// Per topic: components of the connections among its nodes.
    pub topic_components: Vec<usize>,
    /// Per node: whether it relays (light clients do not).
    pub relay: Vec<bool>,
    /// Per topic × node: whether the node relays the topic (is in its mesh).
    pub relaying: Vec<Vec<bool>>,
    /// Per topic × node class: the class's nodes in the topic.
    pub class_subscribers: Vec<u32>,
    /// The same, of the nodes that relay the topic (a class with `to = "relays"` reaches
    /// only them).
    pub class_relays: Vec<u32>,
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
    /// Per topic: components of its nodes' meshes at the end (a mesh link either way joins).
    pub mesh_components: Vec<usize>,
    pub outbound: Vec<u32>,
    /// Each store node (by id): its load.
    pub stores: Vec<StoreLoad>,
    pub events: u64,
    pub in_flight_end: u64,
    pub end: SimTime,
    /// How the run was cut: partitions and the window length between barriers.
    pub partitions: usize,
    pub lookahead: SimTime,
}

/// What a store node carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLoad {
    pub node: PeerId,
    /// Messages in its archive at the end.
    pub archived: u64,
    /// Query pages answered and hashes sent while measuring.
    pub pages: u64,
    pub hashes: u64,
}

/// Called after each window with the simulated time and events so far, for progress display.
pub type Progress<'a> = &'a mut dyn FnMut(SimTime, u64);

/// A built run, ready to step.
pub struct Sim {
    sc: Arc<Scenario>,
    publisher: Publisher,
    msgs: MessageTable,
    layout: partition::Layout,
    parts: Vec<Partition>,
    lookahead: SimTime,
    world: World,
}

impl Sim {
    /// Builds the world, to be stepped on `threads` threads (at least 1), shortcuts on. The
    /// results do not depend on `threads`.
    pub fn new(sc: Arc<Scenario>, threads: usize) -> Result<Sim, SimError> {
        Self::with_options(sc, Options::threads(threads))
    }

    /// Partitions the run is cut into (threads actually used).
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Runs to the end of the scenario.
    pub fn run(mut self, progress: Progress<'_>) -> RunOutput {
        let end = self.sc.end();
        if self.parts.len() == 1 {
            self.run_one(progress);
        } else {
            self.run_parallel(progress);
        }
        self.finish(end)
    }

    /// Components of topic `t`'s meshes among its relays, as the peers hold them now.
    fn mesh_components(&self, t: TopicId) -> usize {
        let n = self.sc.nodes;
        let mut sets = petgraph::unionfind::UnionFind::<u32>::new(n as usize);
        for s in &self.parts {
            for (i, v) in s.nodes.iter().enumerate() {
                for u in s.stacks.relay(i).into_iter().flat_map(|p| p.mesh(t)) {
                    sets.union(v.0, u.0);
                }
            }
        }
        let mask = &self.world.relaying[t.idx()];
        let mut roots: Vec<u32> = (0..n)
            .filter(|&v| mask[v as usize])
            .map(|v| sets.find(v))
            .collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
    }

    /// Gathers the partitions' counts into one output, node by node in id order.
    fn finish(mut self, end: SimTime) -> RunOutput {
        let n = self.sc.nodes as usize;
        let topics = self.sc.topics.len();
        // One partition holds every node in order: its counters are the run's, moved rather
        // than copied (at 1M nodes they are gigabytes).
        // (What is left in its place has zero totals, so the loop below adds nothing twice.)
        let moved = self.parts.len() == 1;
        let mut acct = if moved {
            std::mem::replace(&mut self.parts[0].acct, Accounting::new(0, &[], 0))
        } else {
            Accounting::new(n, &self.sc.class_topics(), topics)
        };
        let mesh_components = (0..topics)
            .map(|t| self.mesh_components(TopicId(t as u16)))
            .collect::<Vec<_>>();
        let mut delivery = self.publisher.delivery;
        let (mut received, mut duplicates) = (vec![0u64; n], vec![0u64; n]);
        let mut mesh: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut outbound = vec![0u32; n];
        let mut stores = Vec::new();
        let (mut events, mut in_flight) = (0u64, 0u64);
        let partitions = self.parts.len();
        let cx = partition::Ctx::new(&self.sc, &self.layout, &self.msgs);
        for mut s in self.parts {
            while let Some((_, ev)) = s.queue.pop() {
                in_flight += s.in_flight(&ev, &cx);
            }
            events += s.events;
            acct.add_totals(&s.acct);
            delivery.merge(&s.delivery);
            for (i, v) in s.nodes.iter().enumerate() {
                let p = s.stacks.relay(i);
                if !moved {
                    acct.copy_node(*v, &s.acct, PeerId(i as u32));
                }
                received[v.idx()] = s.tally[i].received;
                duplicates[v.idx()] = s.tally[i].duplicates;
                mesh[v.idx()] = (0..topics)
                    .map(|t| {
                        let t = TopicId(t as u16);
                        p.map_or((0, 0), |p| {
                            (p.mesh_len(t) as u32, p.topic_peers_len(t) as u32)
                        })
                    })
                    .collect();
                outbound[v.idx()] = p.map_or(0, |p| p.outbound_connections() as u32);
                if let Some((archived, (pages, hashes))) = s.store_load(i) {
                    stores.push(StoreLoad {
                        node: *v,
                        archived,
                        pages,
                        hashes,
                    });
                }
            }
        }
        stores.sort_unstable_by_key(|s| s.node);
        RunOutput {
            world: self.world,
            mesh_components,
            acct,
            delivery,
            msgs: self.msgs,
            received,
            duplicates,
            mesh,
            outbound,
            stores,
            events,
            in_flight_end: in_flight,
            end,
            partitions,
            lookahead: self.lookahead,
        }
    }
}
