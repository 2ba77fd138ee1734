//! The named presets, one per stack: each one's values and rules, the release they were
//! read at, and where each rule is decided in that release's code, all in this file, so
//! that a preset names a release (`docs/sources.md` §1). Knows nothing of TOML.

use super::config::{
    GossipsubConfig, HeartbeatPhase, HeartbeatRpcs, IdontwantWhen, IwantOnce, PruneAt,
    SubscribeGraft,
};
use crate::ids::SimTime;

crate::word_enum!(
    /// A named set of gossipsub values and rules, one per stack, read at a release (its
    /// [`Preset::source`]); each rule it takes from its stack's code cites the file and
    /// function that decide it ([`Preset::rule_source`]).
    Preset {
        Nwaku = "nwaku",
        Nwaku2023 = "nwaku-2023",
        GoWaku = "go-waku",
        GoLibp2p = "go-libp2p",
        RustLibp2p = "rust-libp2p",
        SpecV11 = "spec-v1.1",
    }
);

/// Every preset's name, in the order tables show them. Values from `docs/sources.md` §1.
pub const PRESETS: &[&str] = Preset::WORDS;

/// The behaviour rules a preset may take from its stack (the other parameters are values).
pub const RULES: &[&str] = &[
    "prune_at",
    "graft_outbound_beyond_d_high",
    "subscribe_graft",
    "prune_unsubscribed_graft",
    "idontwant_when",
    "idontwant_on_publish",
    "iwant_once",
    "heartbeat_rpcs",
    "heartbeat_initial_delay",
    "heartbeat_phase",
];

/// The preset called `name`, or `None` if there is none.
pub fn preset(name: &str) -> Option<GossipsubConfig> {
    Preset::from_word(name).map(Preset::config)
}

/// The source preset `name`'s rules were read from (the spec's for an unknown name).
pub fn preset_source(name: &str) -> &'static str {
    Preset::from_word(name).map_or(Preset::SpecV11.source(), Preset::source)
}

/// Where preset `preset`'s value of `rule` comes from in its stack's source; `None` for the
/// spec's own rules and parameters.
pub fn rule_source(preset: &str, rule: &str) -> Option<&'static str> {
    Preset::from_word(preset).and_then(|p| p.rule_source(rule))
}

impl Preset {
    /// Whether its rules were read from its stack's code (else they are the spec's).
    pub fn reads_rules(self) -> bool {
        matches!(
            self,
            Preset::Nwaku | Preset::GoWaku | Preset::GoLibp2p | Preset::RustLibp2p
        )
    }

    /// Its values and rules.
    pub fn config(self) -> GossipsubConfig {
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
        match self {
            Preset::SpecV11 => spec,
            Preset::Nwaku => GossipsubConfig {
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
            Preset::Nwaku2023 => GossipsubConfig {
                retain_scores: 6,
                mesh_outbound_min: 3,
                history_length: 6,
                unsubscribe_backoff: s(5),
                idontwant_threshold: None,
                ..spec
            },
            Preset::GoWaku => GossipsubConfig {
                mesh_outbound_min: 3,
                history_length: 6,
                unsubscribe_backoff: s(5),
                ..go_rules(spec)
            },
            Preset::GoLibp2p => GossipsubConfig {
                mesh_n_low: 5,
                flood_publish: false,
                idontwant_threshold: Some(1024),
                idontwant_when: IdontwantWhen::DataAtLeast,
                idontwant_on_publish: true,
                ..go_rules(spec)
            },
            Preset::RustLibp2p => GossipsubConfig {
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
        }
    }
}

/// go-libp2p-pubsub's rules (v0.16.0; go-waku's fork of v0.13.1 behaves alike): see
/// [`Preset::rule_source`].
fn go_rules(spec: GossipsubConfig) -> GossipsubConfig {
    GossipsubConfig {
        prune_at: PruneAt::AtDHigh,
        prune_unsubscribed_graft: false,
        iwant_once: IwantOnce::EveryPeer,
        heartbeat_initial_delay: SimTime::from_millis(100),
        ..spec
    }
}

impl Preset {
    /// The source its rules were read from: stack, version, commit.
    pub fn source(self) -> &'static str {
        match self {
        Preset::Nwaku => "nim-libp2p v1.14.3 (e82080f7), as nwaku 7d1c6aba vendors it; libp2p/protocols/pubsub/gossipsub.nim, gossipsub/behavior.nim",
        Preset::Nwaku2023 => "nwaku until Oct 2023: parameters only; its nim-libp2p's rules were not read (spec v1.1 rules)",
        Preset::GoWaku => "go-libp2p-pubsub v0.13.1-gowaku (fork of b50197e) as go-waku pins it; gossipsub.go (rules as v0.16.0, IDONTWANT off)",
        Preset::GoLibp2p => "go-libp2p-pubsub v0.16.0 (b14732c); gossipsub.go",
        Preset::RustLibp2p => "libp2p-gossipsub 0.50.0 (rust-libp2p 6348a0be, libp2p 0.57); protocols/gossipsub/src/behaviour.rs",
        Preset::SpecV11 => "gossipsub v1.1/v1.2 spec text (libp2p/specs pubsub/gossipsub)",
    }
    }

    /// Where its value of `rule` comes from in its stack's source (file and function;
    /// versions in [`Preset::source`]); `None` for the spec's own rules and parameters.
    pub fn rule_source(self, rule: &str) -> Option<&'static str> {
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
        match self {
            Preset::Nwaku => nim(rule),
            Preset::GoWaku | Preset::GoLibp2p => go(rule),
            Preset::RustLibp2p => rust(rule),
            Preset::Nwaku2023 | Preset::SpecV11 => None,
        }
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

    /// A preset whose rules were read from its stack cites, for every rule, where its
    /// stack's code decides it; the others cite nothing (their rules are the spec's).
    #[test]
    fn every_rule_has_a_source_for_every_stack() {
        for &p in Preset::ALL {
            for rule in RULES {
                let src = p.rule_source(rule);
                assert_eq!(
                    src.is_some(),
                    p.reads_rules(),
                    "preset {}: rule {rule}",
                    p.word()
                );
                if let Some(s) = src {
                    assert!(
                        s.contains(".rs") || s.contains(".go") || s.contains(".nim"),
                        "{s}"
                    );
                }
            }
        }
        assert!(
            Preset::Nwaku.rule_source("mesh_n").is_none(),
            "a value, not a rule"
        );
    }
}
