//! Waku store v3 (`/vac/waku/store-query/3.0.0`): a store node keeps every message its
//! relay gets on its topics for the retention time and answers queries over time windows,
//! page by page, with a cursor (the last message of the page); a store client asks it, as
//! Status does to find messages it missed (go-waku's `MissingMessageVerifier`, which
//! status-go runs): every interval, for each topic it is in, a query for the hashes of the
//! messages published in the last interval, shifted back by a delay so that live delivery
//! has had its chance, and the following pages while the store says there are more.

use super::{LightRpc, WakuOut};
use crate::ids::{MsgIdx, PeerId, SimTime, TopicId};
use std::collections::{BTreeMap, VecDeque};

/// How often a client checks a topic's history: go-waku's `WithVerificationInterval`
/// default (`api/missing/options.go`).
pub const STORE_INTERVAL: SimTime = SimTime::from_secs(60);
/// The shortest `store_interval` accepted: a query a second per topic, where a nanosecond's
/// queued queries without end.
pub const MIN_STORE_INTERVAL: SimTime = SimTime::from_secs(1);
/// How far the window lags the query: go-waku's `WithDelay` default.
pub const STORE_DELAY: SimTime = SimTime::from_secs(20);
/// Hashes a client asks for per page: go-waku's `messageFetchPageSize`.
pub const STORE_PAGE: u32 = 100;
/// The most a store node answers per page: nwaku's `MaxPageSize` (`waku_archive/archive.nim`).
pub const MAX_PAGE: u32 = 100;
/// How long a store node keeps a message: nwaku's `--store-message-retention-policy`
/// default, `time:172800`.
pub const RETENTION: SimTime = SimTime::from_secs(172_800);

/// A window bound on the wire of the simulation: milliseconds since the start.
fn ms(t: SimTime) -> u32 {
    u32::try_from(t.0 / 1_000_000).unwrap_or(u32::MAX)
}

#[derive(Debug, Clone)]
pub struct StoreClient {
    store: PeerId,
    /// Its topics, each with the window its current query covers (ms, inclusive).
    topics: Vec<(TopicId, (u32, u32))>,
    interval: SimTime,
    next: SimTime,
    /// The end of the last window checked (before the delay).
    checked: SimTime,
    out: VecDeque<WakuOut>,
}

impl StoreClient {
    /// A client of store node `store` for `topics`, checking every `interval` from `first`
    /// on (as if it had last checked one interval before).
    pub fn new(store: PeerId, topics: Vec<TopicId>, interval: SimTime, first: SimTime) -> Self {
        StoreClient {
            store,
            topics: topics.into_iter().map(|t| (t, (0, 0))).collect(),
            interval,
            next: first,
            checked: SimTime(first.0.saturating_sub(interval.0)),
            out: VecDeque::new(),
        }
    }

    pub fn store(&self) -> PeerId {
        self.store
    }

    /// When it next wants `handle_timeout` (`SimTime::MAX`: never, it is in no topic).
    pub fn poll_timeout(&self) -> SimTime {
        if self.topics.is_empty() {
            SimTime::MAX
        } else {
            self.next
        }
    }

    /// Its check time: a first-page query per topic over [last check, now], both less the
    /// delay.
    pub fn handle_timeout(&mut self, now: SimTime) {
        if now < self.next || self.topics.is_empty() {
            return;
        }
        let lag = |t: SimTime| ms(SimTime(t.0.saturating_sub(STORE_DELAY.0)));
        let window = (lag(self.checked), lag(now));
        for (topic, w) in &mut self.topics {
            *w = window;
            self.out.push_back(WakuOut::Send {
                to: self.store,
                rpc: LightRpc::StoreQuery {
                    topic: *topic,
                    cursor: false,
                    start_ms: window.0,
                    end_ms: window.1,
                },
            });
        }
        self.checked = now;
        self.next = now + self.interval;
    }

    /// A response from its store: the next page while there is more.
    pub fn handle_rpc(&mut self, rpc: LightRpc) {
        let LightRpc::StoreResponse { topic, more, .. } = rpc else {
            return;
        };
        if !more {
            return;
        }
        if let Some(&(_, (start_ms, end_ms))) = self.topics.iter().find(|x| x.0 == topic) {
            self.out.push_back(WakuOut::Send {
                to: self.store,
                rpc: LightRpc::StoreQuery {
                    topic,
                    cursor: true,
                    start_ms,
                    end_ms,
                },
            });
        }
    }

