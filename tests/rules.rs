//! The behaviour rules by which the stacks differ (`prune_at`, `subscribe_graft`, ...): each
//! rule, both ways, on a script where the two ways part.

mod common;

use common::{Harness, T};
use gossipsim::protocol::gossipsub::{
    preset, GossipsubConfig, HeartbeatRpcs, IdontwantWhen, IwantOnce, PayloadKind, PruneAt,
    RpcPart, SubscribeGraft,
};
use gossipsim::{MsgIdx, PeerId, SimTime};

/// spec-v1.1 with D = 3, D_low = 2, D_high = 4, D_out = 1: small enough to fill by hand.
fn small() -> GossipsubConfig {
    GossipsubConfig {
        mesh_n: 3,
        mesh_n_low: 2,
        mesh_n_high: 4,
        mesh_outbound_min: 1,
        retain_scores: 1,
        ..preset("spec-v1.1").unwrap()
    }
}

/// Peer 0 and `n - 1` others; peer 0 dials those in `dialled`, the others dial it. All
/// subscribe; no mesh yet (nobody knew a subscriber when it joined).
fn star(cfg: GossipsubConfig, n: u32, dialled: &[u32]) -> Harness {
    let mut h = Harness::new(n, cfg);
    for i in 1..n {
        if dialled.contains(&i) {
            h.connect(0, i);
        } else {
            h.connect(i, 0);
        }
    }
    h.subscribe_all();
    assert!(h.mesh(0).is_empty());
    h
}

fn sent_to(out: &[(PeerId, Vec<RpcPart>)], pred: impl Fn(&RpcPart) -> bool) -> Vec<PeerId> {
    out.iter()
        .filter(|(_, p)| p.iter().any(&pred))
        .map(|(d, _)| *d)
        .collect()
}

fn is_graft(p: &RpcPart) -> bool {
    matches!(p, RpcPart::Graft { .. })
}

fn is_prune(p: &RpcPart) -> bool {
    matches!(p, RpcPart::Prune { .. })
}

/// Peer 0's heartbeat alone; what it sends.
fn heartbeat_of_0(h: &mut Harness) -> Vec<(PeerId, Vec<RpcPart>)> {
    h.now = h.now + h.cfg.heartbeat_interval;
    let msgs = std::mem::take(&mut h.msgs);
    h.peers[0].handle_heartbeat(h.now, &msgs);
    h.msgs = msgs;
    h.collect(0);
    h.drop_queued()
        .into_iter()
        .map(|(_, to, p)| (to, p))
        .collect()
}

#[test]
fn prune_at_d_high_or_above_it() {
    for (rule, kept) in [(PruneAt::AboveDHigh, 4), (PruneAt::AtDHigh, 3)] {
        let mut h = star(
            GossipsubConfig {
                prune_at: rule,
                ..small()
            },
            6,
            &[],
        );
        for i in 1..=4 {
            assert!(h.inject(i, 0, &[RpcPart::Graft { topic: T }]).is_empty());
        }
        assert_eq!(h.mesh(0).len(), 4, "{rule:?}: D_high grafts accepted");
        let out = heartbeat_of_0(&mut h);
        assert_eq!(h.mesh(0).len(), kept, "{rule:?}");
        assert_eq!(sent_to(&out, is_prune).len(), 4 - kept, "{rule:?}");
    }
}

#[test]
fn a_graft_beyond_d_high_from_a_peer_we_dialled() {
    for exempt in [true, false] {
        let mut h = star(
            GossipsubConfig {
                graft_outbound_beyond_d_high: exempt,
                ..small()
            },
            7,
            &[6],
        );
        for i in 1..=4 {
            h.inject(i, 0, &[RpcPart::Graft { topic: T }]);
        }
        // An inbound peer is refused either way; the outbound one only without the rule.
        let inbound = h.inject(5, 0, &[RpcPart::Graft { topic: T }]);
        assert_eq!(sent_to(&inbound, is_prune), vec![PeerId(5)]);
        let outbound = h.inject(6, 0, &[RpcPart::Graft { topic: T }]);
        assert_eq!(outbound.is_empty(), exempt, "exempt = {exempt}");
        assert_eq!(h.mesh(0).contains(&PeerId(6)), exempt);
    }
}

