//! A node's stack (`protocol::node::Node`) on scripts: the glue between its relay and its
//! Waku machines, and the order in which what they want comes out. No engine: outputs are
//! read straight off `Node::poll`.

mod common;

use common::{Harness, T};
use gossipsim::message::MessageTable;
use gossipsim::protocol::gossipsub::{Peer, RpcPart};
use gossipsim::protocol::node::{Incoming, NodeCtx, NodeOut, Stacks, Timer};
use gossipsim::protocol::waku::{LightClient, LightRpc, Service, WakuNode};
use gossipsim::{MsgIdx, PeerId, SimTime};

/// Every class is followed by light clients.
const TO_LIGHT: &[bool] = &[true];

fn cx(msgs: &MessageTable) -> NodeCtx<'_> {
    NodeCtx {
        msgs,
        to_light: TO_LIGHT,
    }
}

/// Everything node 0 wants done now, transmits included (as a host that calls only `poll`
/// would see them).
fn drain(n: &mut Stacks, now: SimTime, msgs: &MessageTable) -> Vec<NodeOut> {
    std::iter::from_fn(|| n.node(0).poll(now, cx(msgs))).collect()
}

/// Peers 0, 1 and 2 connected and subscribed, with meshes after a heartbeat; peer 0 taken
/// out to be the relay of a node that also serves light clients, of which 7 subscribed.
fn service_node() -> (Stacks, Harness) {
    let mut h = Harness::nwaku(3);
    h.connect_all();
    h.subscribe_all();
    h.heartbeat();
    let relay: Peer = h.peers.swap_remove(0);
    assert_eq!(relay.mesh_len(T), 2, "both neighbours in its mesh");
    let waku = WakuNode {
        service: Some(Service::new(1)),
        ..WakuNode::default()
    };
    let mut n = Stacks::new([(Some(relay), Some(waku))]);
    let sub = LightRpc::FilterSubscribe {
        topic: T,
        content_topics: 1,
    };
    let what = Incoming::Waku {
        from: PeerId(7),
        rpc: sub,
    };
    n.node(0).handle_payload(h.now, what, cx(&h.msgs));
    let out = drain(&mut n, h.now, &h.msgs);
    assert_eq!(
        out,
        [NodeOut::Send {
            to: PeerId(7),
            rpc: LightRpc::FilterSubscribed { topic: T }
        }]
    );
    (n, h)
}

fn position(out: &[NodeOut], pred: impl Fn(&NodeOut) -> bool) -> usize {
    out.iter()
        .position(pred)
        .unwrap_or_else(|| panic!("not in {out:?}"))
}

fn is_push(o: &NodeOut, m: MsgIdx) -> bool {
    matches!(o, NodeOut::Send { rpc: LightRpc::FilterPush { msg, .. }, .. } if *msg == m)
}

