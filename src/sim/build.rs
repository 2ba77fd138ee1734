//! World building: from a validated scenario to the partitions of a run, in named steps
//! (node classes and regions, topology, link latencies, the cut into partitions, peers,
//! subscriptions, traffic generators, the connections and joins at t = 0). Owns the order
//! of the draws: each step draws from its own named stream ([`Stream`]), so that changing
//! one part of a scenario does not shift the draws of another.

use super::conns::SlotTable;
use super::parallel::{cut_latency, hand_over, partition, MAX_WINDOW, MIN_WINDOW};
use super::partition::{Ctx, Layout, Partition};
use super::publisher::Publisher;
use super::services;
use super::streams::Stream;
use super::waku::WakuLinks;
use super::{Options, Sim, SimError, World};
use crate::ids::{ClassId, PeerId, SimTime, TopicId};
use crate::message::MessageTable;
use crate::metrics::{Accounting, Delivery};
use crate::net::topology::{self, Graph, Shards};
use crate::net::{latency, Interfaces, Links};
use crate::protocol::gossipsub::{GossipsubConfig, HeartbeatPhase, Peer};
use crate::protocol::node::Stacks;
use crate::protocol::waku::WakuNode;
use crate::rng::{SimRng, Streams};
use crate::scenario::{Audience, LatencySpec, Scenario, Selector, TopologySpec};
use crate::traffic::Generator;
use std::sync::Arc;

/// Who every node is: its class and its region.
struct Nodes {
    class: Vec<u16>,
    region: Vec<u16>,
}

impl Nodes {
    fn draw(sc: &Scenario, st: &Streams) -> Nodes {
        let n = sc.nodes;
        let weights: Vec<f64> = sc.node_classes.iter().map(|c| c.share).collect();
        let class = latency::assign(n, &weights, &mut Stream::NodeClasses.of(st, 0));
        let region = match &sc.latency {
            LatencySpec::Regions { weights, .. }
                if sc.node_classes.iter().all(|c| c.regions.is_none()) =>
            {
                latency::assign(n, weights, &mut Stream::Regions.of(st, 0))
            }
            LatencySpec::Regions { weights, .. } => {
                Self::regions_by_class(sc, &class, weights, &mut Stream::Regions.of(st, 0))
            }
            _ => vec![0; n as usize],
        };
        Nodes { class, region }
    }

    /// Regions drawn class by class, each class's nodes following its own weights (the
    /// scenario's where it sets none), in random order within the class.
    fn regions_by_class(
        sc: &Scenario,
        class: &[u16],
        scenario: &[f64],
        rng: &mut SimRng,
    ) -> Vec<u16> {
        let mut region = vec![0u16; class.len()];
        for (c, nc) in sc.node_classes.iter().enumerate() {
            let w = nc.regions.as_deref().unwrap_or(scenario);
            let mut drawn = latency::assign(nc.count, w, rng).into_iter();
            for (v, _) in class
                .iter()
                .enumerate()
                .filter(|(_, &k)| usize::from(k) == c)
            {
                region[v] = drawn.next().expect("a class's count is its nodes");
            }
        }
        region
    }
}

/// Each node's (outbound, max_connections) when classes dial differently from the topology
/// (empty when none does: every node then takes the topology's).
fn dial_limits(sc: &Scenario, node_class: &[u16]) -> Vec<(u32, u32)> {
    let Some(topology) = sc.topology.dials() else {
        return Vec::new();
    };
    let own = |c: &crate::scenario::NodeClass| {
        c.dial
            .expect("validated: where nodes dial every class has its dials")
    };
    if sc.node_classes.iter().all(|c| own(c) == topology) {
        return Vec::new();
    }
    node_class
        .iter()
        .map(|&c| own(&sc.node_classes[c as usize]))
        .collect()
}

/// Per topic × class: how many of the class's nodes are in the topic.
fn class_subscribers(sc: &Scenario, node_class: &[u16], subscribed: &[Vec<bool>]) -> Vec<u32> {
    let classes = sc.node_classes.len();
    let mut n = vec![0u32; subscribed.len() * classes];
    for (t, mask) in subscribed.iter().enumerate() {
        for (v, _) in mask.iter().enumerate().filter(|(_, &on)| on) {
            n[t * classes + usize::from(node_class[v])] += 1;
        }
    }
    n
}

