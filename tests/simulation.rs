//! Whole-run properties: exact transmission counts on a static d-regular mesh, delivery to
//! every subscriber without loss, byte conservation, determinism, stream independence.

use gossipsim::metrics::{Direction, Kind};
use gossipsim::output::{render_files, Summary};
use gossipsim::scenario::parse_str;
use gossipsim::{PeerId, Scenario, Sim, SimTime, TopicId};
use proptest::prelude::*;
use std::sync::Arc;

fn scenario(src: &str) -> Scenario {
    parse_str(src, "test.toml", "test", None).unwrap_or_else(|e| panic!("{e}"))
}

fn run(sc: &Scenario) -> gossipsim::RunOutput {
    Sim::new(Arc::new(sc.clone()), 1)
        .unwrap()
        .run(&mut |_, _| {})
}

fn files(sc: &Scenario) -> Vec<(&'static str, Vec<u8>)> {
    let out = run(sc);
    let s = Summary::new(sc, &out);
    render_files(sc, &out, &s)
}

const STATIC_MESH: &str = r#"
nodes = 300
seed = 3
[time]
warmup = "0s"
duration = "60s"
drain = "10s"
[gossipsub]
preset = "nwaku-2023"
gossip = false
idontwant_threshold = "off"
[topology]
kind = "static_mesh"
degree = 6
[latency]
kind = "uniform"
min = "10ms"
max = "80ms"
[[traffic]]
class = "chat"
rate = "20/hour"
size = "2000B"
"#;

/// The model's case 3: a static d-regular mesh, forward to the d−1 other neighbours, no
/// gossip ⇒ exactly N(d−1)+1 transmissions of every message.
#[test]
fn static_mesh_costs_exactly_n_d_minus_1_plus_1_per_message() {
    for flood in [true, false] {
        let src = STATIC_MESH.replace(
            "gossip = false",
            &format!("gossip = false\nflood_publish = {flood}"),
        );
        let sc = scenario(&src);
        let out = run(&sc);
        let (n, d) = (300u64, 6u64);
        assert!(out.msgs.len() > 50, "enough messages: {}", out.msgs.len());
        for (m, s) in out.delivery.msgs.iter().enumerate() {
            assert_eq!(
                u64::from(s.delivered),
                n - 1,
                "message {m} reaches everyone"
            );
            // Every transmission is received once: first copies + duplicates + the publisher's
            // own copies bounced back do not exist (no one sends to the source).
            assert_eq!(
                u64::from(s.delivered) + s.duplicates,
                n * (d - 1) + 1,
                "message {m} (flood_publish = {flood})"
            );
        }
        // Nothing but payload and SUBSCRIBE crosses the wire: no GRAFT/PRUNE/IHAVE/IWANT.
        for v in 0..300 {
            for (_, k, ..) in out.acct.node_cells(gossipsim::PeerId(v)) {
                assert!(
                    k.is_payload() || k == gossipsim::metrics::Kind::Subscribe,
                    "unexpected {k:?}"
                );
            }
        }
    }
}

const SMALL: &str = r#"
nodes = NODES
seed = SEED
[time]
warmup = "5s"
duration = "40s"
drain = "15s"
[topology]
kind = "random_dial"
outbound = OUT
max_connections = 40
[latency]
kind = "lognormal"
median = "30ms"
sigma = 0.6
[network]
validation_delay = "1ms"
[[traffic]]
class = "chat"
rate = "1/s"
per = "network"
size = "SIZE"
"#;