#[test]
fn a_subscribe_below_d_low_grafts_nobody_that_peer_or_up_to_d() {
    for (rule, grafted) in [
        (SubscribeGraft::None, vec![]),
        (SubscribeGraft::Peer, vec![PeerId(7)]),
        // To D = 3 from the one left in the mesh: two of those outside it and not in backoff.
        (SubscribeGraft::Rebalance, vec![]),
    ] {
        let cfg = GossipsubConfig {
            subscribe_graft: rule,
            ..small()
        };
        let mut h = Harness::new(8, cfg);
        for i in 1..7 {
            h.connect(i, 0);
        }
        h.subscribe_all();
        // Leave (the rule may have grafted on the SUBSCRIBEs) and wait out the backoff.
        h.peers[0].handle_unsubscribe(h.now, T);
        h.collect(0);
        h.drop_queued();
        h.now = h.now + SimTime::from_secs(30);
        // 0 joins knowing 1..6: it grafts D = 3 of them; then two PRUNE it.
        h.peers[0].handle_subscribe(h.now, T);
        h.collect(0);
        h.drop_queued();
        let mesh = h.mesh(0);
        assert_eq!(mesh.len(), 3);
        for p in &mesh[..2] {
            h.inject(
                p.0,
                0,
                &[RpcPart::Prune {
                    topic: T,
                    backoff_secs: 60,
                }],
            );
        }
        // A new peer connects and subscribes while 0's mesh (1) is below D_low (2).
        h.connect(7, 0);
        h.drop_queued();
        let out = h.inject(
            7,
            0,
            &[RpcPart::Subscribe {
                topic: T,
                subscribe: true,
            }],
        );
        let g = sent_to(&out, is_graft);
        match rule {
            SubscribeGraft::None | SubscribeGraft::Peer => assert_eq!(g, grafted, "{rule:?}"),
            SubscribeGraft::Rebalance => {
                assert_eq!(g.len(), 2, "{rule:?}: {g:?}");
                // Neither the pruners (in backoff) nor the one still in the mesh.
                assert!(g.iter().all(|p| !mesh.contains(p)), "{g:?} vs {mesh:?}");
            }
        }
        assert_eq!(h.mesh(0).len(), 1 + g.len());
    }
}

#[test]
fn a_graft_for_a_topic_we_are_not_in() {
    for prune in [true, false] {
        let mut h = Harness::new(
            2,
            GossipsubConfig {
                prune_unsubscribed_graft: prune,
                ..small()
            },
        );
        h.connect(1, 0);
        let out = h.inject(1, 0, &[RpcPart::Graft { topic: T }]);
        assert_eq!(!sent_to(&out, is_prune).is_empty(), prune, "{prune}");
        assert!(h.mesh(0).is_empty());
    }
}

/// Whether peer 0, meshed with 1 and 2, sends IDONTWANT on a first copy of `data` bytes.
fn idontwant_for(when: IdontwantWhen, data: u32) -> bool {
    let mut h = star(
        GossipsubConfig {
            idontwant_threshold: Some(1000),
            idontwant_when: when,
            ..small()
        },
        3,
        &[],
    );
    h.inject(1, 0, &[RpcPart::Graft { topic: T }]);
    h.inject(2, 0, &[RpcPart::Graft { topic: T }]);
    let m = h.new_message(1, data);
    let out = h.inject(
        1,
        0,
        &[RpcPart::Message {
            msg: m,
            kind: PayloadKind::Published,
            hops: 1,
        }],
    );
    !sent_to(&out, |p| matches!(p, RpcPart::IDontWant { .. })).is_empty()
}

#[test]
fn the_idontwant_threshold_compares_the_data_or_the_message() {
    // Data of 1000 B: above 1000 no, at least 1000 yes.
    assert!(!idontwant_for(IdontwantWhen::DataAbove, 1000));
    assert!(idontwant_for(IdontwantWhen::DataAtLeast, 1000));
    assert!(idontwant_for(IdontwantWhen::DataAbove, 1001));
    // The whole message holds the data field (tag, 2-byte length) and the topic field: 997 B
    // of data make a 1002-byte message here (the harness's topic name is empty).
    assert!(!idontwant_for(IdontwantWhen::DataAbove, 997));
    assert!(idontwant_for(IdontwantWhen::MessageAbove, 997));
    assert!(!idontwant_for(IdontwantWhen::MessageAbove, 995));
}

