//! Fuzzing the whole path a scenario takes: generated scenario text → parse and validate →
//! the checks `validate` adds (memory gate, topology and services) → a tiny run at 1 and 2
//! threads. Whatever the text, nothing may panic; a refusal is one non-empty line; what
//! `validate` accepts `run` builds; a run writes the same bytes at 1 and 2 threads, conserves
//! bytes, never counts a delivery above what was expected, and its resolved scenario reads
//! back to itself.
//!
//! The generator mixes sensible values with edge and malformed ones (zero, huge, negative,
//! wrong types, unknown keys, syntax errors) for every section a scenario has, so that most
//! cases get past validation and run, and the rest probe the refusals.
//!
//! `cargo test --test fuzz` runs a fixed set of cases (CI). For a longer search with fresh
//! seeds: `GOSSIPSIM_FUZZ_SECS=1800 cargo test --release --test fuzz -- --nocapture`
//! (README, "Tests and CI").

use gossipsim::output::{render_files, Summary};
use gossipsim::scenario::{parse_str, Per, Scenario};
use gossipsim::Sim;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What became of the cases: refused by the parser or validator, by the memory gate, by the
/// topology or services, too big to run here, run.
static REFUSED: AtomicU64 = AtomicU64::new(0);
static GATED: AtomicU64 = AtomicU64::new(0);
static UNBUILT: AtomicU64 = AtomicU64::new(0);
static SKIPPED: AtomicU64 = AtomicU64::new(0);
static RAN: AtomicU64 = AtomicU64::new(0);
/// Sweeps whose plan loaded (and whose points were checked against the oracle).
static SWEEPS: AtomicU64 = AtomicU64::new(0);

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

/// A value from `good` most of the time, else one from `bad`.
fn pick(good: &'static [&'static str], bad: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        40 => proptest::sample::select(good).prop_map(str::to_string),
        1 => proptest::sample::select(bad).prop_map(str::to_string),
    ]
    .boxed()
}

const BAD_ANY: &[&str] = &[
    "-1",
    "0",
    "1e308",
    "nan",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "true",
    "18446744073709551616",
    "\"-5s\"",
    "\"1e30h\"",
    "\"9999999999999999999999B\"",
];

fn duration(short: bool) -> BoxedStrategy<String> {
    let good: &'static [&'static str] = if short {
        &["\"1s\"", "\"3s\"", "\"500ms\"", "\"8s\"", "\"2s\""]
    } else {
        &[
            "\"1ms\"",
            "\"50ms\"",
            "\"1s\"",
            "\"3s\"",
            "\"2min\"",
            "\"300ms\"",
            "\"0s\"",
        ]
    };
    prop_oneof![
        18 => pick(good, BAD_ANY),
        6 => (1u64..20_000).prop_map(|ms| q(&format!("{ms}ms"))),
        1 => proptest::sample::select(&["\"1ns\"", "\"1152921504606846976ns\"", "\"100000h\"", "\"1.5\"", "5"][..]).prop_map(str::to_string),
    ]
    .boxed()
}

fn size() -> BoxedStrategy<String> {
    prop_oneof![
        6 => (0u64..20_000).prop_map(|b| q(&format!("{b}B"))),
        2 => pick(&["\"2KB\"", "\"10KiB\"", "\"150KiB\"", "\"1MB\""], BAD_ANY),
        1 => pick(
            &[
                "{ dist = \"uniform\", min = \"100B\", max = \"5KB\" }",
                "{ dist = \"lognormal\", median = \"1KB\", sigma = 1.0, min = \"10B\", max = \"100KB\" }",
                "{ dist = \"empirical\", sizes = [100, 2000, 9000], weights = [1, 2, 0.5] }",
            ],
            &[
                "{ dist = \"uniform\", min = \"5KB\", max = \"1KB\" }",
                "{ dist = \"lognormal\", median = \"1KB\", sigma = 1e300 }",
                "{ dist = \"empirical\", sizes = [100], weights = [1e308, 1e308] }",
                "{ dist = \"empirical\", sizes = [], weights = [] }",
                "{ dist = \"empirical\", sizes = [1, 2], weights = [1e308, 1e308] }",
                "{ dist = \"zipf\" }",
            ],
        ),
    ]
    .boxed()
}

fn bandwidth() -> BoxedStrategy<String> {
    pick(
        &[
            "\"100Mbit/s\"",
            "\"10Mbit/s\"",
            "\"1Gbit/s\"",
            "\"500kbit/s\"",
            "\"2MB/s\"",
            "\"64kbit/s\"",
        ],
        &["\"0bit/s\"", "\"1bit/s\"", "\"2Pbit/s\"", "\"fast\"", "100"],
    )
}