fn small(nodes: u32, seed: u64, outbound: u32, size: &str) -> Scenario {
    scenario(
        &SMALL
            .replace("NODES", &nodes.to_string())
            .replace("SEED", &seed.to_string())
            .replace("OUT", &outbound.to_string())
            .replace("SIZE", size),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    /// No loss ⇒ every subscriber gets every message.
    #[test]
    fn without_loss_every_subscriber_gets_every_message(nodes in 20u32..120, seed in 0u64..1_000_000, outbound in 3u32..7, big in any::<bool>()) {
        let sc = small(nodes, seed, outbound, if big { "3000B" } else { "200B" });
        let out = run(&sc);
        prop_assume!(out.world.components == 1);
        prop_assert!(out.delivery.msgs.iter().any(|s| s.measured));
        // Messages published after the warm-up (meshes formed); one published at t = 0, before
        // any SUBSCRIBE has arrived, may legitimately miss nodes.
        for (m, s) in out.delivery.msgs.iter().enumerate().filter(|(_, s)| s.measured) {
            prop_assert_eq!(s.delivered, s.expected, "seed {} message {}", seed, m);
        }
    }
}

#[test]
fn bytes_are_conserved_with_loss_and_in_flight() {
    let src = SMALL
        .replace("NODES", "80")
        .replace("SEED", "5")
        .replace("OUT", "4")
        .replace("SIZE", "5KiB")
        .replace("drain = \"15s\"", "drain = \"0s\"")
        .replace(
            "validation_delay = \"1ms\"",
            "validation_delay = \"1ms\"\nloss = 0.05",
        );
    let sc = scenario(&src);
    let out = run(&sc);
    let a = &out.acct;
    assert!(a.dropped_total > 0, "loss drops bytes");
    assert!(
        out.in_flight_end > 0,
        "a run cut short leaves bytes in flight"
    );
    assert_eq!(
        a.sent_total,
        a.received_total + a.dropped_total + out.in_flight_end
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let sc = small(60, 11, 4, "2KiB");
    let a = files(&sc);
    let b = files(&sc);
    assert_eq!(a.len(), b.len());
    for ((na, fa), (nb, fb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(fa == fb, "{na} differs between two runs of the same seed");
    }
    let c = files(&sc.with_seed(12));
    let differs = |name: &str| {
        a.iter().find(|f| f.0 == name).unwrap().1 != c.iter().find(|f| f.0 == name).unwrap().1
    };
    assert!(
        differs("bandwidth.csv") && differs("summary.csv") && differs("latency.csv"),
        "seed 12 must change the results"
    );
}

/// Changing one traffic class's rate shifts neither the topology nor another class's
/// messages, nor the mesh draws (traffic draws come from their own streams).
#[test]
fn traffic_streams_are_independent() {
    let base = r#"
nodes = 100
seed = 21
[time]
warmup = "5s"
duration = "30s"
[[node_class]]
upload = "10Gbit/s"
download = "10Gbit/s"
[[traffic]]
class = "chat"
rate = "RATE"
per = "network"
size = "200B"
[[traffic]]
class = "control"
rate = "2/s"
per = "network"
size = "300B"
"#;
    let a = scenario(&base.replace("RATE", "1/s"));
    let b = scenario(&base.replace("RATE", "3/s"));
    let (oa, ob) = (run(&a), run(&b));
    assert_eq!(oa.world.degrees, ob.world.degrees, "same connections");
    let control = |o: &gossipsim::RunOutput| {
        o.msgs
            .iter()
            .filter(|(_, m)| m.class.0 == 1)
            .map(|(_, m)| (m.published_at, m.publisher))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        control(&oa),
        control(&ob),
        "the control class publishes the same messages"
    );
    let ma = files(&a).into_iter().find(|f| f.0 == "mesh.csv").unwrap().1;
    let mb = files(&b).into_iter().find(|f| f.0 == "mesh.csv").unwrap().1;
    let strip = |v: &[u8]| {
        String::from_utf8_lossy(v)
            .lines()
            .map(|l| l.split(',').skip(2).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&ma), strip(&mb), "same meshes");
}

#[test]
fn smoke_scenario_delivers_everything_and_balances() {
    let sc = gossipsim::scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/smoke.toml"
    )))
    .unwrap();
    let out = run(&sc);
    let s = Summary::new(&sc, &out);
    assert!(s.text.contains("balanced"), "{}", s.text);
    for m in out.delivery.msgs.iter().filter(|m| m.measured) {
        assert_eq!(m.delivered, m.expected);
    }
    for (v, mesh) in out.mesh.iter().enumerate() {
        let deg = mesh[0].0 as usize;
        assert!(
            (4..=8).contains(&deg) || deg == mesh[0].1 as usize,
            "node {v}: mesh {deg} of {} topic peers",
            mesh[0].1
        );
    }
}

/// Two shards: every node relays the community shard; only the fleet relays the control shard,
/// where desktop nodes publish without being subscribed (fanout, or flood to topic peers).
/// Every message reaches every subscriber of its own topic and nobody else, and meshes only
/// hold subscribers.
#[test]
fn several_topics_and_fanout_publishers() {
    for flood in [true, false] {
        let src = format!(
            r#"
nodes = 120
seed = 4
[time]
warmup = "10s"
duration = "40s"
[gossipsub]
flood_publish = {flood}
[topology]
outbound = 6
max_connections = 40
[[node_class]]
name = "desktop"
share = 0.7
[[node_class]]
name = "fleet"
share = 0.3
[[topic]]
name = "/waku/2/rs/16/32"
[[topic]]
name = "/waku/2/rs/16/1000"
subscribers = {{ class = "fleet" }}
[[traffic]]
class = "chat"
topic = "/waku/2/rs/16/32"
rate = "60/hour"
size = "1KiB"
[[traffic]]
class = "community_description"
topic = "/waku/2/rs/16/1000"
rate = "1/s"
per = "network"
size = "40KB"
publishers = {{ class = "desktop" }}
"#
        );
        let sc = scenario(&src);
        let out = run(&sc);
        let fleet: Vec<bool> = out.world.node_class.iter().map(|&c| c == 1).collect();
        for (m, meta) in out.msgs.iter() {
            let s = &out.delivery.msgs[m.idx()];
            // A publisher with no connected peer on the topic has nobody to send to (a real peer
            // manager would dial one; this topology does not).
            let reachable = out.mesh[meta.publisher.idx()][meta.topic.idx()].1 > 0;
            if s.measured {
                let want = if reachable { s.expected } else { 0 };
                assert_eq!(
                    s.delivered, want,
                    "flood {flood}: message {} on topic {} by {}",
                    m.0, meta.topic.0, meta.publisher.0
                );
            }
            if meta.topic.0 == 1 {
                assert_eq!(
                    s.expected, 36,
                    "the 36 fleet nodes subscribe to the control shard"
                );
            }
        }
        let control: Vec<_> = out
            .msgs
            .iter()
            .filter(|(m, meta)| meta.topic.0 == 1 && out.delivery.msgs[m.idx()].measured)
            .collect();
        let delivered = control
            .iter()
            .filter(|(m, _)| out.delivery.msgs[m.idx()].delivered == 36)
            .count();
        assert!(
            control.len() > 30 && delivered * 10 >= control.len() * 9,
            "flood {flood}: {delivered} of {} control messages fully delivered",
            control.len()
        );
        for (v, &is_fleet) in fleet.iter().enumerate() {
            let (mesh, _) = out.mesh[v][1];
            assert_eq!(
                mesh > 0,
                is_fleet,
                "node {v}: control-shard mesh only on fleet nodes"
            );
        }
        // Desktop nodes send control-shard payload (their own messages) but never relay it.
        for v in (0..120u32).filter(|&v| !fleet[v as usize]) {
            let relayed: u64 = out
                .acct
                .node_cells(gossipsim::PeerId(v))
                .filter(|(d, k, _, t, _)| {
                    *d == gossipsim::metrics::Direction::Out
                        && *k == gossipsim::metrics::Kind::Forwarded
                        && t.map(|t| t.0) == Some(1)
                })
                .map(|c| c.4.bytes)
                .sum();
            assert_eq!(
                relayed, 0,
                "desktop {v} relays nothing on the control shard"
            );
        }
    }
}