/// Per topic, the connected components its nodes make of the connections between them.
pub(super) fn topic_components(graph: &Graph, subscribed: &[Vec<bool>]) -> Vec<usize> {
    subscribed
        .iter()
        .map(|mask| {
            let members: Vec<u32> = (0..graph.nodes).filter(|&v| mask[v as usize]).collect();
            graph.components_among(&members)
        })
        .collect()
}

/// Each edge of the graph with its one-way latency.
fn draw_links(sc: &Scenario, graph: &Graph, region: &[u16], st: &Streams) -> Links {
    let mut rng = Stream::Latency.of(st, 0);
    let list: Vec<(u32, u32, SimTime)> = graph
        .edges
        .iter()
        .map(|&(a, b)| {
            let (ra, rb) = (region[a as usize], region[b as usize]);
            (a, b, latency::sample(&sc.latency, ra, rb, &mut rng))
        })
        .collect();
    Links::new(sc.nodes, &list)
}

/// How the nodes are cut: each node's partition and the window length. A cut whose shortest
/// link is below [`MIN_WINDOW`] (zero included) is not stepped in parallel: one partition.
fn cut(n: usize, threads: usize, links: &Links) -> (Vec<u16>, SimTime) {
    let part = partition(n, threads.clamp(1, n));
    match cut_latency(links, &part).map_or(MAX_WINDOW, |l| l.min(MAX_WINDOW)) {
        short if short < MIN_WINDOW => (vec![0; n], MAX_WINDOW),
        lookahead => (part, lookahead),
    }
}

/// Every relay's peer, running its class's parameters, its first heartbeat its initial
/// delay after start plus its phase (drawn within one of its intervals, or none when
/// aligned). `None` for a light node, and once moved into its partition.
fn make_peers(sc: &Scenario, node_class: &[u16], st: &Streams) -> Vec<Option<Peer>> {
    let cfgs: Vec<Arc<GossipsubConfig>> = sc
        .node_classes
        .iter()
        .map(|c| Arc::new(c.gossipsub.clone()))
        .collect();
    let mut phase = Stream::HeartbeatPhase.of(st, 0);
    (0..sc.nodes)
        .map(|v| {
            let cfg = &cfgs[node_class[v as usize] as usize];
            // Drawn for every node, aligned or not, so that one class's phase rule never
            // shifts another's draws.
            let offset = rand::Rng::gen_range(&mut phase, 0..cfg.heartbeat_interval.0);
            let offset = match cfg.heartbeat_phase {
                HeartbeatPhase::Random => offset,
                HeartbeatPhase::Aligned => 0,
            };
            let first = cfg.heartbeat_initial_delay.saturating_add(SimTime(offset));
            let class = &sc.node_classes[node_class[v as usize] as usize];
            class.role.relays().then(|| {
                Peer::new(
                    PeerId(v),
                    cfg.clone(),
                    Stream::PeerMesh.of(st, u64::from(v)),
                    Stream::PeerTraffic.of(st, u64::from(v)),
                    sc.topics.len(),
                    first,
                )
            })
        })
        .collect()
}

/// The nodes a selector picks among `pool` (sorted), `k` of them for a fraction, sorted.
fn select(
    sel: &Selector,
    pool: &[PeerId],
    k: u32,
    node_class: &[u16],
    rng: &mut SimRng,
) -> Vec<PeerId> {
    match sel {
        Selector::All => pool.to_vec(),
        Selector::Classes(cs) => pool
            .iter()
            .copied()
            .filter(|v| cs.contains(&usize::from(node_class[v.idx()])))
            .collect(),
        Selector::Fraction(_) => {
            let mut v: Vec<PeerId> = rand::seq::index::sample(rng, pool.len(), k as usize)
                .into_iter()
                .map(|i| pool[i])
                .collect();
            v.sort_unstable();
            v
        }
    }
}