/// A client's lightpush is the service's first copy, published on its relay (whose
/// transmits go first), then answered and pushed to the clients on the topic; the same
/// message lightpushed again is answered, not published or pushed again.
#[test]
fn a_lightpush_is_published_on_the_relay_once_then_served() {
    let (mut n, mut h) = service_node();
    let m = h.new_message(8, 100);
    let push = |n: &mut Stacks, from: u32, h: &Harness| {
        let what = Incoming::Waku {
            from: PeerId(from),
            rpc: LightRpc::Lightpush { msg: m },
        };
        n.node(0).handle_payload(h.now, what, cx(&h.msgs));
        drain(n, h.now, &h.msgs)
    };
    let out = push(&mut n, 8, &h);
    assert_eq!(out[0], NodeOut::Received { msg: m, hops: 1 });
    let sent: Vec<PeerId> = out
        .iter()
        .filter_map(|o| match o {
            NodeOut::Transmit(t) => Some(t.to),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 2, "published to its whole mesh: {out:?}");
    let last_transmit = out
        .iter()
        .rposition(|o| matches!(o, NodeOut::Transmit(_)))
        .unwrap();
    let ack = position(&out, |o| {
        matches!(
            o,
            NodeOut::Send {
                to: PeerId(8),
                rpc: LightRpc::LightpushAck { .. }
            }
        )
    });
    let pushed = position(&out, |o| is_push(o, m));
    assert!(last_transmit < ack && ack < pushed, "{out:?}");
    assert_eq!(out.len(), 5, "{out:?}");
    h.now = h.now + SimTime::from_millis(10);
    let again = push(&mut n, 9, &h);
    assert_eq!(
        again,
        [NodeOut::Send {
            to: PeerId(9),
            rpc: LightRpc::LightpushAck { msg: m }
        }]
    );
}

/// A message from the mesh is validated first; once accepted, the service pushes it to its
/// clients before the relay forwards it (what is served is done before what was pending).
#[test]
fn an_accepted_message_is_served_before_the_relay_forwards_it() {
    let (mut n, mut h) = service_node();
    let m = h.new_message(2, 100);
    let from_slot = n.relay(0).unwrap().slot_of(PeerId(2)).unwrap();
    let parts = [RpcPart::Message {
        msg: m,
        kind: gossipsim::protocol::gossipsub::PayloadKind::Published,
        hops: 0,
    }];
    n.node(0).handle_payload(
        h.now,
        Incoming::Relay {
            from_slot,
            parts: &parts,
        },
        cx(&h.msgs),
    );
    let out = drain(&mut n, h.now, &h.msgs);
    assert!(out.contains(&NodeOut::Validate { msg: m }), "{out:?}");
    assert!(
        !out.iter().any(|o| is_push(o, m)),
        "not before it is accepted"
    );
    n.node(0).handle_validated(h.now, m, cx(&h.msgs));
    let out = drain(&mut n, h.now, &h.msgs);
    let pushed = position(&out, |o| is_push(o, m));
    let forwarded = position(
        &out,
        |o| matches!(o, NodeOut::Transmit(t) if t.to == PeerId(1)),
    );
    assert!(pushed < forwarded, "{out:?}");
    h.now = h.now + SimTime::from_millis(1);
    n.node(0).handle_validated(h.now, m, cx(&h.msgs));
    assert!(drain(&mut n, h.now, &h.msgs).is_empty(), "accepted once");
}

/// A class addressed to relays only is not pushed to light clients.
#[test]
fn a_class_for_relays_only_is_not_pushed() {
    let (mut n, mut h) = service_node();
    let m = h.new_message(0, 100);
    let relays_only = NodeCtx {
        msgs: &h.msgs,
        to_light: &[false],
    };
    n.node(0).handle_publish(h.now, m, relays_only);
    let out: Vec<NodeOut> = std::iter::from_fn(|| n.node(0).poll(h.now, relays_only)).collect();
    assert!(!out.is_empty() && out.iter().all(|o| matches!(o, NodeOut::Transmit(_))));
}

/// A light node has no relay: it publishes by lightpush, never heartbeats, and its timer is
/// its client's ping.
#[test]
fn a_light_node_has_no_relay() {
    let mut h = Harness::nwaku(1);
    let client = LightClient::new(
        vec![PeerId(1), PeerId(2)],
        vec![(T, 1)],
        2,
        SimTime::from_secs(60),
        SimTime::from_secs(5),
    );
    let waku = WakuNode {
        client: Some(client),
        ..WakuNode::default()
    };
    let mut n = Stacks::new([(None, Some(waku))]);
    assert!(n.relay(0).is_none());
    assert_eq!(n.node(0).poll_timeout(Timer::Heartbeat), SimTime::MAX);
    assert_eq!(n.node(0).poll_timeout(Timer::Waku), SimTime::from_secs(5));
    n.node(0).handle_start();
    assert_eq!(
        drain(&mut n, h.now, &h.msgs).len(),
        2,
        "a subscribe at each service"
    );
    let m = h.new_message(0, 100);
    n.node(0).handle_publish(h.now, m, cx(&h.msgs));
    let out = drain(&mut n, h.now, &h.msgs);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out
        .iter()
        .all(|o| matches!(o, NodeOut::Send { rpc: LightRpc::Lightpush { msg }, .. } if *msg == m)));
}

/// A host that takes transmits through `poll_transmit` before each `poll` (the engine's hot
/// path) sees the same outputs in the same order as one that calls only `poll`.
#[test]
fn poll_transmit_is_polls_fast_path() {
    let run = |fast: bool| {
        let (mut n, mut h) = service_node();
        let m = h.new_message(8, 100);
        let what = Incoming::Waku {
            from: PeerId(8),
            rpc: LightRpc::Lightpush { msg: m },
        };
        n.node(0).handle_payload(h.now, what, cx(&h.msgs));
        let mut out = Vec::new();
        loop {
            if fast {
                while let Some(t) = n.poll_transmit(0) {
                    out.push(NodeOut::Transmit(t));
                }
            }
            match n.node(0).poll(h.now, cx(&h.msgs)) {
                Some(o) => out.push(o),
                None => break,
            }
        }
        assert!(n.node(0).poll_transmit().is_none());
        out
    };
    let (slow, fast) = (run(false), run(true));
    assert!(
        slow.iter()
            .filter(|o| matches!(o, NodeOut::Transmit(_)))
            .count()
            == 2
    );
    assert_eq!(slow, fast);
}