/// The output is byte-identical whatever the number of threads (partitions) the run is cut
/// into: with loss, several topics and classes, validation delay, region latencies (windows
/// as short as the 1 ms intra-region links) and bytes still in flight at the end.
#[test]
fn output_does_not_depend_on_threads() {
    let src = format!(
        r#"
nodes = 150
seed = 21
[time]
warmup = "5s"
duration = "30s"
drain = "0s"
[network]
validation_delay = "2ms"
loss = 0.02
[topology]
outbound = 5
max_connections = 30
[latency]
kind = "regions"
file = "{}/models/latency/aws-regions-rtt.csv"
floor = "1ms"
weights = {{ us-east = 0.4, eu-west = 0.3, ap-southeast = 0.3 }}
[[node_class]]
name = "desktop"
share = 0.8
upload = "5Mbit/s"
[[node_class]]
name = "fleet"
share = 0.2
[[topic]]
name = "/waku/2/rs/16/32"
[[topic]]
name = "/waku/2/rs/16/1000"
subscribers = {{ fraction = 0.5 }}
[[traffic]]
class = "chat"
topic = "/waku/2/rs/16/32"
rate = "2/s"
per = "network"
size = "3KB"
[[traffic]]
class = "control"
topic = "/waku/2/rs/16/1000"
rate = "1/s"
per = "network"
size = "20KB"
"#,
        env!("CARGO_MANIFEST_DIR")
    );
    let sc = Arc::new(scenario(&src));
    let render = |threads: usize| {
        let out = Sim::new(sc.clone(), threads).unwrap().run(&mut |_, _| {});
        assert!(out.in_flight_end > 0 && out.acct.dropped_total > 0);
        let s = Summary::new(&sc, &out);
        (out.partitions, render_files(&sc, &out, &s))
    };
    let (p1, one) = render(1);
    assert_eq!(p1, 1);
    for threads in [2, 3, 4] {
        let (p, many) = render(threads);
        assert_eq!(p, threads, "cut into as many partitions as threads");
        for ((name, a), (_, b)) in one.iter().zip(&many) {
            assert!(a == b, "{name} differs between 1 and {threads} threads");
        }
    }
}

/// The shortcuts (what the engine settles on arrival without a delivery event) are a second
/// implementation of three protocol rules: switched off, every RPC is delivered the plain
/// way, and every result file must come out identical, the events count aside. Run on the
/// smoke scenario and a 1K-node Status shard (regions, mixed sizes, IDONTWANT), the plain
/// path on 2 threads so that the hand-over between partitions is in the comparison too.
#[test]
fn shortcuts_change_nothing_but_the_event_count() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/");
    let load = |name: &str| {
        let path = std::path::PathBuf::from(dir).join(name);
        gossipsim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
    };
    let secs = |s: u64| Some(gossipsim::SimTime::from_secs(s));
    let status = load("ci-status-1k.toml").with_times(secs(10), secs(20));
    for sc in [load("smoke.toml"), status] {
        let sc = Arc::new(sc);
        let render = |threads, shortcuts| {
            let opts = gossipsim::sim::Options { threads, shortcuts };
            let out = Sim::with_options(sc.clone(), opts)
                .unwrap()
                .run(&mut |_, _| {});
            let s = Summary::new(&sc, &out);
            (out.events, render_files(&sc, &out, &s))
        };
        let (fast, with) = render(1, true);
        let (plain, without) = render(2, false);
        assert!(
            fast < plain,
            "{}: shortcuts settle some arrivals ({fast} vs {plain} events)",
            sc.name
        );
        let no_events = |b: &[u8]| {
            let text = String::from_utf8_lossy(b).into_owned();
            let kept: Vec<&str> = text.lines().filter(|l| !l.contains(",events,")).collect();
            kept.join("\n")
        };
        for ((name, a), (_, b)) in with.iter().zip(&without) {
            assert!(
                no_events(a) == no_events(b),
                "{}: {name} differs with and without shortcuts",
                sc.name
            );
        }
    }
}