/// Per topic, which nodes are in it: every node of a class that lists it, and what its
/// subscriber rule picks among the nodes of the classes that list none.
fn subscriptions(sc: &Scenario, node_class: &[u16], st: &Streams) -> Vec<Vec<bool>> {
    let own = |v: usize| sc.node_classes[node_class[v] as usize].topics.as_ref();
    let pool: Vec<PeerId> = (0..sc.nodes)
        .filter(|&v| own(v as usize).is_none())
        .map(PeerId)
        .collect();
    (0..sc.topics.len())
        .map(|t| {
            let id = TopicId(t as u16);
            let mut mask: Vec<bool> = (0..sc.nodes as usize)
                .map(|v| own(v).is_some_and(|ts| ts.contains(&id)))
                .collect();
            let mut rng = Stream::TopicSubscribers.of(st, t as u64);
            let rule = &sc.topics[t].subscribers;
            let k = crate::scenario::rule_picks(&sc.node_classes, rule);
            for p in select(rule, &pool, k, node_class, &mut rng) {
                mask[p.idx()] = true;
            }
            mask
        })
        .collect()
}

/// One generator per traffic class, over its publishers.
fn generators(sc: &Scenario, node_class: &[u16], st: &Streams) -> Vec<Generator> {
    let all: Vec<PeerId> = (0..sc.nodes).map(PeerId).collect();
    sc.traffic
        .iter()
        .enumerate()
        .map(|(k, tc)| {
            let mut rng = Stream::Publishers.of(st, k as u64);
            let pubs = select(
                &tc.publishers,
                &all,
                sc.selected(&tc.publishers),
                node_class,
                &mut rng,
            );
            let rng = Stream::Traffic.of(st, k as u64);
            Generator::new(ClassId(k as u16), tc.topic, tc.pattern(), pubs, rng)
        })
        .collect()
}

/// t = 0: every connection opens (the first end of an edge dials), then every node joins
/// its topics.
fn open_connections(peers: &mut [Option<Peer>], graph: &Graph, subscribed: &[Vec<bool>]) {
    fn peer(peers: &mut [Option<Peer>], v: usize) -> &mut Peer {
        peers[v].as_mut().expect("built before t = 0")
    }
    for &(a, b) in &graph.edges {
        peer(peers, a as usize).handle_connected(SimTime::ZERO, PeerId(b), true);
        peer(peers, b as usize).handle_connected(SimTime::ZERO, PeerId(a), false);
    }
    for (t, mask) in subscribed.iter().enumerate() {
        for (v, &on) in mask.iter().enumerate() {
            if on {
                peer(peers, v).handle_subscribe(SimTime::ZERO, TopicId(t as u16));
            }
        }
    }
}

/// Moves the peers into partitions of `members` (each partition's nodes, in id order) with
/// their Waku machines (`waku` gives those of a partition's nodes, with their links), their
/// connection rows, interfaces and counters.
fn make_partitions(
    sc: &Scenario,
    members: Vec<Vec<PeerId>>,
    mut peers: Vec<Option<Peer>>,
    links: &Links,
    node_class: &[u16],
    mut waku: impl FnMut(&[PeerId]) -> (Vec<Option<WakuNode>>, WakuLinks),
    opts: Options,
) -> Vec<Partition> {
    let tables: Vec<SlotTable> = members
        .iter()
        .map(|nodes| SlotTable::new(nodes, &peers, links))
        .collect();
    let count = members.len();
    let class_of = |v: &PeerId| &sc.node_classes[node_class[v.idx()] as usize];
    members
        .into_iter()
        .zip(tables)
        .enumerate()
        .map(|(id, (nodes, conns))| {
            let (machines, links) = waku(&nodes);
            let mine = Stacks::new(
                nodes
                    .iter()
                    .zip(machines)
                    .map(|(v, w)| (peers[v.idx()].take(), w)),
            );
            let up = nodes.iter().map(|v| class_of(v).upload_bps).collect();
            let down = nodes.iter().map(|v| class_of(v).download_bps).collect();
            let acct = Accounting::new(nodes.len(), &sc.class_topics(), sc.topics.len());
            let ifs = Interfaces::new(up, down);
            let class = nodes.iter().map(|v| node_class[v.idx()]).collect();
            let (topics, classes) = (sc.topics.len(), sc.node_classes.len());
            let mut p = Partition::new(id as u16, nodes, mine, conns, ifs, acct, count)
                .with_classes(class, topics, classes)
                .with_waku(links)
                .with_shortcuts(opts.shortcuts);
            p.queue_heartbeats();
            p
        })
        .collect()
}

