//! Protocol scripts over the peer harness: mesh convergence, IHAVE → IWANT → message,
//! PRUNE backoff, IDONTWANT suppression, seen-cache expiry.

mod common;

use common::{Harness, T};
use gossipsim::protocol::gossipsub::{preset, PayloadKind, RpcPart};
use gossipsim::{MsgIdx, PeerId, SimTime};

#[test]
fn meshes_converge_into_bounds() {
    // 20 peers, all connected, all subscribe, 3 heartbeats: every mesh within [D_low, D_high].
    for name in ["nwaku", "spec-v1.1", "go-libp2p"] {
        let cfg = preset(name).unwrap();
        let mut h = Harness::new(20, cfg.clone());
        h.connect_all();
        h.subscribe_all();
        for _ in 0..3 {
            h.heartbeat();
        }
        for i in 0..20 {
            let m = h.mesh(i).len();
            assert!(
                (cfg.mesh_n_low..=cfg.mesh_n_high).contains(&m),
                "{name}: peer {i} mesh {m}"
            );
        }
        // Meshes are symmetric: GRAFT/PRUNE keep both ends in agreement.
        for i in 0..20u32 {
            for p in h.mesh(i) {
                assert!(
                    h.mesh(p.0).contains(&PeerId(i)),
                    "{name}: {i} has {p:?} but not back"
                );
            }
        }
    }
}

#[test]
fn ihave_for_unseen_id_yields_iwant_and_the_message() {
    // Ids asked are not asked again within the heartbeat (the spec's reading; nwaku asks
    // again: `iwant_once`, tests/rules.rs).
    let cfg = gossipsim::protocol::gossipsub::GossipsubConfig {
        iwant_once: gossipsim::protocol::gossipsub::IwantOnce::Heartbeat,
        ..preset("nwaku").unwrap()
    };
    let mut h = Harness::new(2, cfg);
    h.connect(0, 1);
    h.subscribe_all();
    // Peer 1 has a message in its cache that peer 0 has never seen.
    let m = h.publish_unsent(1, 100);
    assert!(!h.peers[0].has_seen(m));
    let replies = h.inject(1, 0, &[RpcPart::IHave { topic: T, msg: m }]);
    assert_eq!(replies, vec![(PeerId(1), vec![RpcPart::IWant { msg: m }])]);
    let served = h.inject(0, 1, &[RpcPart::IWant { msg: m }]);
    assert_eq!(
        served,
        vec![(
            PeerId(0),
            vec![RpcPart::Message {
                msg: m,
                kind: PayloadKind::IWantServed,
                hops: 1
            }]
        )]
    );
    // A second IHAVE in the same heartbeat for an id already asked for: no second IWANT.
    assert!(h
        .inject(1, 0, &[RpcPart::IHave { topic: T, msg: m }])
        .is_empty());
    // Once seen, an IHAVE asks nothing.
    h.inject(
        1,
        0,
        &[RpcPart::Message {
            msg: m,
            kind: PayloadKind::IWantServed,
            hops: 1,
        }],
    );
    h.heartbeat();
    assert!(h
        .inject(1, 0, &[RpcPart::IHave { topic: T, msg: m }])
        .is_empty());
}

#[test]
fn iwant_is_served_at_most_gossip_retransmission_times() {
    let mut h = Harness::nwaku(2);
    h.connect(0, 1);
    h.subscribe_all();
    let m = h.publish_unsent(1, 100);
    let limit = h.cfg.gossip_retransmission as usize;
    let served = (0..limit + 2)
        .filter(|_| !h.inject(0, 1, &[RpcPart::IWant { msg: m }]).is_empty())
        .count();
    assert_eq!(served, limit);
}

#[test]
fn backoff_is_respected_after_prune() {
    let mut h = Harness::nwaku(2);
    h.connect(0, 1);
    h.subscribe_all();
    h.heartbeat();
    assert_eq!(h.mesh(0), vec![PeerId(1)], "the only peer gets grafted");
    // Peer 1 prunes peer 0 with a 10 s backoff.
    h.inject(
        1,
        0,
        &[RpcPart::Prune {
            topic: T,
            backoff_secs: 10,
        }],
    );
    h.peers[1].handle_rpc(
        h.now,
        PeerId(0),
        &[RpcPart::Prune {
            topic: T,
            backoff_secs: 10,
        }],
        &h.msgs,
    );
    assert!(h.mesh(0).is_empty());
    let pruned_at = h.now;
    h.log.clear();
    let mut regraft = None;
    for _ in 0..20 {
        h.heartbeat();
        let grafted = h.log.iter().any(|(f, t, p)| {
            *f == PeerId(0) && *t == PeerId(1) && p.contains(&RpcPart::Graft { topic: T })
        });
        if grafted && regraft.is_none() {
            regraft = Some(h.now);
        }
        h.log.clear();
    }
    let at = regraft.expect("grafts again after the backoff");
    // Not before backoff + one heartbeat of slack.
    assert!(
        at >= pruned_at + SimTime::from_secs(11),
        "re-grafted at {at} after prune at {pruned_at}"
    );
    assert!(at <= pruned_at + SimTime::from_secs(12));
}