/// A node class runs its own gossipsub parameters: fleet nodes with D = 12 keep meshes of
/// about their D while desktops keep nwaku's (D_high 8), every message still reaches
/// everyone; and a class table that sets what the class already runs changes no byte.
#[test]
fn node_classes_run_their_own_gossipsub_parameters() {
    let with = |fleet: &str| {
        scenario(&format!(
            r#"
nodes = 300
seed = 5
[time]
warmup = "20s"
duration = "20s"
drain = "5s"
[topology]
outbound = 10
max_connections = 40
[latency]
kind = "uniform"
min = "10ms"
max = "50ms"
[[node_class]]
name = "desktop"
share = 0.8
[[node_class]]
name = "fleet"
share = 0.2
{fleet}
[[traffic]]
class = "chat"
rate = "60/hour"
size = "2000B"
"#
        ))
    };
    let big = with("gossipsub = { mesh_n = 12, mesh_n_low = 8, mesh_n_high = 16 }");
    assert_eq!(big.node_classes[1].gossipsub.mesh_n, 12);
    assert_eq!(big.node_classes[0].gossipsub.mesh_n, 6);
    let out = run(&big);
    let mean = |class: u16| {
        let degs: Vec<f64> = (0..out.mesh.len())
            .filter(|&v| out.world.node_class[v] == class)
            .map(|v| f64::from(out.mesh[v][0].0))
            .collect();
        degs.iter().sum::<f64>() / degs.len() as f64
    };
    let (desktop, fleet) = (mean(0), mean(1));
    // Within the fleet's own bounds, well above a desktop's: nwaku grafts a SUBSCRIBE's
    // topic up to D at once (`subscribe_graft = "rebalance"`), so desktops fill their
    // meshes early and refuse fleet GRAFTs past their D_high; the fleet's heartbeat then
    // grafts only below its D_low (8).
    assert!(
        fleet >= 8.0 && fleet >= desktop + 2.0,
        "fleet meshes between D_low = 8 and D = 12: {fleet} (desktop {desktop})"
    );
    assert!(
        desktop <= 8.0,
        "desktop meshes within nwaku's D_high: {desktop}"
    );
    for m in out.delivery.msgs.iter().filter(|m| m.measured) {
        assert_eq!(m.delivered, m.expected);
    }
    // The summary reports each node class apart: fleet nodes receive more.
    let summary = Summary::new(&big, &out);
    let metric = |name: &str| -> f64 {
        let row = summary.rows.iter().find(|r| r.metric == name);
        row.unwrap_or_else(|| panic!("{name} reported"))
            .value
            .parse()
            .unwrap()
    };
    let (fleet_in, desktop_in) = (
        metric("bandwidth.in.node_class.fleet.total.mean_Bps"),
        metric("bandwidth.in.node_class.desktop.total.mean_Bps"),
    );
    assert!(fleet_in > 1.2 * desktop_in, "{fleet_in} vs {desktop_in}");
    let plain = files(&with(""));
    let same = files(&with("gossipsub = { mesh_n = 6 }"));
    for ((name, a), (_, b)) in plain.iter().zip(&same) {
        assert!(
            a == b,
            "{name}: a class table that changes nothing changed the output"
        );
    }
    assert!(plain != files(&big));
}

/// Classes that list their own topics are in exactly those; with `shard_aware` peering a
/// shard of a fifth of the nodes is one piece of connections and one mesh, and every
/// message on it reaches every member; delivery by topic × receiver class adds up to the
/// per-message counts; a class's own region weights place its nodes.
#[test]
fn shards_peer_per_class_topics_and_report_per_topic() {
    let with = |kind: &str| {
        scenario(&format!(
            r#"
nodes = 400
seed = 3
[time]
warmup = "15s"
duration = "15s"
drain = "5s"
[topology]
kind = "{kind}"
outbound = 6
max_connections = 24
[latency]
kind = "regions"
file = "{}/models/latency/aws-regions-rtt.csv"
[[node_class]]
name = "others"
share = 0.8
topics = ["a"]
[[node_class]]
name = "members"
share = 0.2
topics = ["a", "b"]
regions = {{ eu-west = 1.0 }}
[[topic]]
name = "a"
[[topic]]
name = "b"
[[traffic]]
class = "chat"
topic = "a"
rate = "30/hour"
size = "2000B"
[[traffic]]
class = "small"
topic = "b"
rate = "60/hour"
size = "2000B"
publishers = {{ class = "members" }}
"#,
            env!("CARGO_MANIFEST_DIR")
        ))
    };
    let sc = with("shard_aware");
    assert_eq!(sc.subscribers(TopicId(1)), 80);
    let out = run(&sc);
    let w = &out.world;
    for v in 0..400 {
        let member = w.node_class[v] == 1;
        assert!(w.subscribed[0][v]);
        assert_eq!(w.subscribed[1][v], member, "node {v}");
    }
    let eu = match &sc.latency {
        gossipsim::scenario::LatencySpec::Regions { names, .. } => {
            names.iter().position(|n| n == "eu-west").unwrap() as u16
        }
        _ => unreachable!(),
    };
    let in_eu = |class: u16| {
        (0..400)
            .filter(|&v| w.node_class[v] == class && w.region[v] == eu)
            .count()
    };
    assert_eq!(in_eu(1), 80, "every member in its one region");
    assert!(in_eu(0) < 320, "the others spread over the regions");
    assert_eq!(w.topic_components, vec![1, 1]);
    assert_eq!(out.mesh_components, vec![1, 1]);
    let d = &out.delivery;
    for t in 0..2u16 {
        let (mut exp, mut del) = (0u64, 0u64);
        for (s, (_, m)) in d.msgs.iter().zip(out.msgs.iter()) {
            if s.measured && m.topic == TopicId(t) {
                exp += u64::from(s.expected);
                del += u64::from(s.delivered);
            }
        }
        let groups = (0..2).map(|c| &d.groups[d.group(t.into(), c)]);
        let (gexp, gdel) = groups.fold((0, 0), |(e, x), g| (e + g.expected, x + g.delivered));
        assert!(exp > 0);
        assert_eq!((gexp, gdel), (exp, del), "topic {t}: groups add up");
        assert_eq!(del, exp, "topic {t}: every member gets every message");
    }
    assert_eq!(
        d.groups[d.group(1, 0)].expected,
        0,
        "the others are not in b"
    );
    // The same network peering at random: a mesh never joins what connections do not.
    let out = run(&with("random_dial"));
    for t in 0..2 {
        assert!(out.mesh_components[t] >= out.world.topic_components[t]);
    }
}

