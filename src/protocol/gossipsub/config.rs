//! Gossipsub parameters: the validated config every peer holds, and the named presets of
//! `docs/sources.md` §1. Owns validation of parameter consistency (spec v1.1
//! "Parameters"); knows nothing of TOML.

use crate::ids::SimTime;

/// Every gossipsub parameter a scenario may set, declared once, in the order tables show
/// them. Invokes the macro `$m` with, per parameter: its doc, its name, its spec symbol or
/// unit for tables (`""` for none), its type in [`GossipsubConfig`] and the type a scenario
/// writes it as (`crate::units::Written`). The config struct, the scenario's `[gossipsub]`
/// table and its overrides, the resolved TOML, `presets` and the README's table all follow
/// from this list; a parameter added here appears in each.
macro_rules! gossipsub_params {
    ($m:ident) => {
        $m! {
            /// spec: D — target mesh degree.
            mesh_n ("D"): usize as usize,
            /// spec: D_low — graft when the mesh is smaller.
            mesh_n_low ("D_low"): usize as usize,
            /// spec: D_high — prune when the mesh is larger.
            mesh_n_high ("D_high"): usize as usize,
            /// spec: D_score — peers kept by score when pruning (no scoring yet: kept at
            /// random).
            retain_scores ("D_score"): usize as usize,
            /// spec: D_out — outbound peers the mesh must keep.
            mesh_outbound_min ("D_out"): usize as usize,
            /// spec: D_lazy — minimum peers to gossip to per heartbeat per topic.
            gossip_lazy ("D_lazy"): usize as usize,
            /// spec: gossip_factor — share of eligible non-mesh peers to gossip to.
            gossip_factor (""): f64 as f64,
            /// spec: heartbeat_interval.
            heartbeat_interval (""): crate::ids::SimTime as crate::units::Duration,
            /// spec: fanout_ttl.
            fanout_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// spec: mcache_len — heartbeat windows kept in the message cache.
            history_length ("mcache_len"): usize as usize,
            /// spec: mcache_gossip — windows advertised in IHAVE.
            history_gossip (""): usize as usize,
            /// spec: seen_ttl.
            seen_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// spec v1.1: PruneBackoff.
            prune_backoff (""): crate::ids::SimTime as crate::units::Duration,
            /// spec v1.1: UnsubscribeBackoff.
            unsubscribe_backoff (""): crate::ids::SimTime as crate::units::Duration,
            /// Heartbeats to wait past a backoff before grafting again (rust-libp2p
            /// backoff_slack).
            backoff_slack ("heartbeats"): u32 as u32,
            /// spec v1.1: flood publishing of own messages to all topic peers.
            flood_publish (""): bool as bool,
            /// Most message ids in one IHAVE, and most ids asked from one peer per heartbeat.
            max_ihave_length (""): usize as usize,
            /// Most IHAVE messages accepted from one peer per heartbeat.
            max_ihave_messages (""): usize as usize,
            /// Times a message is served to the same peer through IWANT
            /// (gossip_retransmission).
            gossip_retransmission (""): u32 as u32,
            /// spec v1.2: send IDONTWANT for messages whose data is larger than this (bytes);
            /// `None` ("off") for stacks without v1.2.
            idontwant_threshold (""): Option<u64> as crate::units::SizeOrOff,
            /// How long a received IDONTWANT suppresses forwards of that id.
            idontwant_ttl (""): crate::ids::SimTime as crate::units::Duration,
            /// Largest message data accepted (bytes).
            max_transmit_size (""): u64 as crate::units::Size,
            /// Gossip emission (IHAVE). Off reproduces the model's "no gossip" cases.
            gossip ("emit IHAVE"): bool as bool,
            /// Rule: the heartbeat prunes a mesh `above_d_high` (spec v1.1) or already
            /// `at_d_high`.
            prune_at ("rule"): crate::protocol::gossipsub::PruneAt as crate::protocol::gossipsub::PruneAt,
            /// Rule: a GRAFT from a peer we dialled is accepted even when the mesh holds
            /// D_high (spec v1.1 "Outbound Mesh Quotas").
            graft_outbound_beyond_d_high ("rule"): bool as bool,
            /// Rule: what a SUBSCRIBE from a peer does while our mesh of its topic is below
            /// D_low: nothing until the heartbeat (`none`), GRAFT that peer (`peer`), or
            /// fill the mesh to D at once (`rebalance`).
            subscribe_graft ("rule"): crate::protocol::gossipsub::SubscribeGraft as crate::protocol::gossipsub::SubscribeGraft,
            /// Rule: a GRAFT for a topic we are not in is answered with a PRUNE (else it is
            /// ignored).
            prune_unsubscribed_graft ("rule"): bool as bool,
            /// Rule: which length IDONTWANT's threshold is compared with: the message data
            /// (`data_above`, `data_at_least`) or the whole encoded pubsub message
            /// (`message_above`).
            idontwant_when ("rule"): crate::protocol::gossipsub::IdontwantWhen as crate::protocol::gossipsub::IdontwantWhen,
            /// Rule: IDONTWANT also goes to the recipients of our own publish, ahead of it.
            idontwant_on_publish ("rule"): bool as bool,
            /// Rule: an id asked through IWANT is not asked again within the `heartbeat`,
            /// `until_received` (never again), or is asked of `every_peer` that offers it.
            iwant_once ("rule"): crate::protocol::gossipsub::IwantOnce as crate::protocol::gossipsub::IwantOnce,
            /// Rule: a heartbeat's control messages to one peer go out in one RPC
            /// (`per_peer`), or one RPC per GRAFT, PRUNE and per topic's IHAVE
            /// (`per_control`).
            heartbeat_rpcs ("rule"): crate::protocol::gossipsub::HeartbeatRpcs as crate::protocol::gossipsub::HeartbeatRpcs,
            /// The first heartbeat comes this long after start (plus the phase).
            heartbeat_initial_delay (""): crate::ids::SimTime as crate::units::Duration,
            /// Each node's heartbeat phase: `random` within one interval, or `aligned` (all at
            /// the initial delay).
            heartbeat_phase (""): crate::protocol::gossipsub::HeartbeatPhase as crate::protocol::gossipsub::HeartbeatPhase,
        }
    };
}
pub(crate) use gossipsub_params;