#[test]
fn graft_during_backoff_is_refused_with_prune() {
    let mut h = Harness::nwaku(2);
    h.connect(0, 1);
    h.subscribe_all();
    h.inject(
        1,
        0,
        &[RpcPart::Prune {
            topic: T,
            backoff_secs: 60,
        }],
    );
    let reply = h.inject(1, 0, &[RpcPart::Graft { topic: T }]);
    assert!(
        matches!(reply.as_slice(), [(p, parts)] if *p == PeerId(1) && matches!(parts[..], [RpcPart::Prune { .. }]))
    );
    assert!(h.mesh(0).is_empty());
}

/// Who got a copy of a message among the RPCs `out`.
fn forwards(out: &[(PeerId, Vec<RpcPart>)]) -> Vec<PeerId> {
    out.iter()
        .filter(|(_, p)| p.iter().any(|x| matches!(x, RpcPart::Message { .. })))
        .map(|(d, _)| *d)
        .collect()
}

/// An RPC carrying `msg` from its publisher.
fn message(msg: MsgIdx) -> [RpcPart; 1] {
    [RpcPart::Message {
        msg,
        kind: PayloadKind::Published,
        hops: 1,
    }]
}

/// A line 1 - 0 - 2 plus 0 - 3 (nwaku preset), meshed: 0 forwards what 1 sends to 2 and 3
/// unless told not to.
fn star_of_four() -> Harness {
    let mut h = Harness::nwaku(4);
    h.connect(0, 1);
    h.connect(0, 2);
    h.connect(0, 3);
    h.subscribe_all();
    h.heartbeat();
    h
}

#[test]
fn idontwant_suppresses_forwards() {
    let mut h = star_of_four();
    assert_eq!(h.mesh(0), vec![PeerId(1), PeerId(2), PeerId(3)]);
    let m = h.new_message(1, 2000);
    h.inject(2, 0, &[RpcPart::IDontWant { msg: m }]);
    let out = h.inject(1, 0, &message(m));
    assert_eq!(
        forwards(&out),
        vec![PeerId(3)],
        "not back to the source, not to the IDONTWANT sender"
    );
    // And 0 itself sent IDONTWANT (2000 B > 512 B) to its mesh peers other than the source.
    let idw: Vec<PeerId> = out
        .iter()
        .filter(|(_, p)| p.contains(&RpcPart::IDontWant { msg: m }))
        .map(|(d, _)| *d)
        .collect();
    assert_eq!(idw, vec![PeerId(2), PeerId(3)]);
    // Small messages get no IDONTWANT.
    let small = h.new_message(1, 100);
    let out = h.inject(
        1,
        0,
        &[RpcPart::Message {
            msg: small,
            kind: PayloadKind::Published,
            hops: 1,
        }],
    );
    assert!(out
        .iter()
        .all(|(_, p)| !p.iter().any(|x| matches!(x, RpcPart::IDontWant { .. }))));
}

#[test]
fn seen_cache_expires_after_seen_ttl() {
    let mut h = Harness::nwaku(3);
    h.connect(0, 1);
    h.connect(0, 2);
    h.subscribe_all();
    h.heartbeat();
    let m = h.new_message(1, 100);
    let part = [RpcPart::Message {
        msg: m,
        kind: PayloadKind::Published,
        hops: 1,
    }];
    assert!(!h.inject(1, 0, &part).is_empty(), "first copy is forwarded");
    assert_eq!(h.received.len(), 1);
    h.now = h.now + SimTime::from_secs(119);
    assert!(
        h.inject(1, 0, &part).is_empty(),
        "a duplicate within seen_ttl is dropped"
    );
    assert_eq!(h.received.len(), 1);
    h.now = h.now + SimTime::from_secs(2);
    h.inject(1, 0, &part);
    assert_eq!(
        h.received.len(),
        2,
        "after seen_ttl (2 min) the id is new again"
    );
}