fn rate() -> BoxedStrategy<String> {
    prop_oneof![
        15 => pick(&["\"1/s\"", "\"5/hour\"", "\"10/min\"", "\"2/s\"", "\"30/min\"", "\"1/day\""], BAD_ANY),
        6 => (1u32..400).prop_map(|r| q(&format!("{r}/min"))),
        1 => proptest::sample::select(&["\"0/s\"", "\"1e9/s\"", "\"1e300/hour\"", "\"-1/s\"", "\"1/ms\""][..]).prop_map(str::to_string),
    ]
    .boxed()
}

/// A node set; class and topic names come from the same small pools as their definitions.
fn node_set() -> BoxedStrategy<String> {
    pick(
        &[
            "\"all\"",
            "{ fraction = 0.5 }",
            "{ fraction = 0.1 }",
            "{ class = \"a\" }",
            "{ class = \"b\" }",
            "{ classes = [\"a\", \"b\"] }",
        ],
        &[
            "{ fraction = 0 }",
            "{ fraction = 1.5 }",
            "{ class = \"nobody\" }",
            "{ classes = [] }",
            "\"some\"",
            "{ fraction = 1e-300 }",
        ],
    )
}

fn small_int(lo: u32, hi: u32) -> BoxedStrategy<String> {
    prop_oneof![
        30 => (lo..hi).prop_map(|v| v.to_string()),
        1 => pick(&["0", "1", "2"], BAD_ANY),
    ]
    .boxed()
}

