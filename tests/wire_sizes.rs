//! Wire sizes against a real protobuf encoder: prost messages mirroring libp2p pubsub
//! `rpc.proto` and Waku's `WakuMessage`, encoded for random mixes of every RPC part kind.
//! `rpc_size` must equal the length-delimited encoding byte for byte, and the Waku envelope's
//! `data_len` must equal the encoded `WakuMessage`.

use gossipsim::message::{Message, MessageTable};
use gossipsim::protocol::gossipsub::rpc::{rpc_size, rpc_size_fast, WakuEnvelope, WireCtx};
use gossipsim::protocol::gossipsub::{PayloadKind, RpcPart};
use gossipsim::{ClassId, MsgIdx, PeerId, SimTime, TopicId};
use proptest::prelude::*;
use prost::Message as _;

#[derive(Clone, PartialEq, prost::Message)]
struct Rpc {
    #[prost(message, repeated, tag = "1")]
    subscriptions: Vec<SubOpts>,
    #[prost(message, repeated, tag = "2")]
    publish: Vec<PubMessage>,
    #[prost(message, optional, tag = "3")]
    control: Option<ControlMessage>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct SubOpts {
    #[prost(bool, optional, tag = "1")]
    subscribe: Option<bool>,
    #[prost(string, optional, tag = "2")]
    topicid: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct PubMessage {
    #[prost(bytes = "vec", optional, tag = "2")]
    data: Option<Vec<u8>>,
    #[prost(string, optional, tag = "4")]
    topic: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlMessage {
    #[prost(message, repeated, tag = "1")]
    ihave: Vec<ControlIHave>,
    #[prost(message, repeated, tag = "2")]
    iwant: Vec<ControlIWant>,
    #[prost(message, repeated, tag = "3")]
    graft: Vec<ControlGraft>,
    #[prost(message, repeated, tag = "4")]
    prune: Vec<ControlPrune>,
    #[prost(message, repeated, tag = "5")]
    idontwant: Vec<ControlIDontWant>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlIHave {
    #[prost(string, optional, tag = "1")]
    topic_id: Option<String>,
    #[prost(bytes = "vec", repeated, tag = "2")]
    message_ids: Vec<Vec<u8>>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlIWant {
    #[prost(bytes = "vec", repeated, tag = "1")]
    message_ids: Vec<Vec<u8>>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlGraft {
    #[prost(string, optional, tag = "1")]
    topic_id: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlPrune {
    #[prost(string, optional, tag = "1")]
    topic_id: Option<String>,
    #[prost(uint64, optional, tag = "3")]
    backoff: Option<u64>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ControlIDontWant {
    #[prost(bytes = "vec", repeated, tag = "1")]
    message_ids: Vec<Vec<u8>>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct WakuMessage {
    #[prost(bytes = "vec", tag = "1")]
    payload: Vec<u8>,
    #[prost(string, tag = "2")]
    content_topic: String,
    #[prost(uint32, optional, tag = "3")]
    version: Option<u32>,
    #[prost(sint64, optional, tag = "10")]
    timestamp: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "11")]
    meta: Option<Vec<u8>>,
    #[prost(message, optional, tag = "21")]
    rate_limit_proof: Option<RateLimitProof>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct RateLimitProof {
    #[prost(bytes = "vec", tag = "1")]
    proof: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    merkle_root: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    epoch: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    share_x: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    share_y: Vec<u8>,
    #[prost(bytes = "vec", tag = "6")]
    nullifier: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    rln_identifier: Vec<u8>,
}

const TOPICS: [&str; 2] = ["/waku/2/rs/16/32", "/waku/2/rs/16/1000"];

fn waku(payload: usize, env: &WakuEnvelope) -> Vec<u8> {
    let b32 = || vec![0xAB; 32];
    WakuMessage {
        payload: vec![7; payload],
        content_topic: "c".repeat(env.content_topic_len as usize),
        version: (env.version != 0).then_some(env.version),
        // A 2025 timestamp in ns.
        timestamp: env.timestamp.then_some(1_750_000_000_000_000_000),
        meta: (env.meta_len != 0).then(|| vec![1; env.meta_len as usize]),
        rate_limit_proof: env.rln_proof.then(|| RateLimitProof {
            proof: vec![3; 128],
            merkle_root: b32(),
            epoch: b32(),
            share_x: b32(),
            share_y: b32(),
            nullifier: b32(),
            rln_identifier: b32(),
        }),
    }
    .encode_to_vec()
}

/// The same grouping the simulator uses: consecutive IHAVE ids of one topic form one
/// ControlIHave; all IWANT ids one ControlIWant; all IDONTWANT ids one ControlIDontWant.
fn encode(parts: &[RpcPart], msgs: &MessageTable, datas: &[Vec<u8>]) -> usize {
    let id = |m: MsgIdx| vec![m.0 as u8; 32];
    let topic = |t: TopicId| Some(TOPICS[t.idx()].to_string());
    let mut rpc = Rpc::default();
    let mut ctl = ControlMessage::default();
    let (mut iwant, mut idw) = (Vec::new(), Vec::new());
    let mut last_ihave: Option<TopicId> = None;
    for p in parts {
        if !matches!(p, RpcPart::IHave { .. }) {
            last_ihave = None;
        }
        match *p {
            RpcPart::Subscribe {
                topic: t,
                subscribe,
            } => rpc.subscriptions.push(SubOpts {
                subscribe: Some(subscribe),
                topicid: topic(t),
            }),
            RpcPart::Message { msg, .. } => rpc.publish.push(PubMessage {
                data: Some(datas[msg.idx()].clone()),
                topic: topic(msgs.get(msg).topic),
            }),
            RpcPart::IHave { topic: t, msg } => {
                if last_ihave != Some(t) {
                    ctl.ihave.push(ControlIHave {
                        topic_id: topic(t),
                        message_ids: Vec::new(),
                    });
                    last_ihave = Some(t);
                }
                ctl.ihave.last_mut().unwrap().message_ids.push(id(msg));
            }
            RpcPart::IWant { msg } => iwant.push(id(msg)),
            RpcPart::IDontWant { msg } => idw.push(id(msg)),
            RpcPart::Graft { topic: t } => ctl.graft.push(ControlGraft { topic_id: topic(t) }),
            RpcPart::Prune {
                topic: t,
                backoff_secs,
            } => ctl.prune.push(ControlPrune {
                topic_id: topic(t),
                backoff: Some(backoff_secs.into()),
            }),
        }
    }
    if !iwant.is_empty() {
        ctl.iwant.push(ControlIWant { message_ids: iwant });
    }
    if !idw.is_empty() {
        ctl.idontwant.push(ControlIDontWant { message_ids: idw });
    }
    if ctl != ControlMessage::default() {
        rpc.control = Some(ctl);
    }
    rpc.encode_length_delimited_to_vec().len()
}

fn part_strategy() -> impl Strategy<Value = RpcPart> {
    let t = (0u16..2).prop_map(TopicId);
    let m = (0u32..3).prop_map(MsgIdx);
    prop_oneof![
        (t.clone(), any::<bool>())
            .prop_map(|(topic, subscribe)| RpcPart::Subscribe { topic, subscribe }),
        m.clone().prop_map(|msg| RpcPart::Message {
            msg,
            kind: PayloadKind::Forwarded,
            hops: 1
        }),
        (t.clone(), m.clone()).prop_map(|(topic, msg)| RpcPart::IHave { topic, msg }),
        m.clone().prop_map(|msg| RpcPart::IWant { msg }),
        m.prop_map(|msg| RpcPart::IDontWant { msg }),
        t.clone().prop_map(|topic| RpcPart::Graft { topic }),
        (t, prop_oneof![Just(0u32), Just(5), Just(60), Just(100_000)]).prop_map(
            |(topic, backoff_secs)| RpcPart::Prune {
                topic,
                backoff_secs
            }
        ),
    ]
}

/// Parts in the order a peer emits them: subscriptions, messages, then control grouped by
/// kind (IHAVE runs are contiguous per topic).
fn canonical(mut parts: Vec<RpcPart>) -> Vec<RpcPart> {
    let rank = |p: &RpcPart| match p {
        RpcPart::Subscribe { .. } => (0, 0),
        RpcPart::Message { .. } => (1, 0),
        RpcPart::IHave { topic, .. } => (2, topic.0),
        RpcPart::IWant { .. } => (3, 0),
        RpcPart::Graft { .. } => (4, 0),
        RpcPart::Prune { .. } => (5, 0),
        RpcPart::IDontWant { .. } => (6, 0),
    };
    parts.sort_by_key(rank);
    parts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn rpc_sizes_match_prost(
        parts in proptest::collection::vec(part_strategy(), 1..300),
        payloads in proptest::collection::vec(0usize..200_000, 3),
        ct in 0u32..300, ts in any::<bool>(), version in 0u32..3, meta in prop_oneof![Just(0u32), 1u32..200], rln in any::<bool>(),
    ) {
        let env = WakuEnvelope { content_topic_len: ct, timestamp: ts, version, meta_len: meta, rln_proof: rln, ..WakuEnvelope::default() };
        let mut msgs = MessageTable::default();
        let mut datas = Vec::new();
        for (i, &p) in payloads.iter().enumerate() {
            let data = waku(p, &env);
            prop_assert_eq!(data.len() as u32, env.data_len(p as u32), "WakuMessage with payload {}", p);
            msgs.push(Message { topic: TopicId((i % 2) as u16), class: ClassId(0), publisher: PeerId(0), published_at: SimTime::ZERO, payload_len: p as u32, data_len: data.len() as u32 });
            datas.push(data);
        }
        let parts = canonical(parts);
        let topic_len: Vec<u32> = TOPICS.iter().map(|t| t.len() as u32).collect();
        let ctx = WireCtx { topic_len: &topic_len, msgs: &msgs };
        let mut shares = Vec::new();
        let ours = rpc_size(&parts, &ctx, &mut shares);
        prop_assert_eq!(ours as usize, encode(&parts, &msgs, &datas));
        prop_assert_eq!(shares.iter().map(|&s| u64::from(s)).sum::<u64>(), u64::from(ours));
        let mut fast = Vec::new();
        prop_assert_eq!(rpc_size_fast(&parts, &ctx, &mut fast), ours);
        prop_assert_eq!(fast, shares);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    /// RPCs of one part (the simulator's fast paths: a forwarded message, an IDONTWANT),
    /// payloads from empty to multi-byte length prefixes.
    #[test]
    fn single_part_rpcs_match_prost(part in part_strategy(), payload in 0usize..300_000) {
        let env = WakuEnvelope::default();
        let mut msgs = MessageTable::default();
        let mut datas = Vec::new();
        for i in 0..3 {
            let data = waku(payload, &env);
            msgs.push(Message { topic: TopicId((i % 2) as u16), class: ClassId(0), publisher: PeerId(0), published_at: SimTime::ZERO, payload_len: payload as u32, data_len: data.len() as u32 });
            datas.push(data);
        }
        let parts = vec![part];
        let topic_len: Vec<u32> = TOPICS.iter().map(|t| t.len() as u32).collect();
        let ctx = WireCtx { topic_len: &topic_len, msgs: &msgs };
        let mut shares = Vec::new();
        let ours = rpc_size(&parts, &ctx, &mut shares);
        prop_assert_eq!(ours as usize, encode(&parts, &msgs, &datas));
        prop_assert_eq!(&shares, &vec![ours]);
        // The fast path sizes the same RPC the same, share included.
        let mut fast = vec![7, 7];
        prop_assert_eq!(rpc_size_fast(&parts, &ctx, &mut fast), ours);
        prop_assert_eq!(fast, shares);
    }
}

/// One of each kind alone, against prost, including large IHAVEs (multi-byte lengths).
#[test]
fn each_kind_alone_matches_prost() {
    let env = WakuEnvelope::default();
    let mut msgs = MessageTable::default();
    let data = waku(2000, &env);
    msgs.push(Message {
        topic: TopicId(0),
        class: ClassId(0),
        publisher: PeerId(0),
        published_at: SimTime::ZERO,
        payload_len: 2000,
        data_len: data.len() as u32,
    });
    let datas = vec![data];
    let topic_len: Vec<u32> = TOPICS.iter().map(|t| t.len() as u32).collect();
    let ctx = WireCtx {
        topic_len: &topic_len,
        msgs: &msgs,
    };
    let m = MsgIdx(0);
    let t = TopicId(0);
    let mut shares = Vec::new();
    for k in [1usize, 3, 100, 5000] {
        let cases: Vec<Vec<RpcPart>> = vec![
            vec![RpcPart::IHave { topic: t, msg: m }; k],
            vec![RpcPart::IWant { msg: m }; k],
            vec![RpcPart::IDontWant { msg: m }; k],
            vec![
                RpcPart::Message {
                    msg: m,
                    kind: PayloadKind::IWantServed,
                    hops: 2
                };
                k.min(100)
            ],
            vec![RpcPart::Graft { topic: t }; k.min(100)],
            vec![
                RpcPart::Prune {
                    topic: t,
                    backoff_secs: 60
                };
                k.min(100)
            ],
            vec![
                RpcPart::Subscribe {
                    topic: t,
                    subscribe: true
                };
                k.min(100)
            ],
        ];
        for parts in cases {
            assert_eq!(
                rpc_size(&parts, &ctx, &mut shares) as usize,
                encode(&parts, &msgs, &datas),
                "{:?} × {}",
                parts[0],
                parts.len()
            );
        }
    }
}

// Waku's light protocols (RFC 12 filter v2, RFC 19 lightpush v2), as prost messages.
#[derive(Clone, PartialEq, prost::Message)]
struct FilterSubscribeRequest {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(int32, tag = "2")]
    filter_subscribe_type: i32,
    #[prost(string, optional, tag = "10")]
    pubsub_topic: Option<String>,
    #[prost(string, repeated, tag = "11")]
    content_topics: Vec<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct FilterSubscribeResponse {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(uint32, tag = "10")]
    status_code: u32,
    #[prost(string, optional, tag = "11")]
    status_desc: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct MessagePush {
    /// The `WakuMessage`, already encoded (an embedded message is length-delimited bytes).
    #[prost(bytes = "vec", optional, tag = "1")]
    waku_message: Option<Vec<u8>>,
    #[prost(string, optional, tag = "2")]
    pubsub_topic: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct PushRpc {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(message, optional, tag = "2")]
    request: Option<PushRequest>,
    #[prost(message, optional, tag = "3")]
    response: Option<PushResponse>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct PushRequest {
    #[prost(string, tag = "1")]
    pubsub_topic: String,
    #[prost(bytes = "vec", optional, tag = "2")]
    message: Option<Vec<u8>>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct PushResponse {
    #[prost(bool, tag = "1")]
    is_success: bool,
    #[prost(string, optional, tag = "2")]
    info: Option<String>,
}

/// multistream-select's two lines for `proto`, each varint-length-prefixed with its newline
/// (what one side of a stream's negotiation writes).
fn negotiation(proto: &str) -> usize {
    ["/multistream/1.0.0", proto]
        .iter()
        .map(|l| {
            let line = format!("{l}\n");
            prost::encoding::encoded_len_varint(line.len() as u64) + line.len()
        })
        .sum()
}

proptest! {
    /// Every light-protocol transmission's size equals its stream negotiation (where it has
    /// one) plus its prost encoding, length-delimited: a Status client's 64-character
    /// request id, nwaku's "OK" descriptions.
    #[test]
    fn light_protocol_sizes_match_prost(
        payload in 1usize..200_000,
        t in 0usize..2,
        content_topics in 1u16..20,
        ct_len in 1u32..80,
    ) {
        use gossipsim::protocol::waku::wire::{size, LightCtx, FILTER_PUSH, FILTER_SUBSCRIBE, LIGHTPUSH};
        use gossipsim::protocol::waku::LightRpc;
        let env = WakuEnvelope { content_topic_len: ct_len, ..WakuEnvelope::default() };
        let mut msgs = MessageTable::default();
        let m = msgs.push(Message {
            topic: TopicId(t as u16),
            class: ClassId(0),
            publisher: PeerId(0),
            published_at: SimTime::ZERO,
            payload_len: payload as u32,
            data_len: env.data_len(payload as u32),
        });
        let topic_len: Vec<u32> = TOPICS.iter().map(|s| s.len() as u32).collect();
        let per_topic = vec![1u16; TOPICS.len()];
        let cx = LightCtx {
            topic_len: &topic_len,
            msgs: &msgs,
            content_topic_len: ct_len,
            content_topics: &per_topic,
        };
        let rid = "f".repeat(64);
        let topic = TOPICS[t].to_string();
        let data = waku(payload, &env);
        let ok = FilterSubscribeResponse {
            request_id: rid.clone(),
            status_code: 200,
            status_desc: Some("OK".into()),
        };
        let cases: Vec<(LightRpc, usize)> = vec![
            (
                LightRpc::FilterSubscribe { topic: TopicId(t as u16), content_topics },
                negotiation(FILTER_SUBSCRIBE)
                    + FilterSubscribeRequest {
                        request_id: rid.clone(),
                        filter_subscribe_type: 1,
                        pubsub_topic: Some(topic.clone()),
                        content_topics: vec!["c".repeat(ct_len as usize); content_topics.into()],
                    }
                    .encoded_len_delimited_(),
            ),
            (
                LightRpc::FilterPing,
                negotiation(FILTER_SUBSCRIBE)
                    + FilterSubscribeRequest { request_id: rid.clone(), ..Default::default() }
                        .encoded_len_delimited_(),
            ),
            (LightRpc::FilterPong, negotiation(FILTER_SUBSCRIBE) + ok.encoded_len_delimited_()),
            (
                LightRpc::FilterPush { msg: m, hops: 2, opens: false },
                MessagePush { waku_message: Some(data.clone()), pubsub_topic: Some(topic.clone()) }
                    .encoded_len_delimited_(),
            ),
            (LightRpc::FilterPushAck { msg: m }, negotiation(FILTER_PUSH)),
            (
                LightRpc::Lightpush { msg: m },
                negotiation(LIGHTPUSH)
                    + PushRpc {
                        request_id: rid.clone(),
                        request: Some(PushRequest { pubsub_topic: topic.clone(), message: Some(data.clone()) }),
                        response: None,
                    }
                    .encoded_len_delimited_(),
            ),
            (
                LightRpc::LightpushAck { msg: m },
                negotiation(LIGHTPUSH)
                    + PushRpc {
                        request_id: rid.clone(),
                        request: None,
                        response: Some(PushResponse { is_success: true, info: Some("OK".into()) }),
                    }
                    .encoded_len_delimited_(),
            ),
        ];
        for (rpc, want) in cases {
            prop_assert_eq!(size(rpc, &cx) as usize, want, "{:?}", rpc);
        }
        let opens = LightRpc::FilterPush { msg: m, hops: 2, opens: true };
        let later = LightRpc::FilterPush { msg: m, hops: 2, opens: false };
        prop_assert_eq!(size(opens, &cx), size(later, &cx) + size(LightRpc::FilterPushAck { msg: m }, &cx));
    }
}

// Waku store v3 (nwaku `waku_store/rpc_codec.nim`), as prost messages.
#[derive(Clone, PartialEq, prost::Message)]
struct StoreQueryRequest {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(bool, tag = "2")]
    include_data: bool,
    #[prost(string, optional, tag = "10")]
    pubsub_topic: Option<String>,
    #[prost(string, repeated, tag = "11")]
    content_topics: Vec<String>,
    #[prost(sint64, optional, tag = "12")]
    time_start: Option<i64>,
    #[prost(sint64, optional, tag = "13")]
    time_end: Option<i64>,
    #[prost(bytes = "vec", repeated, tag = "20")]
    message_hashes: Vec<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "51")]
    pagination_cursor: Option<Vec<u8>>,
    #[prost(bool, tag = "52")]
    pagination_forward: bool,
    #[prost(uint64, optional, tag = "53")]
    pagination_limit: Option<u64>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct WakuMessageKeyValue {
    #[prost(bytes = "vec", optional, tag = "1")]
    message_hash: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "2")]
    message: Option<Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    pubsub_topic: Option<String>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct StoreQueryResponse {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(uint32, optional, tag = "10")]
    status_code: Option<u32>,
    #[prost(string, optional, tag = "11")]
    status_desc: Option<String>,
    #[prost(message, repeated, tag = "20")]
    messages: Vec<WakuMessageKeyValue>,
    #[prost(bytes = "vec", optional, tag = "51")]
    pagination_cursor: Option<Vec<u8>>,
}

proptest! {
    /// Every store transmission's size equals its stream negotiation plus its prost
    /// encoding: a hash-only query over a window of real timestamps (any time from 2020 to
    /// 2100), with a cursor or not, and the answer page with its hashes and cursor.
    #[test]
    fn store_sizes_match_prost(
        t in 0usize..2,
        content_topics in 1u16..20,
        ct_len in 1u32..80,
        start in 1_577_836_800_000_000_000i64..4_102_444_800_000_000_000,
        span in 0i64..100_000_000_000_000,
        limit in 1u64..=100,
        count in 0u16..=100,
        cursor in any::<bool>(),
    ) {
        use gossipsim::protocol::waku::wire::{size, LightCtx, STORE};
        use gossipsim::protocol::waku::LightRpc;
        let msgs = MessageTable::default();
        let topic_len: Vec<u32> = TOPICS.iter().map(|s| s.len() as u32).collect();
        let per_topic = vec![content_topics; TOPICS.len()];
        let cx = LightCtx {
            topic_len: &topic_len,
            msgs: &msgs,
            content_topic_len: ct_len,
            content_topics: &per_topic,
        };
        let rid = "f".repeat(64);
        let hash = vec![0xab; 32];
        let query = StoreQueryRequest {
            request_id: rid.clone(),
            include_data: false,
            pubsub_topic: Some(TOPICS[t].to_string()),
            content_topics: vec!["c".repeat(ct_len as usize); content_topics.into()],
            time_start: Some(start),
            time_end: Some(start + span),
            message_hashes: Vec::new(),
            pagination_cursor: cursor.then(|| hash.clone()),
            pagination_forward: false,
            pagination_limit: Some(limit),
        };
        let rpc = LightRpc::StoreQuery { topic: TopicId(t as u16), cursor, start_ms: 0, end_ms: 1 };
        prop_assert_eq!(size(rpc, &cx) as usize, negotiation(STORE) + query.encoded_len_delimited_());
        let answer = StoreQueryResponse {
            request_id: rid,
            status_code: Some(200),
            status_desc: Some("OK".into()),
            messages: vec![
                WakuMessageKeyValue { message_hash: Some(hash.clone()), message: None, pubsub_topic: None };
                count.into()
            ],
            pagination_cursor: cursor.then_some(hash),
        };
        let rpc = LightRpc::StoreResponse { topic: TopicId(t as u16), count, more: cursor };
        prop_assert_eq!(size(rpc, &cx) as usize, negotiation(STORE) + answer.encoded_len_delimited_());
    }
}

/// `encoded_len` of the length-delimited encoding (prost has the bytes, not the length).
trait DelimitedLen {
    fn encoded_len_delimited_(&self) -> usize;
}

impl<M: prost::Message> DelimitedLen for M {
    fn encoded_len_delimited_(&self) -> usize {
        let n = self.encoded_len();
        prost::encoding::encoded_len_varint(n as u64) + n
    }
}