/// What a world is built on: who the nodes are, which topics they receive, which of them
/// relay, and how the relays connect.
struct Base {
    nodes: Nodes,
    /// Per topic: who receives it (relays in it and light clients that follow it).
    subscribed: Vec<Vec<bool>>,
    /// Per node: whether it relays.
    relay: Vec<bool>,
    graph: Graph,
}

impl Base {
    /// Per topic, the relays in it (the mesh's nodes): `subscribed` when every node relays
    /// every topic it is in.
    fn relays_in(&self, sc: &Scenario) -> std::borrow::Cow<'_, [Vec<bool>]> {
        let all = sc
            .node_classes
            .iter()
            .all(|c| c.role.relays() && c.role.light_topics().is_empty());
        if all {
            return std::borrow::Cow::Borrowed(&self.subscribed);
        }
        let masks = self.subscribed.iter().enumerate().map(|(t, m)| {
            let t = TopicId(t as u16);
            let on: Vec<bool> = sc.node_classes.iter().map(|c| c.relays_on(t)).collect();
            m.iter()
                .zip(&self.nodes.class)
                .map(|(&s, &c)| s && on[usize::from(c)])
                .collect()
        });
        std::borrow::Cow::Owned(masks.collect())
    }
}

/// The first steps of building a run: node classes and regions, topics, and the relays'
/// connections (a light node has none: it dials and accepts nothing).
fn connect(sc: &Scenario, st: &Streams) -> Result<Base, SimError> {
    let nodes = Nodes::draw(sc, st);
    let subscribed = subscriptions(sc, &nodes.class, st);
    let relay = nodes
        .class
        .iter()
        .map(|&c| sc.node_classes[usize::from(c)].role.relays())
        .collect();
    let mut base = Base {
        nodes,
        subscribed,
        relay,
        graph: Graph {
            nodes: sc.nodes,
            edges: Vec::new(),
        },
    };
    let shards = match sc.topology {
        TopologySpec::ShardAware { .. } => Shards::from_masks(sc.nodes, &base.relays_in(sc)),
        _ => Shards::default(),
    };
    base.graph = topology::build(
        &sc.topology,
        sc.nodes,
        &dial_limits(sc, &base.nodes.class),
        &shards,
        &mut Stream::Topology.of(st, 0),
    )?;
    Ok(base)
}

/// How a topic's nodes are connected, as a run of the scenario would connect them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPeering {
    pub nodes: u32,
    /// Connected components of the connections among its nodes (1: it can form one mesh).
    pub components: usize,
}

/// How the relays are connected, as a run of the scenario would connect them.
#[derive(Debug, Clone, PartialEq)]
pub struct Peering {
    pub connections: usize,
    /// Connections per node: fewest, mean, most (light nodes, which have none, left out).
    pub degree: (u32, f64, u32),
    /// Per topic, how its relays are connected.
    pub topics: Vec<TopicPeering>,
}

/// The peering, without building the rest of a run (for `validate`): the same draws as a
/// run, so the same graph, and every step of building that can refuse a scenario (the
/// topology, the light clients' services).
pub fn peering(sc: &Scenario) -> Result<Peering, SimError> {
    let st = Streams::new(sc.seed);
    let base = connect(sc, &st)?;
    services::assign(sc, &base.nodes.class, &st)?;
    let relays = base.relays_in(sc);
    let degrees: Vec<u32> = base
        .graph
        .degrees()
        .into_iter()
        .zip(&base.relay)
        .filter_map(|(d, &r)| r.then_some(d))
        .collect();
    let mean = f64::from(degrees.iter().sum::<u32>()) / degrees.len().max(1) as f64;
    let topics = relays
        .iter()
        .zip(topic_components(&base.graph, &relays))
        .map(|(mask, components)| TopicPeering {
            nodes: mask.iter().filter(|&&s| s).count() as u32,
            components,
        })
        .collect();
    Ok(Peering {
        connections: base.graph.edges.len(),
        degree: (
            degrees.iter().copied().min().unwrap_or(0),
            mean,
            degrees.iter().copied().max().unwrap_or(0),
        ),
        topics,
    })
}

/// The relays' connections a run of `sc` opens at t = 0, (dialer, listener) in the order
/// they open (what `topology.kind = "file"` replays).
pub fn connections(sc: &Scenario) -> Result<Graph, SimError> {
    Ok(connect(sc, &Streams::new(sc.seed))?.graph)
}