/// `key = value` lines of a table, each key at most once (a repeated key is its own
/// malformed case below); a key marked `!` is always there, and an empty key stands for lines its value writes.
fn lines(keys: Vec<(&'static str, BoxedStrategy<String>)>, max: usize) -> BoxedStrategy<String> {
    let n = keys.len();
    let (names, values): (Vec<_>, Vec<_>) = keys.into_iter().unzip();
    (proptest::collection::vec(any::<bool>(), n), values)
        .prop_map(move |(on, vals)| {
            names
                .iter()
                .zip(vals)
                .zip(on)
                .filter(|((k, _), on)| *on || k.starts_with('!'))
                .take(max)
                .map(|((k, v), _)| match k.trim_start_matches('!') {
                    "" => v,
                    k => format!("{k} = {v}\n"),
                })
                .collect::<String>()
        })
        .boxed()
}

fn gossipsub_keys() -> Vec<(&'static str, BoxedStrategy<String>)> {
    vec![
        (
            "preset",
            pick(
                &[
                    "\"nwaku\"",
                    "\"nwaku-2023\"",
                    "\"go-waku\"",
                    "\"go-libp2p\"",
                    "\"rust-libp2p\"",
                    "\"spec-v1.1\"",
                ],
                &["\"nim\"", "1"],
            ),
        ),
        (
            // The mesh degrees are checked against one another: mostly consistent.
            "",
            prop_oneof![
                6 => (1u32..10, 0u32..4, 0u32..6).prop_map(|(n, lo, hi)| {
                    let low = n.saturating_sub(lo).max(1);
                    format!("mesh_n = {n}\nmesh_n_low = {low}\nmesh_n_high = {}\nmesh_outbound_min = {}\nretain_scores = {n}\n", n + hi, (low.saturating_sub(1)).min(n / 2))
                }),
                1 => (0u32..14, 0u32..14, 0u32..14).prop_map(|(a, b, c)| format!("mesh_n = {a}\nmesh_n_low = {b}\nmesh_n_high = {c}\n")),
            ]
            .boxed(),
        ),
        ("prune_at", pick(&["\"above_d_high\"", "\"at_d_high\""], &["\"at\""])),
        ("subscribe_graft", pick(&["\"none\"", "\"peer\"", "\"rebalance\""], &["1"])),
        ("graft_outbound_beyond_d_high", pick(&["true", "false"], &["\"no\""])),
        ("prune_unsubscribed_graft", pick(&["true", "false"], &["0"])),
        (
            "idontwant_when",
            pick(&["\"data_above\"", "\"data_at_least\"", "\"message_above\""], &["\"size\""]),
        ),
        ("idontwant_on_publish", pick(&["true", "false"], &["\"x\""])),
        ("iwant_once", pick(&["\"heartbeat\"", "\"until_received\"", "\"every_peer\""], &["\"once\""])),
        ("heartbeat_rpcs", pick(&["\"per_peer\"", "\"per_control\""], &["\"both\""])),
        ("heartbeat_initial_delay", duration(true)),
        ("heartbeat_phase", pick(&["\"random\"", "\"aligned\""], &["\"fixed\""])),
        ("gossip_lazy", small_int(0, 8)),
        ("gossip_factor", pick(&["0.25", "0", "1.0"], &["-0.5", "2", "nan"])),
        ("heartbeat_interval", duration(false)),
        ("fanout_ttl", duration(false)),
        (
            "history_length",
            prop_oneof![8 => small_int(1, 8), 1 => pick(&["1000", "100000"], &["0"])].boxed(),
        ),
        ("history_gossip", small_int(1, 6)),
        ("seen_ttl", duration(false)),
        ("prune_backoff", duration(false)),
        ("flood_publish", pick(&["true", "false"], &["1"])),
        ("max_ihave_length", small_int(1, 6000)),
        ("max_ihave_messages", small_int(1, 20)),
        ("gossip_retransmission", small_int(0, 5)),
        (
            "idontwant_threshold",
            pick(&["\"512B\"", "\"off\"", "\"1KB\"", "\"0B\""], &["\"on\""]),
        ),
        ("idontwant_ttl", duration(false)),
        (
            "max_transmit_size",
            pick(&["\"150KiB\"", "\"1MiB\"", "\"4KB\""], &["\"17MiB\"", "\"0B\""]),
        ),
        ("gossip", pick(&["true", "false"], &["\"yes\""])),
        ("no_such_parameter", pick(&["1"], &["1"])),
    ]
}

fn topology() -> BoxedStrategy<String> {
    prop_oneof![
        4 => lines(
            vec![
                ("!", pick(&["kind = \"random_dial\"\n"], &["kind = \"ring\"\n"])),
                ("!", (1u32..8).prop_map(|o| format!("outbound = {o}\n")).boxed()),
                ("max_connections", small_int(4, 30)),
            ],
            3
        ),
        2 => lines(
            vec![
                ("!", pick(&["kind = \"random_regular\"\n", "kind = \"static_mesh\"\n"], &["kind = \"shard_aware\"\n"])),
                ("degree", small_int(2, 9)),
            ],
            2
        ),
        1 => lines(
            vec![
                ("!", pick(&["kind = \"shard_aware\"\n"], &["kind = \"random_regular\"\n"])),
                ("!", (1u32..8).prop_map(|o| format!("outbound = {o}\n")).boxed()),
                ("max_connections", small_int(4, 30)),
            ],
            3
        ),
        // A replayed list: a ring over k nodes and a few chords (valid only when k is the
        // scenario's node count and no chord repeats a connection or loops).
        1 => (proptest::sample::select(vec![3u32, 8, 17, 20, 30, 40]), proptest::collection::vec((0u32..45, 0u32..45), 0..3), any::<bool>()).prop_map(|(k, chords, flip)| {
            let mut e: Vec<String> = (0..k).map(|v| if flip { format!("[{}, {v}]", (v + 1) % k) } else { format!("[{v}, {}]", (v + 1) % k) }).collect();
            e.extend(chords.iter().map(|(a, b)| format!("[{a}, {b}]")));
            format!("kind = \"file\"\nedges = [{}]\n", e.join(", "))
        }),
    ]
    .prop_map(|body| format!("[topology]\n{body}"))
    .boxed()
}

fn latency() -> BoxedStrategy<String> {
    prop_oneof![
        lines(
            vec![
                ("!", pick(&["kind = \"fixed\"\n"], &["kind = \"fix\"\n"])),
                ("!value", duration(false))
            ],
            2
        ),
        lines(
            vec![
                (
                    "!",
                    pick(&["kind = \"uniform\"\n"], &["kind = \"normal\"\n"])
                ),
                ("!min", duration(false)),
                ("!max", duration(false)),
            ],
            3
        ),
        lines(
            vec![
                (
                    "!",
                    pick(&["kind = \"normal\"\n"], &["kind = \"uniform\"\n"])
                ),
                ("!mean", duration(false)),
                ("std_dev", duration(false)),
                ("floor", duration(false)),
            ],
            4
        ),
        lines(
            vec![
                (
                    "!",
                    pick(&["kind = \"lognormal\"\n"], &["kind = \"regions\"\n"])
                ),
                ("!median", duration(false)),
                ("sigma", pick(&["0.5", "1.5", "0"], &["-1", "1e300", "800"])),
                ("floor", duration(false)),
            ],
            4
        ),
        lines(
            vec![
                (
                    "!",
                    pick(&["kind = \"regions\"\n"], &["kind = \"lognormal\"\n"])
                ),
                ("!regions", pick(&["[\"eu\", \"us\"]"], &["[\"eu\"]", "[]"])),
                (
                    "!rtt_ms",
                    pick(
                        &["[[2, 90], [90, 3]]", "[[0, 1], [1, 0]]"],
                        &["[[2, 90]]", "[[1e300, 1], [1, 1]]", "[[-1, 1], [1, 1]]"]
                    )
                ),
                (
                    "weights",
                    pick(
                        &["{ eu = 0.4, us = 0.6 }", "{ eu = 1.0 }"],
                        &["{ asia = 1.0 }", "{ eu = 1e308, us = 1e308 }", "{ eu = 0 }"]
                    )
                ),
            ],
            4
        ),
    ]
    .prop_map(|body| format!("[latency]\n{body}"))
    .boxed()
}

fn network_and_wire() -> BoxedStrategy<String> {
    (
        lines(
            vec![
                (
                    "loss",
                    pick(&["0", "0.05", "0.3"], &["1", "-0.1", "0.999999"]),
                ),
                ("validation_delay", duration(false)),
                (
                    "transport",
                    pick(&["\"none\"", "\"tcp-noise-yamux\""], &["\"quic\""]),
                ),
            ],
            3,
        ),
        lines(
            vec![
                ("content_topic_len", small_int(0, 64)),
                ("timestamp", pick(&["true", "false"], &["0"])),
                ("version", small_int(0, 3)),
                ("meta_len", small_int(0, 100)),
                ("rln_proof", pick(&["true", "false"], &["\"x\""])),
            ],
            5,
        ),
    )
        .prop_map(|(n, w)| format!("[network]\n{n}[wire]\n{w}"))
        .boxed()
}

fn topic_name() -> BoxedStrategy<String> {
    pick(
        &["\"/waku/2/rs/16/32\"", "\"/waku/2/rs/16/64\"", "\"t2\""],
        &["\"\"", "\"nowhere\"", "\"/waku/2/rs/16.32\""],
    )
}

fn class_topics() -> BoxedStrategy<String> {
    pick(
        &[
            "[\"/waku/2/rs/16/32\"]",
            "[\"/waku/2/rs/16/32\", \"t2\"]",
            "[]",
        ],
        &["[\"nowhere\"]", "\"t2\""],
    )
}

/// A node class: a relay, a light client or a store node, each with the keys its role
/// takes (a key of another role now and then).
fn node_class(name: &'static [&'static str]) -> BoxedStrategy<String> {
    let common = || -> Vec<(&'static str, BoxedStrategy<String>)> {
        vec![
            (
                "!name",
                pick(name, &["\"\"", "\"a\"", "\"-\"", "\"fleet.eu\"", "\"x y\""]),
            ),
            (
                "share",
                pick(&["1", "0.5", "3"], &["0", "-1", "1e308", "nan"]),
            ),
            ("upload", bandwidth()),
            ("download", bandwidth()),
        ]
    };
    let relay = {
        let mut k = common();
        k.extend([
            ("outbound", small_int(1, 12)),
            ("max_connections", small_int(4, 40)),
            ("topics", class_topics()),
            (
                "gossipsub",
                pick(
                    &[
                        "{ mesh_n = 8, mesh_n_low = 6, mesh_n_high = 12 }",
                        "{ gossip = false }",
                    ],
                    &["{ mesh_n = 0 }", "{ bogus = 1 }"],
                ),
            ),
            (
                "preset",
                pick(&["\"rust-libp2p\"", "\"go-waku\""], &["\"x\""]),
            ),
            ("filter_slots", small_int(1, 1000)),
            (
                "",
                pick(
                    &[
                        "store = \"c\"\nstore_interval = \"2s\"\n",
                        "store = \"c\"\n",
                    ],
                    &["store_interval = \"2s\"\n", "store = \"a\"\n"],
                ),
            ),
            (
                "",
                pick(
                    &["light_topics = [\"t2\"]\nservice = \"a\"\n"],
                    &["light_topics = [\"t2\"]\n", "service = \"b\"\n"],
                ),
            ),
        ]);
        lines(k, 8)
    };
    let light = {
        let mut k = common();
        k.extend([
            ("!role", pick(&["\"light\""], &["\"lite\""])),
            ("!service", pick(&["\"a\"", "\"b\"", "\"c\""], &["\"z\""])),
            ("service_peers", small_int(1, 4)),
            ("lightpush_peers", small_int(1, 3)),
            ("filter_ping", duration(false)),
            ("topics", class_topics()),
            (
                "",
                pick(
                    &["store = \"c\"\nstore_page = 20\n", "store = \"c\"\n"],
                    &["store_page = 20\n", "outbound = 3\n"],
                ),
            ),
        ]);
        lines(k, 8)
    };
    let store = {
        let mut k = common();
        k.extend([
            ("!role", pick(&["\"store\""], &["\"spy\""])),
            ("topics", class_topics()),
            ("retention", duration(false)),
        ]);
        lines(k, 7)
    };
    prop_oneof![4 => relay, 2 => light, 1 => store]
        .prop_map(|b| format!("[[node_class]]\n{b}"))
        .boxed()
}