crate::word_enum!(
    /// When the heartbeat prunes (see `prune_at`).
    PruneAt {
        /// mesh > D_high.
        AboveDHigh = "above_d_high",
        /// mesh >= D_high.
        AtDHigh = "at_d_high",
    }
);
crate::word_enum!(
    /// What a peer's SUBSCRIBE does while the mesh is below D_low (see `subscribe_graft`).
    SubscribeGraft {
        None = "none",
        Peer = "peer",
        Rebalance = "rebalance",
    }
);
crate::word_enum!(
    /// What IDONTWANT's threshold is compared with (see `idontwant_when`).
    IdontwantWhen {
        DataAbove = "data_above",
        DataAtLeast = "data_at_least",
        MessageAbove = "message_above",
    }
);
crate::word_enum!(
    /// How long an id asked through IWANT is not asked again (see `iwant_once`).
    IwantOnce {
        Heartbeat = "heartbeat",
        UntilReceived = "until_received",
        EveryPeer = "every_peer",
    }
);
crate::word_enum!(
    /// How a heartbeat's control messages are put into RPCs (see `heartbeat_rpcs`).
    HeartbeatRpcs {
        PerPeer = "per_peer",
        PerControl = "per_control",
    }
);
crate::word_enum!(
    /// Heartbeat phases across nodes (see `heartbeat_phase`).
    HeartbeatPhase {
        Random = "random",
        Aligned = "aligned",
    }
);

