//! A node's Waku side, sans-IO: the request-response machines its class runs (a light
//! client, the service a relay runs for light clients, a store client, a store) behind one
//! surface the engine drives: `handle_start`, `handle_timeout`, `handle_publish`,
//! `handle_message` (a message its relay now has), `handle_rpc`, `poll_timeout`, `poll`.
//! It owns which machine each [`LightRpc`] is for, which messages a service pushes, and the
//! order its machines are polled in; not the wire, the links or the relay.

use super::{LightClient, LightRpc, Service, Store, StoreClient, WakuOut};
use crate::ids::{MsgIdx, PeerId, SimTime, TopicId};

/// The machines one node runs (none for a relay that serves, stores and asks nothing).
#[derive(Debug, Clone, Default)]
pub struct WakuNode {
    pub client: Option<LightClient>,
    pub service: Option<Service>,
    pub store_client: Option<StoreClient>,
    pub store: Option<Store>,
}

impl WakuNode {
    /// Whether it runs any machine.
    pub fn runs_any(&self) -> bool {
        self.client.is_some()
            || self.service.is_some()
            || self.store_client.is_some()
            || self.store.is_some()
    }

    /// Whether it follows `topic` as a light client (and so publishes there by lightpush).
    pub fn follows(&self, topic: TopicId) -> bool {
        self.client.as_ref().is_some_and(|c| c.follows(topic))
    }

    /// Messages its store keeps now; `None` for a node that stores nothing.
    pub fn archived_total(&self) -> Option<usize> {
        self.store.as_ref().map(Store::archived_total)
    }

    /// At start: a light client subscribes at its services.
    pub fn handle_start(&mut self) {
        if let Some(c) = &mut self.client {
            c.handle_start();
        }
    }

    /// When it next wants [`WakuNode::handle_timeout`]: its light client's pings, its store
    /// client's checks (`SimTime::MAX`: never).
    pub fn poll_timeout(&self) -> SimTime {
        let c = self
            .client
            .as_ref()
            .map_or(SimTime::MAX, LightClient::poll_timeout);
        let s = self
            .store_client
            .as_ref()
            .map_or(SimTime::MAX, StoreClient::poll_timeout);
        c.min(s)
    }

    pub fn handle_timeout(&mut self, now: SimTime) {
        if let Some(c) = &mut self.client {
            c.handle_timeout(now);
        }
        if let Some(s) = &mut self.store_client {
            s.handle_timeout(now);
        }
    }

    /// Its application publishes `m` by lightpush.
    pub fn handle_publish(&mut self, now: SimTime, m: MsgIdx) {
        self.client
            .as_mut()
            .expect("a light publisher is a light client")
            .handle_publish(now, m);
    }

    /// Its relay has `msg` of `topic` (published at `published_at`), `hops` from its
    /// publisher: a store archives it; a service pushes it to its clients on the topic
    /// unless its class is addressed to relays only (`to_light` false: light clients follow
    /// no content topic of it). Returns whether a service took it (then it may have output).
    pub fn handle_message(
        &mut self,
        now: SimTime,
        msg: MsgIdx,
        topic: TopicId,
        published_at: SimTime,
        hops: u16,
        to_light: bool,
    ) -> bool {
        if let Some(st) = &mut self.store {
            st.handle_message(now, msg, topic, published_at);
        }
        match &mut self.service {
            Some(s) if to_light => {
                s.handle_message(msg, topic, hops);
                true
            }
            _ => false,
        }
    }

    /// A transmission from `from`, handed to the machine it is for: a store query to the
    /// store, its response to the store client, what a service sends to the light client,
    /// what a client sends to the service. One for a machine this node does not run is
    /// dropped (a stream nobody answers).
    pub fn handle_rpc(&mut self, now: SimTime, from: PeerId, rpc: LightRpc) {
        match rpc {
            LightRpc::StoreQuery { .. } => {
                if let Some(s) = &mut self.store {
                    s.handle_rpc(now, from, rpc);
                }
            }
            LightRpc::StoreResponse { .. } => {
                if let Some(c) = &mut self.store_client {
                    c.handle_rpc(rpc);
                }
            }
            LightRpc::FilterSubscribed { .. }
            | LightRpc::FilterPong
            | LightRpc::FilterPush { .. }
            | LightRpc::LightpushAck { .. } => {
                if let Some(c) = &mut self.client {
                    c.handle_rpc(now, from, rpc);
                }
            }
            LightRpc::FilterSubscribe { .. }
            | LightRpc::FilterPing
            | LightRpc::FilterPushAck { .. }
            | LightRpc::Lightpush { .. } => {
                if let Some(s) = &mut self.service {
                    s.handle_rpc(from, rpc);
                }
            }
        }
    }