fn topic() -> BoxedStrategy<String> {
    lines(
        vec![("!name", topic_name()), ("subscribers", node_set())],
        2,
    )
    .prop_map(|b| format!("[[topic]]\n{b}"))
    .boxed()
}

fn traffic() -> BoxedStrategy<String> {
    lines(
        vec![
            (
                "!class",
                pick(
                    &["\"chat\"", "\"control\""],
                    &["\"\"", "1", "\"chat.v2\"", "\"-x\""],
                ),
            ),
            ("topic", topic_name()),
            ("!rate", rate()),
            (
                "per",
                pick(&["\"node\"", "\"network\"", "\"network\""], &["\"node\" "]),
            ),
            ("!size", size()),
            ("publishers", node_set()),
            (
                "arrival",
                pick(&["\"poisson\"", "\"periodic\""], &["\"bursty\""]),
            ),
            ("to", pick(&["\"all\"", "\"relays\""], &["\"me\""])),
            (
                "",
                pick(
                    &["segment = \"1KB\"\n", "segment = \"4KB\"\nparity = 0.125\n"],
                    &[
                        "segment = \"0B\"\n",
                        "segment = \"1B\"\n",
                        "parity = 0.5\n",
                        "segment = \"1KB\"\nparity = 2\n",
                    ],
                ),
            ),
        ],
        7,
    )
    .prop_map(|b| format!("[[traffic]]\n{b}"))
    .boxed()
}