#[test]
fn gossip_reaches_peers_outside_the_mesh() {
    // 30 fully connected peers: a publish with flood publishing off reaches the mesh; every
    // other peer learns of it through IHAVE within a few heartbeats (and gets it by IWANT).
    let mut cfg = preset("go-libp2p").unwrap();
    cfg.flood_publish = false;
    let mut h = Harness::new(30, cfg);
    h.connect_all();
    h.subscribe_all();
    for _ in 0..3 {
        h.heartbeat();
    }
    let m = h.publish(0, 100);
    for _ in 0..3 {
        h.heartbeat();
    }
    assert!((0..30).all(|i| h.peers[i].has_seen(m)));
    let ihaves = h
        .log
        .iter()
        .filter(|(_, _, p)| p.iter().any(|x| matches!(x, RpcPart::IHave { .. })))
        .count();
    assert!(ihaves > 0, "gossip was emitted");
}

#[test]
fn unsubscribe_prunes_the_mesh_with_the_unsubscribe_backoff() {
    let mut h = Harness::nwaku(3);
    h.connect(0, 1);
    h.connect(0, 2);
    h.subscribe_all();
    h.heartbeat();
    assert_eq!(h.mesh(0), vec![PeerId(1), PeerId(2)]);
    h.log.clear();
    h.peers[0].handle_unsubscribe(h.now, T);
    h.collect(0);
    h.flush();
    let backoff = h.cfg.unsubscribe_backoff.as_nanos() / 1_000_000_000;
    for p in [1u32, 2] {
        let sent = h
            .log
            .iter()
            .filter(|(f, t, _)| *f == PeerId(0) && *t == PeerId(p))
            .flat_map(|(_, _, parts)| parts.clone())
            .collect::<Vec<_>>();
        assert!(
            sent.contains(&RpcPart::Prune {
                topic: T,
                backoff_secs: backoff as u32
            }),
            "{sent:?}"
        );
        assert!(
            sent.contains(&RpcPart::Subscribe {
                topic: T,
                subscribe: false
            }),
            "{sent:?}"
        );
        assert!(
            !h.mesh(p).contains(&PeerId(0)),
            "peer {p} dropped 0 from its mesh"
        );
        assert_eq!(
            h.peers[p as usize].topic_peers_len(T),
            0,
            "peer {p} knows 0 left the topic"
        );
    }
    assert!(!h.peers[0].is_subscribed(T));
}

/// IDONTWANTs from all neighbours share one FIFO per peer: an entry still counts when newer
/// entries for other messages follow it, and stops counting once its TTL has passed (cleared
/// at the first heartbeat after).
#[test]
fn idontwant_entries_count_until_their_ttl() {
    let mut h = star_of_four();
    let m = h.new_message(1, 2000);
    h.inject(2, 0, &[RpcPart::IDontWant { msg: m }]);
    // Newer IDONTWANTs for other messages, from both other neighbours.
    for _ in 0..20 {
        let other = h.new_message(1, 2000);
        h.inject(3, 0, &[RpcPart::IDontWant { msg: other }]);
        h.inject(2, 0, &[RpcPart::IDontWant { msg: other }]);
    }
    assert_eq!(forwards(&h.inject(1, 0, &message(m))), vec![PeerId(3)]);
    // Past the TTL (3 s in the nwaku preset) and a heartbeat, an old IDONTWANT is gone.
    let late = h.new_message(1, 2000);
    h.inject(2, 0, &[RpcPart::IDontWant { msg: late }]);
    for _ in 0..4 {
        h.heartbeat();
    }
    assert_eq!(
        forwards(&h.inject(1, 0, &message(late))),
        vec![PeerId(2), PeerId(3)]
    );
}

/// An IDONTWANT recorded ahead of its delivery (the simulator does so when the RPC reaches
/// the downlink) counts only from its delivery instant on, and at that very instant only
/// for inputs the host handles after it (`set_deliveries_before`).
#[test]
fn idontwant_recorded_ahead_counts_from_its_delivery() {
    let ms = SimTime::from_millis;
    // (delivery of the IDONTWANT from 2 relative to the message from 1, what 0 was told
    // about the order at that instant, who gets the forward)
    let cases = [
        (ms(5), None, vec![PeerId(2), PeerId(3)]), // not delivered yet
        (ms(0), Some(0), vec![PeerId(2), PeerId(3)]), // same instant, handled first
        (ms(0), Some(3), vec![PeerId(3)]),         // same instant, delivered from 2 < 3 first
        (ms(0), None, vec![PeerId(3)]),            // no order given: the instant counts
    ];
    for (i, (after, below, want)) in cases.into_iter().enumerate() {
        let mut h = star_of_four();
        let m = h.new_message(1, 2000);
        let slot = h.peers[0].slot_of(PeerId(2)).unwrap();
        h.peers[0].idontwant_ahead(slot, m, h.now + after);
        if let Some(b) = below {
            h.peers[0].set_deliveries_before(b);
        }
        assert_eq!(forwards(&h.inject(1, 0, &message(m))), want, "case {i}");
    }
    // Delivered in the past: counts.
    let mut h = star_of_four();
    let m = h.new_message(1, 2000);
    let slot = h.peers[0].slot_of(PeerId(2)).unwrap();
    h.peers[0].idontwant_ahead(slot, m, h.now);
    h.now = h.now + ms(1);
    h.peers[0].set_deliveries_before(0);
    assert_eq!(forwards(&h.inject(1, 0, &message(m))), vec![PeerId(3)]);
}

