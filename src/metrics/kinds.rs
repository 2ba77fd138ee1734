//! What a counted byte was for: its kind, direction and cell. Each gossipsub RPC part and
//! each Waku RPC is classified by one exhaustive `match` ([`classify`], [`classify_light`]):
//! a new kind of part or RPC does not compile until it is counted. The counters themselves
//! are `accounting`'s.

use crate::ids::{ClassId, TopicId};
use crate::message::MessageTable;
use crate::protocol::gossipsub::{PayloadKind, RpcPart};
use crate::protocol::waku::LightRpc;

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
    /// Waku filter: SUBSCRIBE and SUBSCRIBER_PING requests and their responses.
    FilterSubscribe,
    /// Waku filter: a service's push of a message to a light client, and the client's end
    /// of the push's stream.
    FilterPush,
    /// Waku lightpush: a light client's message to a service node, and the response.
    Lightpush,
    /// Waku store: a client's query (each page's request).
    StoreQuery,
    /// Waku store: a store node's response page.
    StoreResponse,
}

pub const KINDS: usize = 16;

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
        Kind::FilterSubscribe,
        Kind::FilterPush,
        Kind::Lightpush,
        Kind::StoreQuery,
        Kind::StoreResponse,
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
            Kind::FilterSubscribe => "filter_subscribe",
            Kind::FilterPush => "filter_push",
            Kind::Lightpush => "lightpush",
            Kind::StoreQuery => "store_query",
            Kind::StoreResponse => "store_response",
        }
    }

    /// The kind `name` names (as the result files write it).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Payload kinds carry a full message.
    pub fn is_payload(self) -> bool {
        matches!(
            self,
            Kind::Published | Kind::Forwarded | Kind::IWantServed | Kind::Duplicate
        )
    }
}

/// What a kind's counts are kept by: the message's class and topic, the topic alone
/// (subscriptions and mesh control), or neither (transport).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    ClassTopic,
    Topic,
    Bare,
}

impl Kind {
    /// Must agree with [`classify`] (checked by a test over every part kind).
    pub(super) fn scope(self) -> Scope {
        match self {
            Kind::Published
            | Kind::Forwarded
            | Kind::IWantServed
            | Kind::Duplicate
            | Kind::IHave
            | Kind::IWant
            | Kind::IDontWant
            | Kind::FilterPush
            | Kind::Lightpush => Scope::ClassTopic,
            Kind::Subscribe
            | Kind::Graft
            | Kind::Prune
            | Kind::StoreQuery
            | Kind::StoreResponse => Scope::Topic,
            Kind::Transport | Kind::FilterSubscribe => Scope::Bare,
        }
    }
}

/// Order of the kinds in a node's block of counters: those counted on nearly every RPC
/// first, so that a relay's receive and forward counts share a few cache lines.
pub(super) const STORAGE_ORDER: [Kind; KINDS] = [
    Kind::Forwarded,
    Kind::Duplicate,
    Kind::IDontWant,
    Kind::Transport,
    Kind::Published,
    Kind::IHave,
    Kind::IWant,
    Kind::IWantServed,
    Kind::Graft,
    Kind::Prune,
    Kind::Subscribe,
    Kind::FilterPush,
    Kind::Lightpush,
    Kind::FilterSubscribe,
    Kind::StoreQuery,
    Kind::StoreResponse,
];

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

/// Classifies one transmission of a light protocol (the message's class and topic where it
/// carries or answers one; its payload where it carries it).
pub fn classify_light(rpc: &LightRpc, msgs: &MessageTable) -> Cell {
    let of = |kind, m: crate::ids::MsgIdx, carries: bool| {
        let meta = msgs.get(m);
        Cell {
            kind,
            class: Some(meta.class),
            topic: Some(meta.topic),
            payload: if carries {
                u64::from(meta.payload_len)
            } else {
                0
            },
        }
    };
    match *rpc {
        LightRpc::FilterSubscribe { .. }
        | LightRpc::FilterSubscribed { .. }
        | LightRpc::FilterPing
        | LightRpc::FilterPong => Cell {
            kind: Kind::FilterSubscribe,
            class: None,
            topic: None,
            payload: 0,
        },
        LightRpc::FilterPush { msg, .. } => of(Kind::FilterPush, msg, true),
        LightRpc::FilterPushAck { msg } => of(Kind::FilterPush, msg, false),
        LightRpc::Lightpush { msg } => of(Kind::Lightpush, msg, true),
        LightRpc::LightpushAck { msg } => of(Kind::Lightpush, msg, false),
        LightRpc::StoreQuery { topic, .. } => Cell {
            kind: Kind::StoreQuery,
            class: None,
            topic: Some(topic),
            payload: 0,
        },
        LightRpc::StoreResponse { topic, .. } => Cell {
            kind: Kind::StoreResponse,
            class: None,
            topic: Some(topic),
            payload: 0,
        },
    }
}

/// One counted item of a transmission: a part of a gossipsub RPC (with whether its receiver
/// had already seen the message it carries: ingress only), or a Waku RPC, which is one item.
#[derive(Clone, Copy, Debug)]
pub enum Counted<'a> {
    Part(&'a RpcPart, bool),
    Waku(&'a LightRpc),
}

impl Counted<'_> {
    /// Where the item's bytes are counted.
    #[inline]
    pub fn cell(self, msgs: &MessageTable) -> Cell {
        match self {
            Counted::Part(part, duplicate) => classify(part, duplicate, msgs),
            Counted::Waku(rpc) => classify_light(rpc, msgs),
        }
    }
}