/// A scenario's text. Required keys are usually there so that many cases run; the last
/// part may break the text (a repeated key, a stray line, a cut).
fn scenario_text() -> impl Strategy<Value = String> {
    let top = (
        pick(
            &[
                "2", "3", "8", "20", "20", "30", "30", "40", "40", "60", "60",
            ],
            &["0", "1", "-3", "16777217", "\"ten\"", "2.5"],
        ),
        prop_oneof![
            20 => any::<u64>().prop_map(|s| if s > i64::MAX as u64 { format!("seed = \"{s}\"\n") } else { format!("seed = {s}\n") }),
            1 => pick(&["seed = -1\n", "seed = \"x\"\n", "seed = 1.5\n", ""], &[""]),
        ],
    );
    let time = lines(
        vec![
            ("warmup", duration(true)),
            ("!duration", duration(true)),
            ("drain", duration(true)),
        ],
        3,
    );
    let breakage = prop_oneof![
        60 => Just(String::new()),
        1 => Just("nodes = 3\n".to_string()),
        1 => Just("[time\n".to_string()),
        1 => Just("unknown_key = 1\n".to_string()),
        1 => Just("[[traffic]]\nclass = \"x\"\n".to_string()),
        1 => Just("= \"\n".to_string()),
        1 => Just("[traffic_model]\nname = \"status-2023\"\n".to_string()),
        1 => Just("[traffic_model]\nname = \"status-2023\"\nrates = { chat_message = \"1e300/s\" }\n".to_string()),
    ];
    (
        top,
        time,
        proptest::option::weighted(0.6, lines(gossipsub_keys(), 4)),
        proptest::option::weighted(0.6, topology()),
        proptest::option::weighted(0.5, latency()),
        proptest::option::weighted(0.3, network_and_wire()),
        prop_oneof![
            Just(Vec::new()),
            node_class(&["\"a\""]).prop_map(|a| vec![a]),
            (node_class(&["\"a\""]), node_class(&["\"b\""])).prop_map(|(a, b)| vec![a, b]),
            (
                node_class(&["\"a\""]),
                node_class(&["\"b\""]),
                node_class(&["\"c\""])
            )
                .prop_map(|(a, b, c)| vec![a, b, c]),
        ],
        proptest::collection::vec(topic(), 0..3),
        proptest::collection::vec(traffic(), 0..3),
        breakage,
    )
        .prop_map(
            |((nodes, seed), time, gs, topo, lat, net, classes, topics, traffic, brk)| {
                let mut s = format!("nodes = {nodes}\n{seed}[time]\n{time}");
                if let Some(g) = gs {
                    s += "[gossipsub]\n";
                    s += &g;
                }
                for part in [topo, lat, net].into_iter().flatten() {
                    s += &part;
                }
                for part in classes.iter().chain(&topics).chain(&traffic) {
                    s += part;
                }
                s + &brk
            },
        )
}