/// A copy the host may count without delivering it (`known_duplicate`, on its arrival) is
/// one whose delivery would change nothing: seen, no seen entry expiring before the
/// delivery, and not being validated (a duplicate then records its sender).
#[test]
fn known_duplicate_only_where_delivery_changes_nothing() {
    let mut h = star_of_four();
    let m = h.new_message(1, 2000);
    assert!(!h.peers[0].known_duplicate(m, h.now, &h.msgs), "unseen");
    // Received, not validated yet.
    h.peers[0].handle_rpc(h.now, PeerId(1), &message(m), &h.msgs);
    assert!(!h.peers[0].known_duplicate(m, h.now, &h.msgs), "validating");
    h.collect(0);
    h.drop_queued();
    let s = SimTime::from_secs;
    assert!(h.peers[0].known_duplicate(m, h.now + s(119), &h.msgs));
    assert!(
        !h.peers[0].known_duplicate(m, h.now + s(121), &h.msgs),
        "its seen entry expires before that delivery"
    );
    // Delivered, such a copy indeed sends nothing.
    assert!(h.inject(2, 0, &message(m)).is_empty());
}

fn ihave(msg: MsgIdx) -> [RpcPart; 1] {
    [RpcPart::IHave { topic: T, msg }]
}

/// An RPC of IHAVEs the host settles on arrival (`known_ihave`: every id seen until its
/// delivery) counts against max_ihave_messages from its delivery on, and only until the
/// next heartbeat resets the counts (`ihave_ahead`).
#[test]
fn ihave_counted_ahead_counts_from_its_delivery() {
    let ms = SimTime::from_millis;
    // Peers 0 and 1 meshed; 0 has seen `seen`, not `unseen`; max_ihave_messages IHAVEs
    // from 1 recorded ahead at 0, delivered `after`, `after` + 1 ms, ... from now.
    let setup = |after: SimTime| {
        let mut h = Harness::nwaku(2);
        h.connect(0, 1);
        h.subscribe_all();
        h.heartbeat();
        let seen = h.publish_unsent(0, 100);
        let unseen = h.publish_unsent(1, 100);
        let later = h.now + ms(5);
        assert!(h.peers[0].known_ihave(&ihave(seen), later, &h.msgs));
        assert!(!h.peers[0].known_ihave(&ihave(unseen), later, &h.msgs));
        let both = [ihave(seen)[0], ihave(unseen)[0]];
        assert!(!h.peers[0].known_ihave(&both, later, &h.msgs));
        let slot = h.peers[0].slot_of(PeerId(1)).unwrap();
        let first = h.now + after;
        for i in 0..h.cfg.max_ihave_messages as u64 {
            h.peers[0].ihave_ahead(slot, &ihave(seen), first + ms(i));
        }
        (h, unseen)
    };
    // Whether peer 0 asks (IWANT) for `m` advertised by 1 at `at` after the setup.
    let asks = |(mut h, m): (common::Harness, MsgIdx), heartbeat: bool, at: SimTime| {
        if heartbeat {
            h.heartbeat();
        }
        h.now = h.now + at;
        h.inject(1, 0, &ihave(m))
            .iter()
            .any(|(_, p)| p.iter().any(|x| matches!(x, RpcPart::IWant { .. })))
    };
    // Not yet delivered: they do not count.
    assert!(asks(setup(ms(1)), false, SimTime(999_999)));
    // All delivered: the limit is reached, one more IHAVE is ignored.
    assert!(!asks(setup(ms(1)), false, ms(20)));
    // Delivered before a heartbeat: reset with the rest.
    assert!(asks(setup(ms(500)), true, ms(1)));
    // Delivered after the heartbeat (1 s from now): they count in the next interval.
    assert!(!asks(setup(ms(1001)), true, ms(20)));
}
