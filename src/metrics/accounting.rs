//! Byte accounting, counted where bytes cross the network. Each RPC part is classified by one
//! exhaustive `match` ([`classify`]): a new kind of part does not compile until it is counted.

use crate::ids::{ClassId, PeerId, TopicId};
use crate::message::MessageTable;
use crate::protocol::gossipsub::{PayloadKind, RpcPart};

/// What a counted byte was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A publisher's own message payload.
    Published,
    /// A relayed message payload (first copy on receipt).
    Forwarded,
    /// A payload sent in answer to an IWANT (first copy on receipt).
    IWantServed,
    /// A payload received that the receiver had already seen (ingress only).
    Duplicate,
    IHave,
    IWant,
    IDontWant,
    Graft,
    Prune,
    Subscribe,
    /// Muxer, encryption and TCP/IP bytes below gossipsub (when modelled).
    Transport,
}

pub const KINDS: usize = 11;

impl Kind {
    pub const ALL: [Kind; KINDS] = [
        Kind::Published,
        Kind::Forwarded,
        Kind::IWantServed,
        Kind::Duplicate,
        Kind::IHave,
        Kind::IWant,
        Kind::IDontWant,
        Kind::Graft,
        Kind::Prune,
        Kind::Subscribe,
        Kind::Transport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Published => "published",
            Kind::Forwarded => "forwarded",
            Kind::IWantServed => "iwant_served",
            Kind::Duplicate => "duplicate",
            Kind::IHave => "ihave",
            Kind::IWant => "iwant",
            Kind::IDontWant => "idontwant",
            Kind::Graft => "graft",
            Kind::Prune => "prune",
            Kind::Subscribe => "subscribe",
            Kind::Transport => "transport",
        }
    }

    /// Payload kinds carry a full message.
    pub fn is_payload(self) -> bool {
        matches!(
            self,
            Kind::Published | Kind::Forwarded | Kind::IWantServed | Kind::Duplicate
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Where one part's bytes are counted: kind, class and topic (`None` = not tied to one), and
/// the application payload it carries (payload kinds only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub kind: Kind,
    pub class: Option<ClassId>,
    pub topic: Option<TopicId>,
    pub payload: u64,
}

impl Cell {
    /// Transport overhead: no class, no topic, no payload.
    pub const TRANSPORT: Cell = Cell {
        kind: Kind::Transport,
        class: None,
        topic: None,
        payload: 0,
    };
}

/// Classifies one part. `duplicate`: the receiver had already seen the message (only
/// meaningful for ingress).
pub fn classify(part: &RpcPart, duplicate: bool, msgs: &MessageTable) -> Cell {
    let of = |kind, m: crate::ids::MsgIdx| {
        let meta = msgs.get(m);
        Cell {
            kind,
            class: Some(meta.class),
            topic: Some(meta.topic),
            payload: 0,
        }
    };
    let topic_only = |kind, topic| Cell {
        kind,
        class: None,
        topic: Some(topic),
        payload: 0,
    };
    match *part {
        RpcPart::Subscribe { topic, .. } => topic_only(Kind::Subscribe, topic),
        RpcPart::Message { msg, kind, .. } => {
            let k = match (duplicate, kind) {
                (true, _) => Kind::Duplicate,
                (false, PayloadKind::Published) => Kind::Published,
                (false, PayloadKind::Forwarded) => Kind::Forwarded,
                (false, PayloadKind::IWantServed) => Kind::IWantServed,
            };
            Cell {
                payload: u64::from(msgs.get(msg).payload_len),
                ..of(k, msg)
            }
        }
        RpcPart::IHave { msg, .. } => of(Kind::IHave, msg),
        RpcPart::IWant { msg } => of(Kind::IWant, msg),
        RpcPart::IDontWant { msg } => of(Kind::IDontWant, msg),
        RpcPart::Graft { topic } => topic_only(Kind::Graft, topic),
        RpcPart::Prune { topic, .. } => topic_only(Kind::Prune, topic),
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Bytes on the wire.
    pub bytes: u64,
    /// Items counted: messages, ids, topic entries or frames.
    pub msgs: u64,
    /// Application payload bytes carried (payload kinds only): what the analytical model
    /// calls message size, without the Waku envelope and the pubsub framing.
    pub payload: u64,
}

/// Counters per (node, direction, kind, class or none, topic or none), plus run-wide
/// totals for the conservation check (sent = received + dropped + in flight).
pub struct Accounting {
    classes: usize,
    topics: usize,
    cells: Vec<Counter>,
    pub sent_total: u64,
    pub received_total: u64,
    pub dropped_total: u64,
}

impl Accounting {
    pub fn new(nodes: usize, classes: usize, topics: usize) -> Self {
        let per_node = 2 * KINDS * (classes + 1) * (topics + 1);
        Accounting {
            classes,
            topics,
            cells: vec![Counter::default(); nodes * per_node],
            sent_total: 0,
            received_total: 0,
            dropped_total: 0,
        }
    }

    #[inline]
    fn index(
        &self,
        node: PeerId,
        dir: Direction,
        kind: Kind,
        class: Option<ClassId>,
        topic: Option<TopicId>,
    ) -> usize {
        // Stored [node][kind][class][topic][direction]: a relay counts the copy it received
        // and the copies it forwards in the same cache line.
        let c = class.map_or(self.classes, ClassId::idx);
        let t = topic.map_or(self.topics, TopicId::idx);
        let per_topic = 2;
        let per_class = (self.topics + 1) * per_topic;
        let per_kind = (self.classes + 1) * per_class;
        let per_node = KINDS * per_kind;
        node.idx() * per_node
            + kind as usize * per_kind
            + c * per_class
            + t * per_topic
            + dir as usize
    }

    /// Counts an RPC's transport overhead (framing, stream and connection costs), if any.
    #[inline]
    pub fn add_transport(&mut self, node: PeerId, dir: Direction, overhead: u32) {
        if overhead > 0 {
            self.add(node, dir, Cell::TRANSPORT, u64::from(overhead));
        }
    }

    /// Counts one item (a message, an id, a topic, a frame) of `bytes` bytes.
    #[inline]
    pub fn add(&mut self, node: PeerId, dir: Direction, cell: Cell, bytes: u64) {
        let i = self.index(node, dir, cell.kind, cell.class, cell.topic);
        let c = &mut self.cells[i];
        c.bytes += bytes;
        c.msgs += 1;
        c.payload += cell.payload;
    }

    pub fn get(
        &self,
        node: PeerId,
        dir: Direction,
        kind: Kind,
        class: Option<ClassId>,
        topic: Option<TopicId>,
    ) -> Counter {
        self.cells[self.index(node, dir, kind, class, topic)]
    }

    /// Counters per node.
    fn per_node(&self) -> usize {
        2 * KINDS * (self.classes + 1) * (self.topics + 1)
    }

    /// Bytes of counters per node for `classes` traffic classes and `topics` topics, for
    /// memory estimates.
    pub fn bytes_per_node(classes: usize, topics: usize) -> u64 {
        (2 * KINDS * (classes + 1) * (topics + 1) * std::mem::size_of::<Counter>()) as u64
    }

    /// Copies the counters of node `src` of `from` (a partition's table, with the same
    /// classes and topics) into node `dst` of this table. Run-wide totals are merged apart,
    /// once per table, by [`Accounting::add_totals`].
    pub fn copy_node(&mut self, dst: PeerId, from: &Accounting, src: PeerId) {
        debug_assert_eq!((self.classes, self.topics), (from.classes, from.topics));
        let k = self.per_node();
        self.cells[dst.idx() * k..(dst.idx() + 1) * k]
            .copy_from_slice(&from.cells[src.idx() * k..(src.idx() + 1) * k]);
    }

    /// Adds another table's run-wide conservation totals to this one's.
    pub fn add_totals(&mut self, from: &Accounting) {
        self.sent_total += from.sent_total;
        self.received_total += from.received_total;
        self.dropped_total += from.dropped_total;
    }

    /// Every non-zero cell of `node`, in a fixed order.
    pub fn node_cells(
        &self,
        node: PeerId,
    ) -> impl Iterator<Item = (Direction, Kind, Option<ClassId>, Option<TopicId>, Counter)> + '_
    {
        let dirs = [Direction::In, Direction::Out];
        dirs.into_iter().flat_map(move |d| {
            Kind::ALL.into_iter().flat_map(move |k| {
                (0..=self.classes).flat_map(move |c| {
                    (0..=self.topics).filter_map(move |t| {
                        let class = (c < self.classes).then_some(ClassId(c as u16));
                        let topic = (t < self.topics).then_some(TopicId(t as u16));
                        let v = self.get(node, d, k, class, topic);
                        (v.msgs > 0).then_some((d, k, class, topic, v))
                    })
                })
            })
        })
    }

    /// Bytes of `node` in `dir`, summed over kinds matching `pred` (all classes and topics).
    pub fn node_bytes(&self, node: PeerId, dir: Direction, pred: impl Fn(Kind) -> bool) -> u64 {
        self.node_cells(node)
            .filter(|(d, k, ..)| *d == dir && pred(*k))
            .map(|(.., v)| v.bytes)
            .sum()
    }
}