/// A rough count of the events a run of `sc` takes, to keep what runs here small.
fn work(sc: &Scenario) -> f64 {
    let n = f64::from(sc.nodes);
    let end = (sc.end().0 as f64) / 1e9;
    let publish = sc.measure_end().0 as f64 / 1e9;
    let msgs: f64 = sc
        .traffic
        .iter()
        .map(|t| {
            let per = match t.per {
                Per::Node => f64::from(sc.selected(&t.publishers)),
                Per::Network => 1.0,
            };
            let segments = t.segment.as_ref().map_or(1.0, |_| 300.0);
            t.rate.per_sec * per * publish * segments
        })
        .sum();
    let beats: f64 = sc
        .node_classes
        .iter()
        .map(|c| f64::from(c.count) * end / (c.gossipsub.heartbeat_interval.0 as f64 / 1e9))
        .sum();
    let light: f64 = sc
        .node_classes
        .iter()
        .map(|c| {
            let every = [
                c.role.light().map(|l| l.filter_ping),
                c.store.as_ref().map(|s| s.interval),
            ];
            every
                .iter()
                .flatten()
                .map(|t| f64::from(c.count) * end / (t.0 as f64 / 1e9) * 10.0)
                .sum::<f64>()
        })
        .sum();
    msgs * n * 20.0 + beats * 20.0 + light
}