    /// The next thing its machines want done: the light client's first, then the
    /// service's, the store client's and the store's (a fixed order, so that runs repeat).
    pub fn poll(&mut self) -> Option<WakuOut> {
        if let Some(o) = self.client.as_mut().and_then(LightClient::poll) {
            return Some(o);
        }
        if let Some(o) = self.service.as_mut().and_then(Service::poll) {
            return Some(o);
        }
        if let Some(o) = self.store_client.as_mut().and_then(StoreClient::poll) {
            return Some(o);
        }
        self.store.as_mut().and_then(Store::poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: TopicId = TopicId(0);

    fn drain(n: &mut WakuNode) -> Vec<WakuOut> {
        std::iter::from_fn(|| n.poll()).collect()
    }

    /// A light client of services 1 and 2 on topic 0, pinging every minute from 5 s.
    fn client() -> LightClient {
        LightClient::new(
            vec![PeerId(1), PeerId(2)],
            vec![(T, 1)],
            1,
            SimTime::from_secs(60),
            SimTime::from_secs(5),
        )
    }

    /// Each transmission goes to the machine it is for, and to nothing on a node that does
    /// not run that machine.
    #[test]
    fn each_rpc_reaches_the_machine_it_is_for() {
        let mut n = WakuNode {
            client: Some(client()),
            service: Some(Service::new(1)),
            ..WakuNode::default()
        };
        n.handle_start();
        assert_eq!(drain(&mut n).len(), 2, "a subscribe at each service");
        // From a service: a push is the client's.
        let push = LightRpc::FilterPush {
            msg: MsgIdx(4),
            hops: 2,
            opens: false,
        };
        n.handle_rpc(SimTime(1), PeerId(1), push);
        assert_eq!(
            drain(&mut n),
            [WakuOut::Received {
                msg: MsgIdx(4),
                hops: 3
            }]
        );
        // From a client: a subscribe is the service's, which then pushes what its relay has.
        n.handle_rpc(
            SimTime(2),
            PeerId(7),
            LightRpc::FilterSubscribe {
                topic: T,
                content_topics: 1,
            },
        );
        assert_eq!(
            drain(&mut n),
            [WakuOut::Send {
                to: PeerId(7),
                rpc: LightRpc::FilterSubscribed { topic: T }
            }]
        );
        assert!(n.handle_message(SimTime(3), MsgIdx(5), T, SimTime(0), 1, true));
        assert!(matches!(
            drain(&mut n)[..],
            [WakuOut::Send {
                to: PeerId(7),
                rpc: LightRpc::FilterPush { msg: MsgIdx(5), .. }
            }]
        ));
        // A class addressed to relays only is not pushed.
        assert!(!n.handle_message(SimTime(4), MsgIdx(6), T, SimTime(0), 1, false));
        assert!(drain(&mut n).is_empty());
        // A store query to a node without a store is nobody's.
        n.handle_rpc(
            SimTime(5),
            PeerId(9),
            LightRpc::StoreQuery {
                topic: T,
                start_ms: 0,
                end_ms: 1,
                cursor: false,
            },
        );
        assert!(drain(&mut n).is_empty());
    }

    /// Timers: the earlier of the client's ping and the store client's check; a node with
    /// neither never wants one.
    #[test]
    fn the_timer_is_the_earliest_machine_s() {
        assert_eq!(WakuNode::default().poll_timeout(), SimTime::MAX);
        let mut n = WakuNode {
            client: Some(client()),
            store_client: Some(StoreClient::new(
                PeerId(3),
                vec![T],
                SimTime::from_secs(60),
                SimTime::from_secs(2),
            )),
            ..WakuNode::default()
        };
        assert_eq!(n.poll_timeout(), SimTime::from_secs(2));
        n.handle_timeout(SimTime::from_secs(2));
        let out = drain(&mut n);
        assert!(
            out.iter().all(|o| matches!(
                o,
                WakuOut::Send {
                    to: PeerId(3),
                    rpc: LightRpc::StoreQuery { .. }
                }
            )) && !out.is_empty(),
            "{out:?}"
        );
        assert_eq!(n.poll_timeout(), SimTime::from_secs(5));
    }
}
