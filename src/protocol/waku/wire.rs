//! Bytes of the light protocols on the wire, as a Status client (go-waku's client side) and
//! an nwaku service node exchange them. Every request opens a libp2p stream: the initiator
//! writes multistream-select's header and the protocol id, the other end echoes both, then
//! each side writes its protobuf, varint-length-prefixed (nim-libp2p `multistream.nim`,
//! `writeLp`). A request's bytes are its negotiation and its protobuf; its answer's the
//! echo and the response. nwaku keeps a filter push stream open: the first push to a
//! client negotiates it (the client answers with the echo alone), later ones do not.
//! Protobufs as RFC 12 (filter v2), RFC 19 (lightpush v2, the version go-waku speaks) and
//! store v3 (nwaku `waku_store/rpc_codec.nim`): one query per stream, its response back.

use super::LightRpc;
use crate::message::MessageTable;
use crate::protocol::gossipsub::rpc::{len_field, varint_field, varint_len};

/// The light protocols' stream ids.
pub const FILTER_SUBSCRIBE: &str = "/vac/waku/filter-subscribe/2.0.0-beta1";
pub const FILTER_PUSH: &str = "/vac/waku/filter-push/2.0.0-beta1";
pub const LIGHTPUSH: &str = "/vac/waku/lightpush/2.0.0-beta1";
pub const STORE: &str = "/vac/waku/store-query/3.0.0";

/// Bytes of a message hash (and so of a store cursor).
const HASH_LEN: u32 = 32;
/// A store query's time bound: `sint64` nanoseconds since the epoch, zigzag-encoded; any
/// time from 1970 to 2116 takes 9 varint bytes, behind a one-byte tag.
const TIME_FIELD: u32 = 1 + 9;
/// The largest page size a query asks for (nwaku's `MaxPageSize`): a one-byte varint.
const LIMIT_MAX: u64 = super::store::MAX_PAGE as u64;

/// multistream-select's header line.
const MULTISTREAM: &str = "/multistream/1.0.0";

/// Bytes of a request id: 32 random bytes as hex, as go-waku (status-go) writes it
/// (`protocol/requestId.go`); the service echoes it.
pub const REQUEST_ID_LEN: u32 = 64;

/// Status code of a successful filter response (RFC 12).
const STATUS_OK: u64 = 200;
/// The description nwaku writes with it, and in a lightpush v2 success's `info`.
const OK: u32 = 2;

/// What sizes depend on: topic name lengths, the message table, the content topic length
/// and each topic's number of content topics.
pub struct LightCtx<'a> {
    pub topic_len: &'a [u32],
    pub msgs: &'a MessageTable,
    pub content_topic_len: u32,
    pub content_topics: &'a [u16],
}

/// One multistream-select line: its length prefix, the text and its newline.
fn line(text: &str) -> u32 {
    let n = text.len() as u32 + 1;
    varint_len(u64::from(n)) + n
}

/// Negotiating `proto` on a new stream, one direction (the echo is as long).
pub fn negotiation(proto: &str) -> u32 {
    line(MULTISTREAM) + line(proto)
}

/// A protobuf body with its varint length prefix.
fn lp(body: u32) -> u32 {
    varint_len(u64::from(body)) + body
}

/// Bytes on the wire of `rpc` (above the transport).
pub fn size(rpc: LightRpc, cx: &LightCtx<'_>) -> u32 {
    let rid = len_field(1, REQUEST_ID_LEN);
    let data = |m: crate::ids::MsgIdx| cx.msgs.get(m).data_len;
    let topic_of = |m: crate::ids::MsgIdx| cx.topic_len[cx.msgs.get(m).topic.idx()];
    let filter_ok = rid + varint_field(10, STATUS_OK) + len_field(11, OK);
    match rpc {
        LightRpc::FilterSubscribe {
            topic,
            content_topics,
        } => {
            // SUBSCRIBE = 1; pubsub_topic = 10; content_topics = 11, one entry each.
            let body = rid
                + varint_field(2, 1)
                + len_field(10, cx.topic_len[topic.idx()])
                + u32::from(content_topics) * len_field(11, cx.content_topic_len);
            negotiation(FILTER_SUBSCRIBE) + lp(body)
        }
        // SUBSCRIBER_PING = 0 is proto3's default: not encoded.
        LightRpc::FilterPing => negotiation(FILTER_SUBSCRIBE) + lp(rid),
        LightRpc::FilterSubscribed { .. } | LightRpc::FilterPong => {
            negotiation(FILTER_SUBSCRIBE) + lp(filter_ok)
        }
        LightRpc::FilterPush { msg, opens, .. } => {
            let body = len_field(1, data(msg)) + len_field(2, topic_of(msg));
            let open = if opens { negotiation(FILTER_PUSH) } else { 0 };
            open + lp(body)
        }
        LightRpc::FilterPushAck { .. } => negotiation(FILTER_PUSH),
        LightRpc::Lightpush { msg } => {
            // PushRPC { request_id = 1; request = 2: PushRequest { pubsub_topic = 1;
            // message = 2 } }.
            let request = len_field(1, topic_of(msg)) + len_field(2, data(msg));
            negotiation(LIGHTPUSH) + lp(rid + len_field(2, request))
        }
        LightRpc::LightpushAck { .. } => {
            // PushRPC { request_id = 1; response = 3: PushResponse { is_success = 1;
            // info = 2 } }.
            let response = varint_field(1, 1) + len_field(2, OK);
            negotiation(LIGHTPUSH) + lp(rid + len_field(3, response))
        }
        LightRpc::StoreQuery { topic, cursor, .. } => {
            // request_id = 1; include_data = 2 (false: not encoded); pubsub_topic = 10;
            // content_topics = 11; time_start = 12; time_end = 13; pagination_cursor =
            // 51; pagination_forward = 52 (false: not encoded); pagination_limit = 53.
            let body = rid
                + len_field(10, cx.topic_len[topic.idx()])
                + u32::from(cx.content_topics[topic.idx()]) * len_field(11, cx.content_topic_len)
                + 2 * TIME_FIELD
                + if cursor { len_field(51, HASH_LEN) } else { 0 }
                + varint_field(53, LIMIT_MAX);
            negotiation(STORE) + lp(body)
        }
        LightRpc::StoreResponse { count, more, .. } => {
            // request_id = 1; status_code = 10; status_desc = 11; messages = 20, each a
            // WakuMessageKeyValue with its message_hash = 1 alone (no data asked);
            // pagination_cursor = 51 when there is more.
            let entry = len_field(20, len_field(1, HASH_LEN));
            let body = rid
                + varint_field(10, STATUS_OK)
                + len_field(11, OK)
                + u32::from(count) * entry
                + if more { len_field(51, HASH_LEN) } else { 0 };
            negotiation(STORE) + lp(body)
        }
    }
}