fn case(src: &str, max_work: f64) -> Result<(), TestCaseError> {
    let sc = match parse_str(src, "fuzz.toml", "fuzz", None) {
        Ok(sc) => sc,
        Err(e) => {
            let line = e.to_string();
            prop_assert!(
                !line.trim().is_empty() && !line.contains('\n'),
                "a refusal is one line: {line:?}"
            );
            REFUSED.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
    };
    // The resolved scenario reruns the same scenario.
    let again = parse_str(&sc.resolved_toml, "resolved.toml", "fuzz", None)
        .map_err(|e| TestCaseError::fail(format!("the resolved scenario is refused: {e}")))?;
    prop_assert_eq!(&again.resolved_toml, &sc.resolved_toml);
    if let Err(e) = gossipsim::estimate::check(&sc, 2, 1, Some(1 << 30)) {
        prop_assert!(!e.to_string().contains('\n'));
        GATED.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    if let Err(e) = gossipsim::sim::peering(&sc) {
        prop_assert!(!e.to_string().contains('\n'), "one line: {e}");
        UNBUILT.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    if work(&sc) > max_work {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let sc = Arc::new(sc);
    let mut files = Vec::new();
    for threads in [1, 2] {
        // What validate accepted, run builds.
        let sim = Sim::new(sc.clone(), threads)
            .map_err(|e| TestCaseError::fail(format!("validated, then refused: {e}")))?;
        let out = sim.run(&mut |_, _| {});
        let a = &out.acct;
        prop_assert_eq!(
            a.sent_total,
            a.received_total + a.dropped_total + out.in_flight_end,
            "bytes are conserved"
        );
        for (m, s) in out.delivery.msgs.iter().enumerate() {
            prop_assert!(
                s.delivered <= s.expected,
                "message {m}: {} delivered of {} expected",
                s.delivered,
                s.expected
            );
        }
        let summary = Summary::new(&sc, &out);
        files.push(render_files(&sc, &out, &summary));
    }
    for ((name, one), (_, two)) in files[0].iter().zip(&files[1]) {
        prop_assert!(one == two, "{name} differs between 1 and 2 threads");
    }
    RAN.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "the wall clock only bounds how long a search by hand goes on; no simulation reads it"
)]
fn any_scenario_text_is_refused_in_one_line_or_runs_consistently() {
    // The runs here are kept small: debug builds in CI; a longer search may allow more.
    let max_work = env("GOSSIPSIM_FUZZ_WORK").map_or(2e5, |w| w as f64);
    let cfg = |cases: u32| Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let started = std::time::Instant::now();
    match env("GOSSIPSIM_FUZZ_SECS") {
        None => {
            // CI: the same cases every time.
            let mut runner = TestRunner::new_with_rng(
                cfg(env("GOSSIPSIM_FUZZ_CASES").map_or(3000, |c| c as u32)),
                proptest::test_runner::TestRng::deterministic_rng(
                    proptest::test_runner::RngAlgorithm::ChaCha,
                ),
            );
            if let Err(e) = runner.run(&scenario_text(), |src| case(&src, max_work)) {
                panic!("{e}");
            }
        }
        Some(secs) => {
            // By hand: fresh seeds in batches until the time is up.
            while started.elapsed().as_secs() < secs {
                let mut runner = TestRunner::new(cfg(200));
                if let Err(e) = runner.run(&scenario_text(), |src| case(&src, max_work)) {
                    panic!("{e}");
                }
            }
        }
    }
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "fuzz: {} cases in {:.0} s: {} refused by validation, {} by the memory gate, {} by topology or services, {} too big to run here, {} run at 1 and 2 threads",
        get(&REFUSED) + get(&GATED) + get(&UNBUILT) + get(&SKIPPED) + get(&RAN),
        started.elapsed().as_secs_f64(),
        get(&REFUSED),
        get(&GATED),
        get(&UNBUILT),
        get(&SKIPPED),
        get(&RAN)
    );
    // A generator that no longer reaches the runs tests nothing past validation.
    assert!(get(&RAN) > 0, "no generated scenario ran");
}

/// Key paths a sweep or a `--set` may name, in several spellings of the same keys and with
/// tables above keys (issue 32, item 3), each with values it takes.
const KEYS: &[(&str, &[&str])] = &[
    ("nodes", &["40", "60"]),
    ("gossipsub.mesh_n", &["6", "8"]),
    (
        "gossipsub",
        &["{ mesh_n = 8 }", "{ preset = \"go-libp2p\" }"],
    ),
    ("traffic[0].size", &["\"2KB\"", "\"500B\""]),
    ("traffic[00].size", &["\"3KB\"", "\"600B\""]),
    (
        "traffic[0]",
        &["{ class = \"chat\", rate = \"1/min\", size = \"1KB\" }"],
    ),
    ("time.duration", &["\"6s\"", "\"8s\""]),
    ("time", &["{ duration = \"7s\" }"]),
    ("gossipsub.heartbeat_interval", &["\"500ms\"", "\"2s\""]),
    ("topology.outbound", &["3", "5"]),
    ("node_class[0].name", &["\"m\"", "\"k\""]),
];
/// Values no key above takes, or takes badly.
const BAD_VALUES: &[&str] = &["\"1us\"", "\"a.b\"", "-1", "8\nnodes = 5", "\"\"", "{}"];

/// A key and a value for it (a bad one now and then).
fn setting() -> BoxedStrategy<(&'static str, &'static str)> {
    (0..KEYS.len(), 0..10usize, any::<proptest::sample::Index>())
        .prop_map(|(k, roll, i)| {
            let (key, good) = KEYS[k];
            let v = if roll == 0 {
                BAD_VALUES[i.index(BAD_VALUES.len())]
            } else {
                good[i.index(good.len())]
            };
            (key, v)
        })
        .boxed()
}

/// A sweep file over the small base, its `set`, and `--set` settings.
fn sweep_case() -> impl Strategy<Value = (String, Vec<String>)> {
    use std::fmt::Write as _;
    let axis = proptest::collection::vec(setting(), 1..3).prop_map(|vs| {
        // An axis takes the key of its first value; its values, all of them.
        (vs[0].0, vs.iter().map(|v| v.1).collect::<Vec<_>>())
    });
    (
        proptest::collection::vec(axis, 1..3),
        proptest::collection::vec(setting(), 0..2),
        proptest::collection::vec(setting(), 0..2),
    )
        .prop_map(|(axes, set, cli)| {
            let mut text = String::from("[sweep]\nbase = \"base.toml\"\n");
            if !set.is_empty() {
                let items: Vec<String> = set
                    .iter()
                    .map(|(k, v)| format!("\"{k}\" = {}", v.replace('\n', " ")))
                    .collect();
                let _ = writeln!(text, "set = {{ {} }}", items.join(", "));
            }
            text += "[sweep.axes]\n";
            for (k, vs) in &axes {
                let vs: Vec<String> = vs.iter().map(|v| v.replace('\n', " ")).collect();
                let _ = writeln!(text, "\"{k}\" = [{}]", vs.join(", "));
            }
            let cli = cli.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (text, cli)
        })
}

/// A sweep either is refused in one line, or labels what runs: every point's axis values
/// decide their keys whatever else is set, so applying a point's axis settings before or
/// after `sweep.set` and `--set` gives the same scenario.
fn sweep_case_holds(
    dir: &std::path::Path,
    text: &str,
    cli: &[String],
) -> Result<(), TestCaseError> {
    use gossipsim::scenario::{load_with, Override};
    let file = dir.join("s.toml");
    std::fs::write(&file, text).unwrap();
    let sets: Result<Vec<Override>, String> = cli.iter().map(|s| s.parse()).collect();
    let sets = match sets {
        Ok(s) => s,
        Err(e) => {
            prop_assert!(!e.contains('\n'), "one line: {e:?}");
            return Ok(());
        }
    };
    let plan = match gossipsim::sweep::Plan::load(&file, &sets) {
        Ok(p) => p,
        Err(e) => {
            let line = e.to_string();
            prop_assert!(
                !line.trim().is_empty() && !line.contains('\n'),
                "one line: {line:?}"
            );
            return Ok(());
        }
    };
    SWEEPS.fetch_add(1, Ordering::Relaxed);
    let base = dir.join("base.toml");
    for p in &plan.points {
        let axes = &p.point.sets;
        let others: Vec<Override> = plan.spec.set.iter().chain(&sets).cloned().collect();
        let first: Vec<Override> = axes.iter().chain(&others).cloned().collect();
        let last: Vec<Override> = others.iter().chain(axes).cloned().collect();
        let (a, b) = (load_with(&base, &first), load_with(&base, &last));
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(
                &a.resolved_toml,
                &b.resolved_toml,
                "an axis of point {} is overridden by another setting",
                p.point.index
            ),
            (a, b) => prop_assert!(false, "the plan loaded, the point does not: {a:?} / {b:?}"),
        }
    }
    Ok(())
}

/// Where a file may be asked to go: a new file, a file, a link to a file or to nothing or to
/// a device, a folder, a socket, a path under a file.
const TARGETS: &[&str] = &[
    "new", "file", "link", "dangling", "null", "dir", "sock", "under",
];

/// Writing through any of them: written as a regular file with the bytes (a link followed
/// and kept), or refused in one line with nothing changed.
fn output_case_holds(dir: &std::path::Path, target: &str) -> Result<(), TestCaseError> {
    let d = dir.join(target);
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("file"), "old").unwrap();
    std::os::unix::fs::symlink("file", d.join("link")).unwrap();
    std::os::unix::fs::symlink("gone/x", d.join("dangling")).unwrap();
    std::os::unix::fs::symlink("/dev/null", d.join("null")).unwrap();
    std::fs::create_dir(d.join("dir")).unwrap();
    let _sock = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
    let path = match target {
        "under" => d.join("file/x"),
        t => d.join(t),
    };
    let before = listing(&d);
    match gossipsim::output::write_file(&path, b"bytes") {
        Ok(()) => {
            let real = path.canonicalize().unwrap();
            let m = std::fs::metadata(&real).unwrap();
            prop_assert!(m.is_file(), "{target}: wrote a {:?}", m.file_type());
            prop_assert_eq!(std::fs::read(&real).unwrap(), b"bytes".to_vec());
            if target == "link" {
                let t = std::fs::symlink_metadata(&path).unwrap().file_type();
                prop_assert!(t.is_symlink(), "the link was replaced");
            }
        }
        Err(e) => {
            let line = e.to_string();
            prop_assert!(!line.contains('\n'), "one line: {line:?}");
            prop_assert_eq!(
                listing(&d),
                before,
                "{}: refused, yet something changed",
                target
            );
        }
    }
    let left: Vec<String> = listing(&d)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    prop_assert!(left.is_empty(), "temporary files left: {:?}", left);
    Ok(())
}