/// Light clients follow their topic through two fleet services each and publish through
/// them: every message reaches every client (the first push a delivery, the second a
/// duplicate), clients have no relay connection, only the service class pushes, bytes
/// balance, and the files do not depend on threads or shortcuts.
#[test]
fn light_clients_get_everything_through_their_services() {
    let src = r#"
nodes = 200
seed = 2
[time]
warmup = "15s"
duration = "30s"
drain = "5s"
[topology]
outbound = 6
max_connections = 24
[latency]
kind = "uniform"
min = "10ms"
max = "50ms"
[[node_class]]
name = "fleet"
share = 0.1
topics = ["a"]
filter_slots = 20
[[node_class]]
name = "desktop"
share = 0.5
[[node_class]]
name = "mobile"
share = 0.4
role = "light"
service = "fleet"
[[topic]]
name = "a"
[[traffic]]
class = "chat"
topic = "a"
rate = "60/hour"
size = "2000B"
"#;
    let sc = scenario(src);
    let gossipsim::scenario::Role::Light(light) = sc.node_classes[2].role else {
        panic!("a light class")
    };
    assert_eq!(
        (light.service, light.service_peers, light.lightpush_peers),
        (0, 2, 2)
    );
    let out = run(&sc);
    let w = &out.world;
    let d = &out.delivery;
    for c in 0..3 {
        let g = &d.groups[d.group(0, c)];
        assert!(g.expected > 0);
        assert_eq!(g.delivered, g.expected, "class {c} gets every message");
    }
    for v in 0..200 {
        if w.node_class[v] == 2 {
            assert_eq!(w.degrees[v], 0, "a light node has no relay connection");
            assert!(!w.relay[v]);
        }
    }
    // Each message comes from both services (but the few published before a client's
    // subscriptions reached both).
    let mobile = |x: &[u64]| -> u64 {
        (0..200)
            .filter(|&v| w.node_class[v] == 2)
            .map(|v| x[v])
            .sum()
    };
    let (got, dup) = (mobile(&out.received), mobile(&out.duplicates));
    assert!(
        dup as f64 >= 0.99 * got as f64,
        "{dup} second copies of {got}"
    );
    assert_eq!(w.topic_components, vec![1]);
    assert_eq!(out.mesh_components, vec![1]);
    let a = &out.acct;
    assert_eq!(
        a.sent_total,
        a.received_total + a.dropped_total + out.in_flight_end
    );
    let kind = |class: u16, dir: Direction, k: Kind| class_bytes(&out, class, dir, k);
    assert!(kind(0, Direction::Out, Kind::FilterPush) > 0);
    assert!(kind(2, Direction::In, Kind::FilterPush) > 0);
    assert!(
        kind(2, Direction::Out, Kind::Lightpush) > 0,
        "mobile publishes by lightpush"
    );
    assert!(kind(0, Direction::In, Kind::Lightpush) > 0);
    assert!(
        kind(2, Direction::Out, Kind::FilterSubscribe) > 0,
        "subscribes and pings"
    );
    assert_eq!(
        kind(1, Direction::Out, Kind::FilterPush),
        0,
        "desktops serve nobody"
    );
    assert_eq!(
        kind(2, Direction::Out, Kind::Forwarded),
        0,
        "mobiles relay nothing"
    );
    same_files_on_two_threads_without_shortcuts(&sc);
}