#[test]
fn idontwant_on_publish_goes_ahead_of_the_message() {
    for on in [false, true] {
        let mut h = star(
            GossipsubConfig {
                idontwant_threshold: Some(1000),
                idontwant_on_publish: on,
                ..small()
            },
            4,
            &[],
        );
        let m = h.new_message(0, 5000);
        h.peers[0].handle_publish(h.now, m, &h.msgs);
        h.collect(0);
        let out: Vec<(PeerId, Vec<RpcPart>)> = h
            .drop_queued()
            .into_iter()
            .map(|(_, to, p)| (to, p))
            .collect();
        // Flood publishing: every topic peer gets the message, and first an IDONTWANT if on.
        for peer in 1..4 {
            let to: Vec<&Vec<RpcPart>> = out
                .iter()
                .filter(|(d, _)| *d == PeerId(peer))
                .map(|(_, p)| p)
                .collect();
            let want: Vec<Vec<RpcPart>> = if on {
                vec![
                    vec![RpcPart::IDontWant { msg: m }],
                    vec![message(m, PayloadKind::Published)],
                ]
            } else {
                vec![vec![message(m, PayloadKind::Published)]]
            };
            assert_eq!(to, want.iter().collect::<Vec<_>>(), "on = {on}");
        }
    }
}

fn message(msg: MsgIdx, kind: PayloadKind) -> RpcPart {
    RpcPart::Message { msg, kind, hops: 1 }
}

#[test]
fn an_id_asked_once_is_asked_again_next_heartbeat_never_or_of_every_peer() {
    // (rule, asked of peer 2 in the same heartbeat, asked of peer 2 after a heartbeat)
    for (rule, same, later) in [
        (IwantOnce::Heartbeat, false, true),
        (IwantOnce::UntilReceived, false, false),
        (IwantOnce::EveryPeer, true, true),
    ] {
        let mut h = star(
            GossipsubConfig {
                iwant_once: rule,
                ..small()
            },
            3,
            &[],
        );
        let m = h.new_message(1, 100);
        let ihave = [RpcPart::IHave { topic: T, msg: m }];
        let iwant = |out: &[(PeerId, Vec<RpcPart>)]| {
            !sent_to(out, |p| matches!(p, RpcPart::IWant { .. })).is_empty()
        };
        assert!(iwant(&h.inject(1, 0, &ihave)));
        assert_eq!(iwant(&h.inject(2, 0, &ihave)), same, "{rule:?}");
        heartbeat_of_0(&mut h);
        assert_eq!(iwant(&h.inject(2, 0, &ihave)), later, "{rule:?}");
    }
}

#[test]
fn heartbeat_control_in_one_rpc_per_peer_or_one_per_control() {
    for rule in [HeartbeatRpcs::PerPeer, HeartbeatRpcs::PerControl] {
        // 0 dials 5; five GRAFTs (the fifth beyond D_high, from its outbound peer) make a
        // mesh of 5 > D_high: the heartbeat prunes two, who then get its IHAVE too.
        let mut h = star(
            GossipsubConfig {
                heartbeat_rpcs: rule,
                ..small()
            },
            6,
            &[5],
        );
        for i in 1..=5 {
            h.inject(i, 0, &[RpcPart::Graft { topic: T }]);
        }
        assert_eq!(h.mesh(0).len(), 5);
        h.publish_unsent(0, 100);
        let out = heartbeat_of_0(&mut h);
        let pruned = sent_to(&out, is_prune);
        assert_eq!(pruned.len(), 2);
        for p in pruned {
            let rpcs: Vec<&Vec<RpcPart>> = out
                .iter()
                .filter(|(d, _)| *d == p)
                .map(|(_, r)| r)
                .collect();
            match rule {
                HeartbeatRpcs::PerPeer => {
                    assert_eq!(rpcs.len(), 1, "{rpcs:?}");
                    assert!(rpcs[0].iter().any(is_prune));
                    assert!(rpcs[0].iter().any(|x| matches!(x, RpcPart::IHave { .. })));
                }
                HeartbeatRpcs::PerControl => {
                    assert_eq!(rpcs.len(), 2, "{rpcs:?}");
                    assert!(rpcs.iter().all(|r| r.len() == 1));
                }
            }
        }
    }
}