/// `links` with the service and store links that are no relay connection added.
fn with_fresh(nodes: u32, links: Links, fresh: &[(u32, u32, SimTime)]) -> Links {
    if fresh.is_empty() {
        return links;
    }
    let mut all: Vec<(u32, u32, SimTime)> = links.iter().map(|(a, b, l)| (a.0, b.0, l)).collect();
    all.extend_from_slice(fresh);
    Links::new(nodes, &all)
}

/// Each partition's nodes, in id order, and each node's index in its partition.
fn members(part: &[u16]) -> (Vec<Vec<PeerId>>, Vec<u32>) {
    let count = part.iter().map(|&p| p as usize + 1).max().unwrap_or(1);
    let mut local = vec![0u32; part.len()];
    let mut members: Vec<Vec<PeerId>> = vec![Vec::new(); count];
    for (v, &p) in part.iter().enumerate() {
        let m = &mut members[p as usize];
        local[v] = m.len() as u32;
        m.push(PeerId(v as u32));
    }
    (members, local)
}

impl Sim {
    /// Builds the world, to be stepped as `opts` says. The results depend on neither.
    pub fn with_options(sc: Arc<Scenario>, opts: Options) -> Result<Sim, SimError> {
        let st = Streams::new(sc.seed);
        let n = sc.nodes as usize;
        let base = connect(&sc, &st)?;
        let services = services::assign(&sc, &base.nodes.class, &st)?;
        let stores = services::stores(&sc, &base.nodes.class, &st);
        let links = draw_links(&sc, &base.graph, &base.nodes.region, &st);
        let (service_links, fresh) =
            services::links(&sc, &services, &stores, &links, &base.nodes.region, &st);
        let links = with_fresh(sc.nodes, links, &fresh);
        let (part, lookahead) = cut(n, opts.threads, &links);
        let (members, local) = members(&part);
        let mut peers = make_peers(&sc, &base.nodes.class, &st);
        let gens = generators(&sc, &base.nodes.class, &st);
        let relaying = base.relays_in(&sc).into_owned();
        open_connections(&mut peers, &base.graph, &relaying);
        let topic_components = topic_components(&base.graph, &relaying);
        let mut rows = services::rows(&sc, &service_links);
        let serves = services::serving(n, &services);
        let limits = services::limits(&sc, &base.nodes.class, &stores);
        let who = services::Roles {
            node_class: &base.nodes.class,
            subscribed: &base.subscribed,
            services: &services,
            serves: &serves,
            stores: &stores,
            limits: &limits,
        };
        let waku = |nodes: &[PeerId]| services::waku_nodes(&sc, nodes, &who, &mut rows, &st);
        let parts = make_partitions(&sc, members, peers, &links, &base.nodes.class, waku, opts);
        drop(links);
        let Base {
            nodes,
            subscribed,
            relay,
            graph,
        } = base;
        let mut sim = Sim {
            publisher: Publisher {
                gens,
                delivery: Delivery::new(sc.topics.len(), sc.node_classes.len()),
            },
            msgs: MessageTable::with_topic_names(
                sc.topics.iter().map(|t| t.name.len() as u32).collect(),
            ),
            layout: Layout {
                topic_len: sc.topics.iter().map(|t| t.name.len() as u32).collect(),
                to_light: sc.traffic.iter().map(|c| c.to == Audience::All).collect(),
                part,
                local,
            },
            parts,
            lookahead,
            world: World {
                degrees: graph.degrees(),
                components: {
                    let relays: Vec<u32> = (0..sc.nodes).filter(|&v| relay[v as usize]).collect();
                    graph.components_among(&relays)
                },
                topic_components,
                class_subscribers: class_subscribers(&sc, &nodes.class, &subscribed),
                class_relays: class_subscribers(&sc, &nodes.class, &relaying),
                node_class: nodes.class,
                region: nodes.region,
                subscribed,
                relaying,
                relay,
            },
            sc,
        };
        drop(graph);
        sim.send_joins();
        Ok(sim)
    }

    /// Puts on the network what the connections and joins at t = 0 made each peer send.
    fn send_joins(&mut self) {
        let cx = Ctx::new(&self.sc, &self.layout, &self.msgs);
        for s in &mut self.parts {
            s.start(&cx);
        }
        hand_over(&mut self.parts, &self.layout.part, &self.layout.local);
    }
}