/// Desktop relays and mobile light clients check their topic's history at store nodes
/// every 10 s, 5 hashes a page: every store keeps every message, each client is told of
/// each message published in its windows once (the windows tile time), page by page,
/// bytes balance, and the files do not depend on threads or shortcuts.
#[test]
fn store_clients_page_through_what_the_stores_keep() {
    let src = r#"
nodes = 200
seed = 3
[time]
warmup = "40s"
duration = "120s"
drain = "5s"
[topology]
outbound = 6
max_connections = 24
[latency]
kind = "uniform"
min = "10ms"
max = "50ms"
[[node_class]]
name = "fleet"
share = 0.1
topics = ["a"]
[[node_class]]
name = "desktop"
share = 0.45
store = "archive"
store_interval = "10s"
store_page = 5
[[node_class]]
name = "mobile"
share = 0.4
role = "light"
service = "fleet"
store = "archive"
store_interval = "10s"
store_page = 5
[[node_class]]
name = "archive"
share = 0.05
role = "store"
topics = ["a"]
[[topic]]
name = "a"
[[traffic]]
class = "chat"
topic = "a"
rate = "60/hour"
size = "2000B"
"#;
    let sc = scenario(src);
    let q = sc.node_classes[1].store.expect("desktops ask a store");
    assert_eq!((q.store, q.interval.as_secs_f64(), q.page), (3, 10.0, 5));
    let out = run(&sc);
    let w = &out.world;
    let a = &out.acct;
    assert_eq!(
        a.sent_total,
        a.received_total + a.dropped_total + out.in_flight_end
    );
    let d = &out.delivery;
    for c in 0..4 {
        let g = &d.groups[d.group(0, c)];
        assert_eq!(g.delivered, g.expected, "class {c} gets every message live");
    }
    // Every store keeps every message (retention is two days).
    let all = out.msgs.len() as u64;
    assert_eq!(out.stores.len(), 10);
    for s in &out.stores {
        assert_eq!(w.node_class[s.node.idx()], 3);
        assert!(
            s.archived <= all && s.archived + 5 >= all,
            "{} of {all} archived",
            s.archived
        );
    }
    // Each client hears of the messages published in its windows: about the measured
    // time, 20 s earlier.
    let clients = (0..200)
        .filter(|&v| w.node_class[v] == 1 || w.node_class[v] == 2)
        .count() as f64;
    let from = sc.warmup.as_secs_f64() - 20.0;
    let to = sc.measure_end().as_secs_f64() - 20.0;
    let window = (0..out.msgs.len())
        .map(|m| {
            out.msgs
                .get(gossipsim::MsgIdx(m as u32))
                .published_at
                .as_secs_f64()
        })
        .filter(|&t| t >= from && t < to)
        .count() as f64;
    let hashes: u64 = out.stores.iter().map(|s| s.hashes).sum();
    let pages: u64 = out.stores.iter().map(|s| s.pages).sum();
    let ratio = hashes as f64 / (clients * window);
    assert!(
        (0.9..1.1).contains(&ratio),
        "{hashes} hashes for {clients} clients × {window} messages"
    );
    // Pages of 5: at least hashes / 5 of them, at most one more per check.
    let checks = clients * 12.0;
    assert!(
        pages * 5 >= hashes && (pages as f64) <= hashes as f64 / 5.0 + checks * 1.1,
        "{pages} pages for {hashes} hashes"
    );
    let kind = |class: u16, dir: Direction, k: Kind| class_bytes(&out, class, dir, k);
    for c in [1, 2] {
        assert!(kind(c, Direction::Out, Kind::StoreQuery) > 0);
        assert!(kind(c, Direction::In, Kind::StoreResponse) > 0);
    }
    assert_eq!(
        kind(0, Direction::Out, Kind::StoreQuery),
        0,
        "the fleet asks nothing"
    );
    assert_eq!(kind(3, Direction::In, Kind::StoreResponse), 0);
    assert!(kind(3, Direction::Out, Kind::StoreResponse) > 0);
    assert!(kind(3, Direction::Out, Kind::Forwarded) > 0, "stores relay");
    same_files_on_two_threads_without_shortcuts(&sc);
}

/// A payload above the segment size goes out as status-go sends it: ceil(payload /
/// segment) data segments (the last one the rest) and floor(that × parity) parity segments
/// of the segment size, all at the publication's instant by its publisher.
#[test]
fn large_messages_go_out_in_segments() {
    let src = r#"
nodes = 30
seed = 5
[time]
warmup = "0s"
duration = "20s"
drain = "60s"
[gossipsub]
max_transmit_size = "1MiB"
[[traffic]]
class = "big"
rate = "0.1/s"
per = "network"
arrival = "periodic"
size = "10000000B"
segment = "786432B"
parity = 0.125
[[traffic]]
class = "medium"
rate = "0.1/s"
per = "network"
arrival = "periodic"
size = "2000000B"
segment = "786432B"
parity = 0.125
"#;
    let sc = scenario(src);
    let out = run(&sc);
    let msgs: Vec<_> = (0..out.msgs.len())
        .map(|m| *out.msgs.get(gossipsim::MsgIdx(m as u32)))
        .collect();
    for (class, data, parity, last) in [
        (0u16, 13u64, 1u64, 10_000_000 - 12 * 786_432),
        (1, 3, 0, 2_000_000 - 2 * 786_432),
    ] {
        let mine: Vec<_> = msgs.iter().filter(|m| m.class.0 == class).collect();
        let per = (data + parity) as usize;
        assert!(
            !mine.is_empty() && mine.len() % per == 0,
            "class {class}: {} messages",
            mine.len()
        );
        for p in mine.chunks(per) {
            assert!(p
                .iter()
                .all(|m| m.published_at == p[0].published_at && m.publisher == p[0].publisher));
            let sizes: Vec<u64> = p.iter().map(|m| u64::from(m.payload_len)).collect();
            let mut want = vec![786_432u64; per];
            want[data as usize - 1] = last;
            assert_eq!(sizes, want, "class {class}");
        }
    }
    let d = &out.delivery;
    assert_eq!(
        d.groups[d.group(0, 0)].delivered,
        d.groups[d.group(0, 0)].expected
    );
}

