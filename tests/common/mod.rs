//! A tiny peer harness: peers wired together in memory, RPCs delivered instantly in FIFO
//! order, validation accepted at once. Protocol tests read like scripts on top of it.
#![allow(dead_code)]

use gossipsim::message::{Message, MessageTable};
use gossipsim::protocol::gossipsub::{preset, GossipsubConfig, Peer, PeerEvent, RpcPart};
use gossipsim::rng::Streams;
use gossipsim::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
use std::collections::VecDeque;
use std::sync::Arc;

pub const T: TopicId = TopicId(0);

pub struct Harness {
    pub peers: Vec<Peer>,
    pub msgs: MessageTable,
    pub now: SimTime,
    pub cfg: Arc<GossipsubConfig>,
    queue: VecDeque<(PeerId, PeerId, Vec<RpcPart>)>,
    /// Every RPC delivered: (from, to, parts).
    pub log: Vec<(PeerId, PeerId, Vec<RpcPart>)>,
    /// Every first arrival: (peer, msg).
    pub received: Vec<(PeerId, MsgIdx)>,
}

impl Harness {
    pub fn new(n: u32, cfg: GossipsubConfig) -> Self {
        let cfg = Arc::new(cfg);
        let st = Streams::new(99);
        let peers = (0..n)
            .map(|i| {
                Peer::new(
                    PeerId(i),
                    cfg.clone(),
                    st.stream("peer_mesh", i.into()),
                    st.stream("peer_traffic", i.into()),
                    1,
                    cfg.heartbeat_interval,
                )
            })
            .collect();
        Harness {
            peers,
            msgs: MessageTable::default(),
            now: SimTime::ZERO,
            cfg,
            queue: VecDeque::new(),
            log: Vec::new(),
            received: Vec::new(),
        }
    }

    pub fn nwaku(n: u32) -> Self {
        Self::new(n, preset("nwaku").unwrap())
    }

    /// `a` dials `b`.
    pub fn connect(&mut self, a: u32, b: u32) {
        self.peers[a as usize].handle_connected(self.now, PeerId(b), true);
        self.peers[b as usize].handle_connected(self.now, PeerId(a), false);
        self.collect(a);
        self.collect(b);
    }

    pub fn connect_all(&mut self) {
        let n = self.peers.len() as u32;
        for a in 0..n {
            for b in a + 1..n {
                self.connect(a, b);
            }
        }
    }

    pub fn subscribe_all(&mut self) {
        for i in 0..self.peers.len() {
            self.peers[i].handle_subscribe(self.now, T);
            self.collect(i as u32);
        }
        self.flush();
    }

    /// Moves peer `i`'s outputs into the queue, accepting validations at once.
    pub fn collect(&mut self, i: u32) {
        loop {
            while let Some(t) = self.peers[i as usize].poll_transmit() {
                let parts = self.peers[i as usize].transmit_parts(&t).to_vec();
                self.queue.push_back((PeerId(i), t.to, parts));
            }
            match self.peers[i as usize].poll_event() {
                Some(PeerEvent::Received { msg, .. }) => self.received.push((PeerId(i), msg)),
                Some(PeerEvent::Validate { msg }) => {
                    self.peers[i as usize].handle_validated(self.now, msg, &self.msgs);
                }
                None => break,
            }
        }
    }

    /// Delivers everything queued (and everything that causes) at the current instant.
    pub fn flush(&mut self) {
        while let Some((from, to, parts)) = self.queue.pop_front() {
            self.peers[to.idx()].handle_rpc(self.now, from, &parts, &self.msgs);
            self.log.push((from, to, parts));
            self.collect(to.0);
        }
    }

    /// Drops everything queued without delivering it.
    pub fn drop_queued(&mut self) -> Vec<(PeerId, PeerId, Vec<RpcPart>)> {
        self.queue.drain(..).collect()
    }

    /// Advances one heartbeat interval and runs every peer's heartbeat, then delivers.
    pub fn heartbeat(&mut self) {
        self.now = self.now + self.cfg.heartbeat_interval;
        for i in 0..self.peers.len() {
            self.peers[i].handle_heartbeat(self.now, &self.msgs);
            self.collect(i as u32);
        }
        self.flush();
    }

    pub fn new_message(&mut self, publisher: u32, data_len: u32) -> MsgIdx {
        self.msgs.push(Message {
            topic: T,
            class: ClassId(0),
            publisher: PeerId(publisher),
            published_at: self.now,
            payload_len: data_len,
            data_len,
        })
    }

    pub fn publish(&mut self, publisher: u32, data_len: u32) -> MsgIdx {
        let m = self.new_message(publisher, data_len);
        self.peers[publisher as usize].handle_publish(self.now, m, &self.msgs);
        self.collect(publisher);
        self.flush();
        m
    }

    /// Publishes at `publisher` but drops what it sends: only its cache and seen set change.
    pub fn publish_unsent(&mut self, publisher: u32, data_len: u32) -> MsgIdx {
        let m = self.new_message(publisher, data_len);
        self.peers[publisher as usize].handle_publish(self.now, m, &self.msgs);
        self.collect(publisher);
        self.drop_queued();
        m
    }

    /// Injects an RPC as if `from` had sent it to `to`, and returns what `to` sends in reply.
    pub fn inject(&mut self, from: u32, to: u32, parts: &[RpcPart]) -> Vec<(PeerId, Vec<RpcPart>)> {
        self.peers[to as usize].handle_rpc(self.now, PeerId(from), parts, &self.msgs);
        self.collect(to);
        self.drop_queued()
            .into_iter()
            .map(|(_, dst, p)| (dst, p))
            .collect()
    }

    pub fn mesh(&self, i: u32) -> Vec<PeerId> {
        let mut v: Vec<PeerId> = self.peers[i as usize].mesh(T).collect();
        v.sort();
        v
    }
}