    pub fn poll(&mut self) -> Option<WakuOut> {
        self.out.pop_front()
    }
}

/// A message in the archive: when it was published (the WakuMessage timestamp queries
/// select on), and which.
type Entry = (SimTime, MsgIdx);

#[derive(Debug, Clone)]
pub struct Store {
    /// Per topic it keeps (`None`: not one of its topics): its messages, oldest first.
    archive: Vec<Option<VecDeque<Entry>>>,
    retention: SimTime,
    /// Per (client, topic): the last message of the page it was sent last (the cursor its
    /// next page starts after, backwards).
    cursors: BTreeMap<(PeerId, TopicId), Entry>,
    /// The page size each of its clients asks for (sorted by client): the requests'
    /// `pagination_limit`, known here so that a request travels small.
    limits: Vec<(PeerId, u32)>,
    out: VecDeque<WakuOut>,
}

impl Store {
    /// A store of `topics` (of a network of `n_topics`), keeping messages `retention`, for
    /// clients asking pages of the sizes `limits` says.
    pub fn new(
        n_topics: usize,
        topics: &[TopicId],
        retention: SimTime,
        mut limits: Vec<(PeerId, u32)>,
    ) -> Self {
        let mut archive = vec![None; n_topics];
        for t in topics {
            archive[t.idx()] = Some(VecDeque::new());
        }
        limits.sort_unstable();
        Store {
            archive,
            retention,
            cursors: BTreeMap::new(),
            limits,
            out: VecDeque::new(),
        }
    }

    /// Its relay has `msg` on `topic`, published at `at`: archived if it keeps the topic;
    /// messages past retention go.
    pub fn handle_message(&mut self, now: SimTime, msg: MsgIdx, topic: TopicId, at: SimTime) {
        let Some(Some(a)) = self.archive.get_mut(topic.idx()) else {
            return;
        };
        let keep_from = SimTime(now.0.saturating_sub(self.retention.0));
        while a.front().is_some_and(|e| e.0 < keep_from) {
            a.pop_front();
        }
        let e = (at, msg);
        // Messages come nearly in publication order: the place is at or near the end.
        let i = a.partition_point(|x| *x < e);
        if a.get(i) != Some(&e) {
            a.insert(i, e);
        }
    }

    /// Messages it has on all its topics.
    pub fn archived_total(&self) -> usize {
        self.archive.iter().flatten().map(VecDeque::len).sum()
    }

    /// Messages it has on `topic`.
    pub fn archived(&self, topic: TopicId) -> usize {
        self.archive[topic.idx()].as_ref().map_or(0, VecDeque::len)
    }

    /// A query from `from`: the newest messages of the window (after the cursor, for a next
    /// page), as many as its page size, and whether older ones remain.
    pub fn handle_rpc(&mut self, now: SimTime, from: PeerId, rpc: LightRpc) {
        let LightRpc::StoreQuery {
            topic,
            cursor,
            start_ms,
            end_ms,
        } = rpc
        else {
            return;
        };
        let limit = match self.limits.binary_search_by_key(&from, |l| l.0) {
            Ok(i) => self.limits[i].1,
            Err(_) => STORE_PAGE,
        };
        let keep_from = SimTime(now.0.saturating_sub(self.retention.0));
        let (count, more) = match self.archive.get(topic.idx()) {
            Some(Some(a)) => {
                let start = SimTime::from_millis(u64::from(start_ms)).max(keep_from);
                let end = SimTime::from_millis(u64::from(end_ms) + 1);
                let lo = a.partition_point(|e| e.0 < start);
                let mut hi = a.partition_point(|e| e.0 < end);
                if cursor {
                    match self.cursors.get(&(from, topic)) {
                        Some(c) => hi = hi.min(a.partition_point(|e| e < c)),
                        // A next page without a first one: nothing to go on.
                        None => hi = lo,
                    }
                }
                let hi = hi.max(lo);
                let page = (hi - lo).min(limit.min(MAX_PAGE) as usize);
                let more = hi - lo > page;
                if page > 0 {
                    self.cursors.insert((from, topic), a[hi - page]);
                }
                (page, more)
            }
            // Validation keeps queries on the store's topics; one elsewhere gets nothing.
            _ => (0, false),
        };
        if !more {
            self.cursors.remove(&(from, topic));
        }
        self.out.push_back(WakuOut::Send {
            to: from,
            rpc: LightRpc::StoreResponse {
                topic,
                count: count as u16,
                more,
            },
        });
    }

