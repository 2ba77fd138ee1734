//! A light client: no relay; it subscribes to its topics at each of its filter service
//! nodes, pings them to keep the subscriptions, takes the messages they push (the first
//! copy is a delivery, the others duplicates), and sends what it publishes to service nodes
//! by lightpush.

use super::{LightRpc, WakuOut};
use crate::ids::{MsgIdx, PeerId, SimTime, TopicId};
use crate::protocol::gossipsub::seen::SeenCache;
use std::collections::VecDeque;

/// How long a light client remembers a message, to tell a second service's push of it
/// from a new one (the pushes of one message come within a network delay of each other).
const SEEN_TTL: SimTime = SimTime::from_secs(120);

#[derive(Debug, Clone)]
pub struct LightClient {
    /// Its filter and lightpush service nodes.
    services: Vec<PeerId>,
    /// Its topics, each with the number of content topics it subscribes to there.
    topics: Vec<(TopicId, u16)>,
    /// How many of its services a publication goes to.
    lightpush_peers: usize,
    ping_interval: SimTime,
    next_ping: SimTime,
    seen: SeenCache,
    out: VecDeque<WakuOut>,
}

impl LightClient {
    /// A client of `services` (at least one), following `topics`; it pings every
    /// `ping_interval`, first at `first_ping`, and publishes through its first
    /// `lightpush_peers` services.
    pub fn new(
        services: Vec<PeerId>,
        topics: Vec<(TopicId, u16)>,
        lightpush_peers: usize,
        ping_interval: SimTime,
        first_ping: SimTime,
    ) -> Self {
        debug_assert!(!services.is_empty() && lightpush_peers >= 1);
        LightClient {
            lightpush_peers: lightpush_peers.min(services.len()),
            services,
            topics,
            ping_interval,
            next_ping: first_ping,
            seen: SeenCache::default(),
            out: VecDeque::new(),
        }
    }

    /// Whether it follows `topic` (and so publishes there by lightpush).
    pub fn follows(&self, topic: TopicId) -> bool {
        self.topics.iter().any(|t| t.0 == topic)
    }

    pub fn services(&self) -> &[PeerId] {
        &self.services
    }

    /// At start: a SUBSCRIBE for each topic at each service.
    pub fn handle_start(&mut self) {
        for &s in &self.services {
            for &(topic, content_topics) in &self.topics {
                self.out.push_back(WakuOut::Send {
                    to: s,
                    rpc: LightRpc::FilterSubscribe {
                        topic,
                        content_topics,
                    },
                });
            }
        }
    }

    /// When it next wants `handle_timeout` (`SimTime::MAX`: never, it follows no topic).
    pub fn poll_timeout(&self) -> SimTime {
        if self.topics.is_empty() {
            SimTime::MAX
        } else {
            self.next_ping
        }
    }

    /// Its ping time: a SUBSCRIBER_PING to every service.
    pub fn handle_timeout(&mut self, now: SimTime) {
        if now < self.next_ping || self.topics.is_empty() {
            return;
        }
        for &s in &self.services {
            self.out.push_back(WakuOut::Send {
                to: s,
                rpc: LightRpc::FilterPing,
            });
        }
        self.next_ping = now + self.ping_interval;
    }

    /// Its application publishes `m`: a lightpush request to each of its lightpush peers.
    pub fn handle_publish(&mut self, now: SimTime, m: MsgIdx) {
        self.seen.expire(now);
        self.seen.insert(m, now, SEEN_TTL);
        for &s in &self.services[..self.lightpush_peers] {
            self.out.push_back(WakuOut::Send {
                to: s,
                rpc: LightRpc::Lightpush { msg: m },
            });
        }
    }

    /// A transmission from service `from`. A push's message reached the service after
    /// `hops`: one more to here.
    pub fn handle_rpc(&mut self, now: SimTime, from: PeerId, rpc: LightRpc) {
        if let LightRpc::FilterPush { msg, hops, opens } = rpc {
            self.seen.expire(now);
            self.out.push_back(if self.seen.insert(msg, now, SEEN_TTL) {
                WakuOut::Received {
                    msg,
                    hops: hops.saturating_add(1),
                }
            } else {
                WakuOut::Duplicate { msg }
            });
            if opens {
                self.out.push_back(WakuOut::Send {
                    to: from,
                    rpc: LightRpc::FilterPushAck { msg },
                });
            }
        }
        // Responses to its requests end their streams; nothing to do.
    }

    pub fn poll(&mut self) -> Option<WakuOut> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> LightClient {
        let topics = vec![(TopicId(0), 2), (TopicId(3), 1)];
        LightClient::new(
            vec![PeerId(7), PeerId(9)],
            topics,
            1,
            SimTime::from_secs(60),
            SimTime::from_secs(5),
        )
    }

    fn drain(c: &mut LightClient) -> Vec<WakuOut> {
        std::iter::from_fn(|| c.poll()).collect()
    }

    #[test]
    fn subscribes_everywhere_then_pings_every_interval() {
        let mut c = client();
        c.handle_start();
        let subs = drain(&mut c);
        assert_eq!(subs.len(), 4, "two topics at two services");
        assert!(subs.contains(&WakuOut::Send {
            to: PeerId(9),
            rpc: LightRpc::FilterSubscribe {
                topic: TopicId(3),
                content_topics: 1
            }
        }));
        assert_eq!(c.poll_timeout(), SimTime::from_secs(5));
        c.handle_timeout(SimTime::from_secs(4));
        assert!(drain(&mut c).is_empty(), "not yet");
        c.handle_timeout(SimTime::from_secs(5));
        assert_eq!(drain(&mut c).len(), 2);
        assert_eq!(c.poll_timeout(), SimTime::from_secs(65));
    }

    #[test]
    fn first_push_delivers_the_second_is_a_duplicate_and_stream_openings_are_answered() {
        let mut c = client();
        let push = LightRpc::FilterPush {
            msg: MsgIdx(4),
            hops: 3,
            opens: true,
        };
        c.handle_rpc(SimTime::from_secs(1), PeerId(7), push);
        c.handle_rpc(SimTime::from_secs(1), PeerId(9), push);
        let out = drain(&mut c);
        assert_eq!(
            out[0],
            WakuOut::Received {
                msg: MsgIdx(4),
                hops: 4
            },
            "one hop more"
        );
        assert_eq!(out[2], WakuOut::Duplicate { msg: MsgIdx(4) });
        let acks = out
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    WakuOut::Send {
                        rpc: LightRpc::FilterPushAck { .. },
                        ..
                    }
                )
            })
            .count();
        assert_eq!(acks, 2);
        let later = LightRpc::FilterPush {
            msg: MsgIdx(5),
            hops: 3,
            opens: false,
        };
        c.handle_rpc(SimTime::from_secs(2), PeerId(7), later);
        assert_eq!(drain(&mut c).len(), 1, "an open stream needs no answer");
    }

    #[test]
    fn publishes_through_its_lightpush_peers_and_knows_its_own_message() {
        let mut c = client();
        c.handle_publish(SimTime::from_secs(2), MsgIdx(1));
        assert_eq!(
            drain(&mut c),
            vec![WakuOut::Send {
                to: PeerId(7),
                rpc: LightRpc::Lightpush { msg: MsgIdx(1) }
            }],
            "its first lightpush peer of one"
        );
        let push = LightRpc::FilterPush {
            msg: MsgIdx(1),
            hops: 1,
            opens: false,
        };
        c.handle_rpc(SimTime::from_secs(2), PeerId(7), push);
        assert_eq!(c.poll(), Some(WakuOut::Duplicate { msg: MsgIdx(1) }));
    }
}