/// A relay class with `light_topics` relays its `topics` and follows the others as a light
/// client of its service class (RFC 57's desktop on the control shard): it is in no mesh
/// of the light topic, gets every message there by filter, publishes there by lightpush,
/// and relays the rest.
#[test]
fn relays_follow_their_light_topics_through_services() {
    let src = r#"
nodes = 200
seed = 8
[time]
warmup = "20s"
duration = "60s"
drain = "5s"
[topology]
kind = "shard_aware"
outbound = 8
max_connections = 40
[latency]
kind = "uniform"
min = "10ms"
max = "50ms"
[[topic]]
name = "c"
[[topic]]
name = "k"
[[node_class]]
name = "fleet"
share = 0.1
topics = ["c", "k"]
[[node_class]]
name = "desktop"
share = 0.9
topics = ["c"]
light_topics = ["k"]
service = "fleet"
[[traffic]]
class = "chat"
topic = "c"
rate = "60/hour"
size = "2000B"
[[traffic]]
class = "control"
topic = "k"
rate = "60/hour"
size = "5000B"
[[traffic]]
class = "backup"
topic = "k"
rate = "60/hour"
size = "3000B"
to = "relays"
"#;
    let sc = scenario(src);
    assert_eq!(sc.node_classes[1].role.light_topics(), &[TopicId(1)]);
    assert_eq!(
        sc.relays_in(TopicId(1)),
        20,
        "only the fleet relays the control topic"
    );
    let out = run(&sc);
    let w = &out.world;
    let d = &out.delivery;
    for (t, c) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let g = &d.groups[d.group(t, c)];
        assert!(g.expected > 0);
        assert_eq!(g.delivered, g.expected, "topic {t}, class {c}");
    }
    for v in 0..200 {
        let desktop = w.node_class[v] == 1;
        assert!(w.relay[v] && w.relaying[0][v], "everyone relays c");
        assert_eq!(w.relaying[1][v], !desktop, "desktops do not relay k");
        assert!(w.subscribed[1][v], "but are in it");
        if desktop {
            assert_eq!(out.mesh[v][1].0, 0, "no mesh on k");
        }
    }
    let a = &out.acct;
    assert_eq!(
        a.sent_total,
        a.received_total + a.dropped_total + out.in_flight_end
    );
    let kind = |class: u16, dir: Direction, k: Kind| class_bytes(&out, class, dir, k);
    assert!(
        kind(1, Direction::Out, Kind::Lightpush) > 0,
        "desktops lightpush on k"
    );
    assert!(kind(1, Direction::In, Kind::FilterPush) > 0);
    assert!(kind(1, Direction::Out, Kind::Forwarded) > 0, "and relay c");
    assert_eq!(out.mesh_components, vec![1, 1]);
}

/// Bytes of kind `k` that the nodes of class `class` sent or received.
fn class_bytes(out: &gossipsim::RunOutput, class: u16, dir: Direction, k: Kind) -> u64 {
    (0..out.world.node_class.len() as u32)
        .filter(|&v| out.world.node_class[v as usize] == class)
        .map(|v| out.acct.node_bytes(PeerId(v), dir, |x| x == k))
        .sum()
}