    pub fn poll(&mut self) -> Option<WakuOut> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(out: Option<WakuOut>) -> LightRpc {
        match out {
            Some(WakuOut::Send { rpc, .. }) => rpc,
            o => panic!("expected a transmission, got {o:?}"),
        }
    }

    #[test]
    fn client_checks_each_topic_over_the_last_interval_less_the_delay() {
        let mut c = StoreClient::new(
            PeerId(3),
            vec![TopicId(0), TopicId(2)],
            SimTime::from_secs(60),
            SimTime::from_secs(90),
        );
        assert_eq!(c.poll_timeout(), SimTime::from_secs(90));
        c.handle_timeout(SimTime::from_secs(89));
        assert_eq!(c.poll(), None, "not yet");
        c.handle_timeout(SimTime::from_secs(90));
        let q = LightRpc::StoreQuery {
            topic: TopicId(0),
            cursor: false,
            start_ms: 10_000,
            end_ms: 70_000,
        };
        assert_eq!(sent(c.poll()), q);
        assert!(matches!(
            sent(c.poll()),
            LightRpc::StoreQuery {
                topic: TopicId(2),
                ..
            }
        ));
        assert_eq!(c.poll_timeout(), SimTime::from_secs(150));
        c.handle_rpc(LightRpc::StoreResponse {
            topic: TopicId(0),
            count: 100,
            more: true,
        });
        assert_eq!(
            sent(c.poll()),
            LightRpc::StoreQuery {
                topic: TopicId(0),
                cursor: true,
                start_ms: 10_000,
                end_ms: 70_000,
            },
            "the next page, same window"
        );
        c.handle_rpc(LightRpc::StoreResponse {
            topic: TopicId(0),
            count: 3,
            more: false,
        });
        assert_eq!(c.poll(), None, "done");
        c.handle_timeout(SimTime::from_secs(150));
        assert!(matches!(
            sent(c.poll()),
            LightRpc::StoreQuery {
                start_ms: 70_000,
                end_ms: 130_000,
                ..
            }
        ));
    }

    #[test]
    fn store_pages_backwards_through_a_window_with_a_cursor() {
        let t = TopicId(1);
        let limits = vec![(PeerId(8), 2), (PeerId(9), 500)];
        let mut s = Store::new(2, &[t], SimTime::from_secs(1000), limits);
        // Out of order on arrival: kept in publication order.
        for i in [0u32, 1, 2, 4, 3, 5, 6] {
            s.handle_message(
                SimTime::from_secs(10),
                MsgIdx(i),
                t,
                SimTime::from_secs(u64::from(i)),
            );
        }
        s.handle_message(SimTime::from_secs(10), MsgIdx(9), TopicId(0), SimTime::ZERO);
        assert_eq!(s.archived(t), 7);
        assert_eq!(s.archived(TopicId(0)), 0, "not its topic");
        let q = |cursor| LightRpc::StoreQuery {
            topic: t,
            cursor,
            start_ms: 1_000,
            end_ms: 5_000,
        };
        let page = |s: &mut Store| match sent(s.poll()) {
            LightRpc::StoreResponse { count, more, .. } => (count, more),
            o => panic!("{o:?}"),
        };
        let now = SimTime::from_secs(11);
        s.handle_rpc(now, PeerId(8), q(false));
        assert_eq!(page(&mut s), (2, true), "5 and 4 of 1..=5");
        s.handle_rpc(now, PeerId(8), q(true));
        assert_eq!(page(&mut s), (2, true), "3 and 2");
        s.handle_rpc(now, PeerId(8), q(true));
        assert_eq!(page(&mut s), (1, false), "1");
        s.handle_rpc(now, PeerId(8), q(true));
        assert_eq!(page(&mut s), (0, false), "no cursor left");
        s.handle_rpc(now, PeerId(9), q(false));
        assert_eq!(page(&mut s), (5, false), "one page (nwaku's cap is 100)");
        // Past retention, messages are not answered and go at the next archiving.
        let late = SimTime::from_secs(1003);
        s.handle_rpc(late, PeerId(7), q(false));
        assert_eq!(page(&mut s), (3, false), "3, 4 and 5 are kept");
        s.handle_message(late, MsgIdx(7), t, late);
        assert_eq!(s.archived(t), 5, "0, 1 and 2 went; 7 came");
    }
}
