//! Waku's request-response protocols, sans-IO like the relay: a light client
//! ([`LightClient`]) that follows topics through filter service nodes (Waku filter v2,
//! RFC 12) and publishes through lightpush (RFC 19), the service side ([`Service`]) that a
//! relay node runs for its light clients, and store v3 ([`Store`], [`StoreClient`]). Each exchange is a request on a fresh libp2p stream and its response:
//! [`LightRpc`] names them, `wire` sizes them. A node runs its machines behind one surface,
//! [`WakuNode`], which routes each transmission to its machine; the engine carries them over
//! the node's service links and feeds the relay's messages to it.

mod light;
mod node;
mod service;
pub mod store;
pub mod wire;

pub use light::LightClient;
pub use node::WakuNode;
pub use service::Service;
pub use store::{Store, StoreClient};

use crate::ids::{MsgIdx, PeerId, SimTime, TopicId};

/// Light clients a service node serves by filter at most: nwaku's
/// `--filter-max-peers-to-serve` default (`tools/confutils/cli_args.nim`).
pub const FILTER_SLOTS: u32 = 1000;
/// Filter service nodes a light client uses: status-go's `MinPeersForFilter` and js-waku's
/// `numPeersToUse`.
pub const SERVICE_PEERS: u32 = 2;
/// Service nodes a publication is lightpushed to: go-waku's
/// `DefaultPeersToPublishForLightpush` (status-go), as js-waku's `send` does too.
pub const LIGHTPUSH_PEERS: u32 = 2;
/// How often a light client pings each filter service: go-waku's `peerPingInterval` and
/// js-waku's `keepAliveIntervalMs`.
pub const FILTER_PING: SimTime = SimTime::from_secs(60);
/// The shortest `filter_ping` accepted: one a second per service keeps a client's pings
/// far below any link's capacity, where a nanosecond's queued pings without end.
pub const MIN_FILTER_PING: SimTime = SimTime::from_secs(1);

/// One transmission of a light protocol: a request (which opens its stream) or the answer
/// on that stream. Small and `Copy`: it travels inside an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LightRpc {
    /// Client → service: `FilterSubscribeRequest` SUBSCRIBE for `topic` with the topic's
    /// `content_topics` (one per application class published on it).
    FilterSubscribe { topic: TopicId, content_topics: u16 },
    /// Service → client: `FilterSubscribeResponse` to a SUBSCRIBE.
    FilterSubscribed { topic: TopicId },
    /// Client → service: `FilterSubscribeRequest` SUBSCRIBER_PING (keeps the subscription).
    FilterPing,
    /// Service → client: `FilterSubscribeResponse` to a ping.
    FilterPong,
    /// Service → client: `MessagePush` of `msg`, which reached the service after `hops`;
    /// `opens`: the first push to this client, which opens the push stream (nwaku keeps it
    /// open for the next ones).
    FilterPush { msg: MsgIdx, hops: u16, opens: bool },
    /// Client → service: the stream negotiation that answers the push that opened it.
    FilterPushAck { msg: MsgIdx },
    /// Client → service: `LightpushRequest` with the client's `msg`.
    Lightpush { msg: MsgIdx },
    /// Service → client: `LightpushResponse` for `msg`.
    LightpushAck { msg: MsgIdx },
    /// Client → store: `StoreQueryRequest` for the hashes of `topic`'s messages published
    /// in [`start_ms`, `end_ms`] (ms since the start), the next page after the store's
    /// cursor for this client when `cursor`.
    StoreQuery {
        topic: TopicId,
        cursor: bool,
        start_ms: u32,
        end_ms: u32,
    },
    /// Store → client: `StoreQueryResponse` with `count` hashes, and a cursor when `more`.
    StoreResponse {
        topic: TopicId,
        count: u16,
        more: bool,
    },
}

/// What a light client or a service wants done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakuOut {
    /// Transmit `rpc` to `to` (a service link).
    Send { to: PeerId, rpc: LightRpc },
    /// A client's first copy of `msg`, `hops` from its publisher.
    Received { msg: MsgIdx, hops: u16 },
    /// A client's copy of a message it already had.
    Duplicate { msg: MsgIdx },
    /// A service publishes `msg` to the relay for a lightpush client.
    Relay { msg: MsgIdx },
}