/// The result files of `sc` come out the same on two threads with every RPC delivered the
/// plain way (the events count aside).
fn same_files_on_two_threads_without_shortcuts(sc: &Scenario) {
    let one = files(sc);
    let opts = gossipsim::sim::Options {
        threads: 2,
        shortcuts: false,
    };
    let two = Sim::with_options(Arc::new(sc.clone()), opts)
        .unwrap()
        .run(&mut |_, _| {});
    let two = render_files(sc, &two, &Summary::new(sc, &two));
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        if *name == "summary.csv" {
            let strip = |x: &[u8]| {
                String::from_utf8_lossy(x)
                    .lines()
                    .filter(|l| !l.contains(",events,"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(a), strip(b));
        } else {
            assert!(a == b, "{name} differs with 2 threads and no shortcuts");
        }
    }
}

/// A `seen_ttl` shorter than a message's life makes nodes take returning copies for new
/// messages (and relay them again): each receiver still counts one delivery per message, the
/// returns count as duplicates, and the ratio stays ≤ 1 (it was ~30 on this scenario before
/// deliveries were recorded per receiver).
#[test]
fn a_short_seen_ttl_never_counts_a_delivery_twice() {
    let base = small(60, 5, 5, "500B");
    let short = scenario(&format!(
        "{}\n[gossipsub]\nseen_ttl = \"100ms\"\n",
        SMALL
            .replace("NODES", "60")
            .replace("SEED", "5")
            .replace("OUT", "5")
            .replace("SIZE", "500B")
    ));
    let (a, b) = (run(&base), run(&short));
    let dups = |o: &gossipsim::RunOutput| o.duplicates.iter().sum::<u64>();
    // The short TTL really brings copies back: far more duplicates than the default's.
    assert!(
        dups(&b) > 3 * dups(&a).max(1),
        "{} vs {}",
        dups(&b),
        dups(&a)
    );
    for o in [&a, &b] {
        for s in &o.delivery.msgs {
            assert!(s.delivered <= s.expected, "{s:?}");
        }
        for g in &o.delivery.groups {
            assert!(
                g.delivered <= g.expected,
                "{} of {}",
                g.delivered,
                g.expected
            );
        }
        assert!(o
            .received
            .iter()
            .all(|&r| r as usize <= o.delivery.msgs.len()));
    }
    let sm = Summary::new(&short, &b);
    let ratio = sm
        .rows
        .iter()
        .find(|r| r.metric == "delivery.ratio")
        .unwrap();
    assert!(
        ratio.value.parse::<f64>().unwrap() <= 1.0,
        "{}",
        ratio.value
    );
}

/// A run's own connections, written as `gossipsim topology` writes them and replayed with
/// `topology.kind = "file"`, give the same run: every output file equal but for the run
/// id (the resolved scenario differs: it lists the connections). The dialer stays the
/// outbound side (D_out reads it): a replay with every connection turned round differs.
#[test]
fn a_replayed_topology_reruns_the_same_network() {
    let src = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    let sc = scenario(&src);
    let graph = gossipsim::sim::connections(&sc).unwrap();
    let replay = |flip: bool| {
        let edges: Vec<String> = graph
            .edges
            .iter()
            .map(|&(a, b)| if flip { (b, a) } else { (a, b) })
            .map(|(a, b)| format!("[{a}, {b}]"))
            .collect();
        scenario(&src.replace(
            "kind = \"random_dial\"\noutbound = 6\nmax_connections = 20",
            &format!("kind = \"file\"\nedges = [{}]", edges.join(", ")),
        ))
    };
    let (sc2, flipped) = (replay(false), replay(true));
    assert_eq!(
        gossipsim::sim::connections(&sc2).unwrap().edges,
        graph.edges
    );
    let strip = |sc: &Scenario| -> Vec<(&'static str, String)> {
        let id = gossipsim::output::run_id(sc);
        files(sc)
            .into_iter()
            .filter(|(name, _)| *name != "scenario.resolved.toml")
            .map(|(name, b)| (name, String::from_utf8(b).unwrap().replace(&id, "ID")))
            .collect()
    };
    let (a, b) = (strip(&sc), strip(&sc2));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_ne!(strip(&flipped), a, "who dialled changes the mesh");
}

/// Every stack's rules, and the other way of each, run the same on two threads with every
/// RPC delivered the plain way, deliver everything, and each preset's rules change what a
/// run sends (so the rules are read).
#[test]
fn every_stacks_rules_run_the_same_on_any_path() {
    let src = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    let with = |preset: &str, extra: &str| {
        scenario(
            &src.replace(
                "preset = \"nwaku\"",
                &format!("preset = \"{preset}\"\n{extra}"),
            )
            .replace("duration = \"60s\"", "duration = \"20s\""),
        )
    };
    let mut seen = Vec::new();
    for sc in [
        with("rust-libp2p", ""),
        with("go-libp2p", "flood_publish = true\nidontwant_threshold = \"1KiB\""),
        with("nwaku", ""),
        with(
            "spec-v1.1",
            "subscribe_graft = \"rebalance\"\nprune_at = \"at_d_high\"\nheartbeat_rpcs = \"per_control\"\nheartbeat_phase = \"aligned\"\nheartbeat_initial_delay = \"3s\"\niwant_once = \"until_received\"\nidontwant_threshold = \"100B\"\nidontwant_on_publish = true\nidontwant_when = \"message_above\"",
        ),
    ] {
        same_files_on_two_threads_without_shortcuts(&sc);
        let out = run(&sc);
        for m in out.delivery.msgs.iter().filter(|m| m.measured) {
            assert_eq!(m.delivered, m.expected, "{}", sc.preset);
        }
        let id = gossipsim::output::run_id(&sc);
        let (_, bw) = files(&sc)
            .into_iter()
            .find(|(n, _)| *n == "bandwidth.csv")
            .unwrap();
        seen.push(String::from_utf8(bw).unwrap().replace(&id, ""));
    }
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            assert_ne!(seen[i], seen[j]);
        }
    }
}

/// A class publishes only within its [start, stop) window, on the same schedule shifted to
/// its start; with `wire.envelope = "none"` a message's data is its payload.
#[test]
fn traffic_windows_and_a_raw_payload() {
    let src = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    let sc = scenario(&src.replacen(
        "[[traffic]]",
        "[wire]\nenvelope = \"none\"\n[[traffic]]\nstart = \"25s\"\nstop = \"40s\"",
        1,
    ));
    let out = run(&sc);
    let first: Vec<_> = out
        .msgs
        .iter()
        .filter(|(_, m)| m.class.0 == 0)
        .map(|(_, m)| *m)
        .collect();
    assert!(!first.is_empty());
    for m in &first {
        assert!(
            m.published_at >= SimTime::from_secs(25) && m.published_at < SimTime::from_secs(40),
            "{m:?}"
        );
        assert_eq!(m.data_len, m.payload_len);
    }
    // The other class keeps its schedule, and the first class's schedule is its
    // unwindowed one shifted by its start.
    let plain = run(&scenario(&src));
    let times = |o: &gossipsim::RunOutput, class: u16| -> Vec<SimTime> {
        o.msgs
            .iter()
            .filter(|(_, m)| m.class.0 == class)
            .map(|(_, m)| m.published_at)
            .collect()
    };
    assert!(!times(&out, 1).is_empty());
    assert_eq!(times(&out, 1), times(&plain, 1));
    let shifted: Vec<SimTime> = plain
        .msgs
        .iter()
        .filter(|(_, m)| m.class.0 == 0)
        .map(|(_, m)| m.published_at + SimTime::from_secs(25))
        .filter(|&t| t < SimTime::from_secs(40))
        .collect();
    let got: Vec<SimTime> = first.iter().map(|m| m.published_at).collect();
    assert_eq!(got, shifted);
}