fn listing(d: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The surfaces beside scenario text: sweep files with `set` and `--set` (overlaps in any
/// spelling refused, or every axis decides its key), `--set` strings, and output paths.
#[test]
fn sweeps_settings_and_output_paths_are_refused_in_one_line_or_hold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.toml"),
        "nodes = 30\n[time]\nwarmup = \"2s\"\nduration = \"5s\"\n[topology]\noutbound = 4\nmax_connections = 20\n[[node_class]]\nname = \"n\"\n[[traffic]]\nclass = \"chat\"\nrate = \"60/hour\"\nsize = \"1000B\"\n",
    )
    .unwrap();
    let cases = env("GOSSIPSIM_FUZZ_CASES").map_or(300, |c| c as u32);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let d = dir.path();
    if let Err(e) = runner.run(&sweep_case(), |(text, cli)| {
        sweep_case_holds(d, &text, &cli)
    }) {
        panic!("{e}");
    }
    let loaded = SWEEPS.load(Ordering::Relaxed);
    println!("fuzz: {cases} sweeps, {loaded} loaded and checked point by point");
    assert!(loaded > 0, "no generated sweep loaded");
    for t in TARGETS {
        let sub = dir.path().join("out");
        std::fs::create_dir_all(&sub).unwrap();
        if let Err(e) = output_case_holds(&sub, t) {
            panic!("{t}: {e}");
        }
    }
}