macro_rules! config_struct {
    ($( $(#[$doc:meta])* $f:ident ($label:literal): $cfg:ty as $raw:ty ),* $(,)?) => {
        /// Validated gossipsub parameters. Names follow the spec / rust-libp2p.
        #[derive(Clone, Debug, PartialEq)]
        pub struct GossipsubConfig {
            $( $(#[$doc])* pub $f: $cfg, )*
            /// Heartbeat mesh maintenance (GRAFT/PRUNE). Off only for a static mesh, where
            /// the connections are the mesh: set by the topology, not a `[gossipsub]` key.
            pub mesh_maintenance: bool,
        }

        /// The parameters a scenario may set, in declaration order: (name, spec symbol or
        /// unit, `""` for none).
        pub const PARAMS: &[(&str, &str)] = &[$( (stringify!($f), $label) ),*];
    };
}

gossipsub_params!(config_struct);

/// A parameter combination the spec forbids; names the parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct ConfigError {
    pub param: &'static str,
    pub reason: String,
}

impl GossipsubConfig {
    /// Checks the constraints the spec and implementations impose.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |param, reason: String| Err(ConfigError { param, reason });
        if self.mesh_n == 0 {
            return err("mesh_n", "must be at least 1".into());
        }
        if !(self.mesh_n_low <= self.mesh_n && self.mesh_n <= self.mesh_n_high) {
            return err(
                "mesh_n",
                format!(
                    "needs mesh_n_low <= mesh_n <= mesh_n_high, got {} <= {} <= {}",
                    self.mesh_n_low, self.mesh_n, self.mesh_n_high
                ),
            );
        }
        if self.mesh_maintenance
            && !(self.mesh_outbound_min < self.mesh_n_low.max(1)
                && self.mesh_outbound_min <= self.mesh_n / 2)
        {
            return err(
                "mesh_outbound_min",
                format!(
                    "needs mesh_outbound_min < mesh_n_low and <= mesh_n/2, got {} with mesh_n_low {} and mesh_n {}",
                    self.mesh_outbound_min, self.mesh_n_low, self.mesh_n
                ),
            );
        }
        if self.retain_scores > self.mesh_n {
            return err(
                "retain_scores",
                format!(
                    "must be <= mesh_n ({}), got {}",
                    self.mesh_n, self.retain_scores
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.gossip_factor) {
            return err(
                "gossip_factor",
                format!("must be within [0, 1], got {}", self.gossip_factor),
            );
        }
        if self.heartbeat_interval < MIN_HEARTBEAT {
            return err(
                "heartbeat_interval",
                format!(
                    "must be at least {MIN_HEARTBEAT}, got {} (every node runs mesh maintenance and gossip at each one; stacks use 0.7-1 s)",
                    self.heartbeat_interval
                ),
            );
        }
        if self.history_length == 0 {
            return err("history_length", "must be at least 1".into());
        }
        if self.history_gossip > self.history_length {
            return err(
                "history_gossip",
                format!(
                    "must be <= history_length ({}), got {}",
                    self.history_length, self.history_gossip
                ),
            );
        }
        if self.seen_ttl == SimTime::ZERO {
            return err("seen_ttl", "must be positive".into());
        }
        if self.max_ihave_length == 0 {
            return err("max_ihave_length", "must be at least 1".into());
        }
        if self.max_transmit_size == 0 {
            return err("max_transmit_size", "must be positive".into());
        }
        if self.max_transmit_size > MAX_TRANSMIT {
            return err(
                "max_transmit_size",
                format!(
                    "{} is above the largest the engine sizes ({}: a store page of 100 such messages must fit its 32-bit RPC sizes)",
                    crate::units::fmt_size(self.max_transmit_size),
                    crate::units::fmt_size(MAX_TRANSMIT)
                ),
            );
        }
        Ok(())
    }
}

/// The shortest heartbeat accepted: a hundredth of the shortest any stack ships (Ethereum's
/// 0.7 s is the shortest), so that a sweep can go far below them, while a run's heartbeat
/// events (nodes × run length / interval) stay countable; 1 µs did not finish.
pub const MIN_HEARTBEAT: SimTime = SimTime(10_000_000);

/// The largest `max_transmit_size` (16 MiB): RPC sizes are 32-bit, and the largest RPCs
/// hold a store page (100 messages) or an IWANT answer (checked against the traffic).
pub const MAX_TRANSMIT: u64 = 16 << 20;

/// Named parameter sets, one per stack. Values from `docs/sources.md` §1.
pub const PRESETS: &[&str] = &[
    "nwaku",
    "nwaku-2023",
    "go-waku",
    "go-libp2p",
    "rust-libp2p",
    "spec-v1.1",
];

/// The preset called `name`, or `None` if there is none.
pub fn preset(name: &str) -> Option<GossipsubConfig> {
    let s = SimTime::from_secs;
    // spec v1.1 defaults; each stack below changes what differs.
    let spec = GossipsubConfig {
        mesh_n: 6,
        mesh_n_low: 4,
        mesh_n_high: 12,
        retain_scores: 4,
        mesh_outbound_min: 2,
        gossip_lazy: 6,
        gossip_factor: 0.25,
        heartbeat_interval: s(1),
        fanout_ttl: s(60),
        history_length: 5,
        history_gossip: 3,
        seen_ttl: s(120),
        prune_backoff: s(60),
        unsubscribe_backoff: s(10),
        backoff_slack: 1,
        flood_publish: true,
        max_ihave_length: 5000,
        max_ihave_messages: 10,
        gossip_retransmission: 3,
        idontwant_threshold: None,
        idontwant_ttl: s(3),
        max_transmit_size: 1 << 20,
        mesh_maintenance: true,
        gossip: true,
        prune_at: PruneAt::AboveDHigh,
        graft_outbound_beyond_d_high: true,
        subscribe_graft: SubscribeGraft::None,
        prune_unsubscribed_graft: true,
        idontwant_when: IdontwantWhen::DataAbove,
        idontwant_on_publish: false,
        iwant_once: IwantOnce::Heartbeat,
        heartbeat_rpcs: HeartbeatRpcs::PerPeer,
        heartbeat_initial_delay: SimTime::ZERO,
        heartbeat_phase: HeartbeatPhase::Random,
    };
    let cfg = match name {
        "spec-v1.1" => spec,
        "nwaku" => GossipsubConfig {
            mesh_n_high: 8,
            retain_scores: 6,
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            idontwant_threshold: Some(512),
            max_transmit_size: 150 * 1024,
            subscribe_graft: SubscribeGraft::Rebalance,
            prune_unsubscribed_graft: false,
            iwant_once: IwantOnce::EveryPeer,
            ..spec
        },
        "nwaku-2023" => GossipsubConfig {
            retain_scores: 6,
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            idontwant_threshold: None,
            ..spec
        },
        "go-waku" => GossipsubConfig {
            mesh_outbound_min: 3,
            history_length: 6,
            unsubscribe_backoff: s(5),
            ..go_rules(spec)
        },
        "go-libp2p" => GossipsubConfig {
            mesh_n_low: 5,
            flood_publish: false,
            idontwant_threshold: Some(1024),
            idontwant_when: IdontwantWhen::DataAtLeast,
            idontwant_on_publish: true,
            ..go_rules(spec)
        },
        "rust-libp2p" => GossipsubConfig {
            mesh_n_low: 5,
            seen_ttl: s(60),
            idontwant_threshold: Some(1000),
            max_transmit_size: 64 * 1024,
            prune_at: PruneAt::AtDHigh,
            graft_outbound_beyond_d_high: false,
            subscribe_graft: SubscribeGraft::Peer,
            prune_unsubscribed_graft: false,
            idontwant_when: IdontwantWhen::MessageAbove,
            iwant_once: IwantOnce::UntilReceived,
            heartbeat_rpcs: HeartbeatRpcs::PerControl,
            heartbeat_initial_delay: s(6),
            ..spec
        },
        _ => return None,
    };
    Some(cfg)
}

/// go-libp2p-pubsub's rules (v0.16.0; go-waku's fork of v0.13.1 behaves alike): see
/// [`rule_source`].
fn go_rules(spec: GossipsubConfig) -> GossipsubConfig {
    GossipsubConfig {
        prune_at: PruneAt::AtDHigh,
        prune_unsubscribed_graft: false,
        iwant_once: IwantOnce::EveryPeer,
        heartbeat_initial_delay: SimTime::from_millis(100),
        ..spec
    }
}

/// The source each preset's rules were read from: stack, version, commit.
pub fn preset_source(name: &str) -> &'static str {
    match name {
        "nwaku" => "nim-libp2p v1.14.3 (e82080f7), as nwaku 7d1c6aba vendors it; libp2p/protocols/pubsub/gossipsub.nim, gossipsub/behavior.nim",
        "nwaku-2023" => "nwaku until Oct 2023: parameters only; its nim-libp2p's rules were not read (spec v1.1 rules)",
        "go-waku" => "go-libp2p-pubsub v0.13.1-gowaku (fork of b50197e) as go-waku pins it; gossipsub.go (rules as v0.16.0, IDONTWANT off)",
        "go-libp2p" => "go-libp2p-pubsub v0.16.0 (b14732c); gossipsub.go",
        "rust-libp2p" => "libp2p-gossipsub 0.50.0 (rust-libp2p 6348a0be, libp2p 0.57); protocols/gossipsub/src/behaviour.rs",
        _ => "gossipsub v1.1/v1.2 spec text (libp2p/specs pubsub/gossipsub)",
    }
}

/// Where a preset's value of a rule comes from in its stack's source (file and function;
/// versions in [`preset_source`]); `None` for the spec's own rules and parameters.
pub fn rule_source(preset: &str, rule: &str) -> Option<&'static str> {
    let nim = |r| {
        Some(match r {
            "prune_at" => "behavior.nim rebalanceMesh: prunes when mesh > dHigh (keeps dScore by score, then dOut outbound)",
            "graft_outbound_beyond_d_high" => "behavior.nim handleGraft: beyond dHigh only from an outbound peer while fewer than dOut",
            "subscribe_graft" => "gossipsub.nim handleSubscribe: a SUBSCRIBE while mesh < dLow runs rebalanceMesh (to d)",
            "prune_unsubscribed_graft" => "behavior.nim handleGraft: a GRAFT for a topic not subscribed is ignored",
            "idontwant_when" => "gossipsub.nim validateAndRelay: msg.data.len > max(512, 10 x id length)",
            "idontwant_on_publish" => "gossipsub.nim publish: sendIDontWantOnPublish (false in nwaku)",
            "iwant_once" => "behavior.nim handleIHave: no tracking across peers; the same id may be asked of several",
            "heartbeat_rpcs" => "behavior.nim onHeartbeat: a peer's IHAVEs for all topics in one control RPC",
            "heartbeat_initial_delay" | "heartbeat_phase" => "gossipsub.nim start: heartbeat runs at start, no delay or jitter; phase = the node's start",
            _ => return None,
        })
    };
    let go = |r| {
        Some(match r {
            "prune_at" => "gossipsub.go heartbeat: len(peers) >= Dhi (since v0.13.0)",
            "graft_outbound_beyond_d_high" => {
                "gossipsub.go handleGraft: refuses at Dhi unless the peer is outbound"
            }
            "subscribe_graft" => {
                "pubsub.go handleIncomingRPC / gossipsub.go AddPeer: a SUBSCRIBE grafts nobody"
            }
            "prune_unsubscribed_graft" => {
                "gossipsub.go handleGraft: a GRAFT for an unknown topic is ignored"
            }
            "idontwant_when" => {
                "gossipsub.go preValidation: len(msg.Data) >= GossipSubIDontWantMessageThreshold"
            }
            "idontwant_on_publish" => {
                "gossipsub.go Publish: sendIDontWant also for own messages (v0.16.0)"
            }
            "iwant_once" => {
                "gossipsub.go handleIHave: an unseen id is asked of every peer that offers it"
            }
            "heartbeat_rpcs" => {
                "gossipsub.go piggybackControl / flush: a peer's control rides in one RPC"
            }
            "heartbeat_initial_delay" | "heartbeat_phase" => {
                "gossipsub.go GossipSubHeartbeatInitialDelay = 100ms; phase = the node's start"
            }
            _ => return None,
        })
    };
    let rust = |r| {
        Some(match r {
            "prune_at" => "behaviour.rs heartbeat: peers.len() >= mesh_n_high (#6184)",
            "graft_outbound_beyond_d_high" => "behaviour.rs handle_graft: peers.len() >= mesh_n_high refuses whoever grafts (#6184)",
            "subscribe_graft" => "behaviour.rs handle_received_subscriptions: peers.len() < mesh_n_low grafts that peer",
            "prune_unsubscribed_graft" => "behaviour.rs handle_graft: topic not in self.mesh is skipped, no PRUNE",
            "idontwant_when" => "behaviour.rs handle_received_message: raw_protobuf_len() > idontwant_message_size_threshold",
            "idontwant_on_publish" => "behaviour.rs publish: idontwant_on_publish (default false)",
            "iwant_once" => "behaviour.rs handle_ihave + gossip_promises.rs: a promised id is not asked again (promises expire only with scoring)",
            "heartbeat_rpcs" => "handler.rs / behaviour.rs send_graft_prune, emit_gossip: one RPC per GRAFT, PRUNE and topic's IHAVE",
            "heartbeat_initial_delay" | "heartbeat_phase" => "behaviour.rs new: Delay::new(heartbeat_interval + heartbeat_initial_delay) = 6s; phase = the node's start",
            _ => return None,
        })
    };
    match preset {
        "nwaku" => nim(rule),
        "go-waku" | "go-libp2p" => go(rule),
        "rust-libp2p" => rust(rule),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in PRESETS {
            let cfg = preset(name).unwrap();
            cfg.validate()
                .unwrap_or_else(|e| panic!("preset {name}: {e}"));
        }
        assert!(preset("nope").is_none());
    }

    #[test]
    fn inconsistent_degrees_are_refused() {
        let mut c = preset("nwaku").unwrap();
        c.mesh_n_low = 7;
        assert_eq!(c.validate().unwrap_err().param, "mesh_n");
        let mut c = preset("nwaku").unwrap();
        c.mesh_outbound_min = 4;
        assert_eq!(c.validate().unwrap_err().param, "mesh_outbound_min");
    }
}
