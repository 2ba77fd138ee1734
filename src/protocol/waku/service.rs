//! The service side a relay node runs for light clients: filter (it keeps each client's
//! subscriptions per topic and pushes every message its relay gets on those topics to the
//! subscribed clients) and lightpush (it answers the request and publishes the client's
//! message to the relay). Its clients were placed within its slots when the network was
//! built; it answers every request.

use super::{LightRpc, WakuOut};
use crate::ids::{MsgIdx, PeerId, TopicId};
use std::collections::VecDeque;

#[derive(Debug, Clone, Default)]
pub struct Service {
    /// Per topic: the clients subscribed there, in the order they subscribed.
    filter: Vec<Vec<PeerId>>,
    /// Clients it has a push stream open to (sorted).
    pushing: Vec<PeerId>,
    out: VecDeque<WakuOut>,
}

impl Service {
    /// A service on a network of `topics` topics, with no subscriber yet.
    pub fn new(topics: usize) -> Self {
        Service {
            filter: vec![Vec::new(); topics],
            pushing: Vec::new(),
            out: VecDeque::new(),
        }
    }

    /// Clients subscribed on `topic`.
    pub fn subscribers(&self, topic: TopicId) -> &[PeerId] {
        &self.filter[topic.idx()]
    }

    /// A request (or an answer) from client `from`.
    pub fn handle_rpc(&mut self, from: PeerId, rpc: LightRpc) {
        let reply = match rpc {
            LightRpc::FilterSubscribe { topic, .. } => {
                let subs = &mut self.filter[topic.idx()];
                if !subs.contains(&from) {
                    subs.push(from);
                }
                LightRpc::FilterSubscribed { topic }
            }
            LightRpc::FilterPing => LightRpc::FilterPong,
            LightRpc::Lightpush { msg } => {
                self.out.push_back(WakuOut::Relay { msg });
                LightRpc::LightpushAck { msg }
            }
            // The end of a push's stream, or a service's own answers: nothing to answer.
            LightRpc::FilterPushAck { .. }
            | LightRpc::FilterSubscribed { .. }
            | LightRpc::FilterPong
            | LightRpc::FilterPush { .. }
            | LightRpc::LightpushAck { .. } => return,
            // Store traffic is the store's and its client's.
            LightRpc::StoreQuery { .. } | LightRpc::StoreResponse { .. } => return,
        };
        self.out.push_back(WakuOut::Send {
            to: from,
            rpc: reply,
        });
    }

    /// Its relay has `msg` on `topic` (published there, received, or relayed for a
    /// lightpush client), `hops` from its publisher: a push to every client subscribed on
    /// the topic (the first to a client opens the push stream, kept for the next).
    pub fn handle_message(&mut self, msg: MsgIdx, topic: TopicId, hops: u16) {
        for &c in &self.filter[topic.idx()] {
            let opens = match self.pushing.binary_search(&c) {
                Ok(_) => false,
                Err(i) => {
                    self.pushing.insert(i, c);
                    true
                }
            };
            self.out.push_back(WakuOut::Send {
                to: c,
                rpc: LightRpc::FilterPush { msg, hops, opens },
            });
        }
    }

    pub fn poll(&mut self) -> Option<WakuOut> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_to_its_subscribers_of_the_topic_and_relays_lightpush() {
        let mut s = Service::new(2);
        let sub = |topic| LightRpc::FilterSubscribe {
            topic,
            content_topics: 1,
        };
        s.handle_rpc(PeerId(5), sub(TopicId(0)));
        s.handle_rpc(PeerId(5), sub(TopicId(0)));
        s.handle_rpc(PeerId(6), sub(TopicId(1)));
        assert_eq!(s.subscribers(TopicId(0)), &[PeerId(5)], "once each");
        let answers: Vec<WakuOut> = std::iter::from_fn(|| s.poll()).collect();
        assert_eq!(answers.len(), 3, "every request answered");
        s.handle_message(MsgIdx(2), TopicId(1), 4);
        assert_eq!(
            s.poll(),
            Some(WakuOut::Send {
                to: PeerId(6),
                rpc: LightRpc::FilterPush {
                    msg: MsgIdx(2),
                    hops: 4,
                    opens: true
                }
            })
        );
        assert_eq!(s.poll(), None);
        s.handle_message(MsgIdx(3), TopicId(1), 2);
        assert!(
            matches!(
                s.poll(),
                Some(WakuOut::Send {
                    rpc: LightRpc::FilterPush { opens: false, .. },
                    ..
                })
            ),
            "the push stream stays open"
        );
        s.handle_rpc(PeerId(5), LightRpc::Lightpush { msg: MsgIdx(4) });
        assert_eq!(s.poll(), Some(WakuOut::Relay { msg: MsgIdx(4) }));
        assert!(matches!(
            s.poll(),
            Some(WakuOut::Send {
                rpc: LightRpc::LightpushAck { .. },
                ..
            })
        ));
        s.handle_rpc(PeerId(6), LightRpc::FilterPushAck { msg: MsgIdx(2) });
        assert_eq!(s.poll(), None, "an ack is not answered");
    }
}
