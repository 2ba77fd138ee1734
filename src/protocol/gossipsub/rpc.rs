//! RPC parts and their exact sizes on the wire. An RPC is a list of [`RpcPart`]s sent together;
//! its size is the protobuf encoding of libp2p pubsub `rpc.proto` as Waku sends it (anonymous
//! messages: `data` + `topic` only; 32-byte message ids; one uvarint length prefix per RPC),
//! computed field by field. Also the Waku message envelope and the optional transport overhead.
//! Owns encoding arithmetic only; never decides what to send.

use crate::ids::{MsgIdx, TopicId};
use crate::message::MessageTable;
use serde::{Deserialize, Serialize};

/// Why a payload is on the wire (the sender knows; accounting keeps them apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadKind {
    /// The publisher's own send.
    Published,
    /// Relayed to mesh peers.
    Forwarded,
    /// Sent in answer to an IWANT.
    IWantServed,
}

/// One part of an RPC. Several parts to the same peer at the same moment share one RPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcPart {
    /// `RPC.subscriptions`: SUBSCRIBE (true) or UNSUBSCRIBE (false).
    Subscribe { topic: TopicId, subscribe: bool },
    /// `RPC.publish`: a full message. `hops` is the receiver's hop count from the publisher.
    Message {
        msg: MsgIdx,
        kind: PayloadKind,
        hops: u16,
    },
    /// One id of a `ControlIHave` (consecutive parts with the same topic form one IHAVE).
    IHave { topic: TopicId, msg: MsgIdx },
    /// One id of the `ControlIWant`.
    IWant { msg: MsgIdx },
    /// One id of the `ControlIDontWant` (v1.2).
    IDontWant { msg: MsgIdx },
    /// `ControlGraft`.
    Graft { topic: TopicId },
    /// `ControlPrune` with a backoff and no peer exchange.
    Prune { topic: TopicId, backoff_secs: u32 },
}

/// Bytes of a protobuf varint encoding `v`.
#[inline]
pub const fn varint_len(v: u64) -> u32 {
    let bits = 64 - (v | 1).leading_zeros();
    bits.div_ceil(7)
}

/// Bytes of a length-delimited field (tag + length + body).
#[inline]
pub const fn len_field(field: u32, body: u32) -> u32 {
    varint_len((field as u64) << 3 | 2) + varint_len(body as u64) + body
}

/// Bytes of a varint field (tag + value).
#[inline]
pub const fn varint_field(field: u32, v: u64) -> u32 {
    varint_len((field as u64) << 3) + varint_len(v)
}

const ID_LEN: u32 = 32;

crate::word_enum!(
    /// What a message's data is: a Waku message around the payload, or the payload itself
    /// (plain libp2p gossipsub, as a reference network publishes).
    Envelope {
        Waku = "waku",
        None = "none",
    }
);

/// The Waku message around the payload (`WakuMessage` protobuf), configurable per scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WakuEnvelope {
    /// `none`: the data is the payload, and the fields below but the content topic (which
    /// light clients' requests carry) are not used.
    pub envelope: Envelope,
    /// Length of the content topic string (field 2), e.g. 24 for "/waku/1/0x12345678/rfc26".
    pub content_topic_len: u32,
    /// Whether `timestamp` (field 10, sint64 ns since the epoch: 9 varint bytes today) is set.
    pub timestamp: bool,
    /// `version` (field 3); 0 is not encoded.
    pub version: u32,
    /// Length of `meta` (field 11); 0 is not encoded.
    pub meta_len: u32,
    /// Whether an RLN `rate_limit_proof` (field 21) is attached.
    pub rln_proof: bool,
}

impl Default for WakuEnvelope {
    fn default() -> Self {
        WakuEnvelope {
            envelope: Envelope::Waku,
            content_topic_len: 24,
            timestamp: true,
            version: 0,
            meta_len: 0,
            rln_proof: false,
        }
    }
}

/// Encoded `RateLimitProof`: proof (128 B), then merkle_root, epoch, share_x, share_y,
/// nullifier, rln_identifier (32 B each), fields 1..7.
pub const fn rln_proof_len() -> u32 {
    len_field(1, 128) + 6 * len_field(2, 32)
}

impl WakuEnvelope {
    /// Encoded length of the `WakuMessage` with `payload` bytes of payload.
    pub fn data_len(&self, payload: u32) -> u32 {
        if self.envelope == Envelope::None {
            return payload;
        }
        // A timestamp around 2024-2030 in ns, zigzag-encoded: 62 significant bits.
        const TS_ZIGZAG: u64 = 1_700_000_000_000_000_000u64 << 1;
        // proto3: empty payload / content topic are not encoded.
        let field = |f, len| if len == 0 { 0 } else { len_field(f, len) };
        let mut n = field(1, payload) + field(2, self.content_topic_len);
        if self.version != 0 {
            n += varint_field(3, u64::from(self.version));
        }
        if self.timestamp {
            n += varint_field(10, TS_ZIGZAG);
        }
        if self.meta_len != 0 {
            n += len_field(11, self.meta_len);
        }
        if self.rln_proof {
            n += len_field(21, rln_proof_len());
        }
        n
    }
}

/// Encoded length of the pubsub `Message` of `msg` (data = 2, topic = 4; anonymous, as Waku
/// sends it): what rust-libp2p compares its IDONTWANT threshold with (`raw_protobuf_len`).
pub fn pubsub_message_len(msgs: &MessageTable, msg: MsgIdx) -> u32 {
    let m = msgs.get(msg);
    len_field(2, m.data_len) + len_field(4, msgs.topic_name_len(m.topic))
}

/// What the size computation needs besides the parts: topic name lengths and message sizes.
pub struct WireCtx<'a> {
    /// Length of each topic's name (`/waku/2/rs/16/32` is 16), indexed by [`TopicId`].
    pub topic_len: &'a [u32],
    pub msgs: &'a MessageTable,
}

impl WireCtx<'_> {
    #[inline]
    fn topic_field(&self, field: u32, t: TopicId) -> u32 {
        len_field(field, self.topic_len[t.idx()])
    }

    /// Bytes of `RPC.publish` entry for `msg`: `Message{data=2, topic=4}` as a field.
    #[inline]
    pub fn message_field(&self, msg: MsgIdx) -> u32 {
        let m = self.msgs.get(msg);
        len_field(2, len_field(2, m.data_len) + self.topic_field(4, m.topic))
    }
}

/// Computes the RPC's size on the wire and each part's share of it. `shares[i]` gets part
/// `i`'s own field bytes; group headers (an IHAVE's topic, the IWANT/IDONTWANT wrapper) go to
/// the group's first part, and the shared envelope (the ControlMessage wrapper and the RPC
/// length prefix) to the largest part, so that the shares add up to the total exactly.
pub fn rpc_size(parts: &[RpcPart], ctx: &WireCtx<'_>, shares: &mut Vec<u32>) -> u32 {
    shares.clear();
    shares.resize(parts.len(), 0);
    let id_field = len_field(1, ID_LEN); // also = len_field(2, ID_LEN): 34 bytes
    let mut rpc_body = 0u32; // bytes of RPC fields 1 and 2
    let mut control = 0u32; // bytes inside ControlMessage
    let mut iwant_ids = 0u32;
    let mut iwant_first = None;
    let mut idw_ids = 0u32;
    let mut idw_first = None;
    let mut i = 0;
    while i < parts.len() {
        match parts[i] {
            RpcPart::Subscribe { topic, .. } => {
                // SubOpts{subscribe=1 (always encoded), topicid=2}
                let b = len_field(1, varint_field(1, 1) + ctx.topic_field(2, topic));
                shares[i] = b;
                rpc_body += b;
            }
            RpcPart::Message { msg, .. } => {
                let b = ctx.message_field(msg);
                shares[i] = b;
                rpc_body += b;
            }
            RpcPart::IHave { topic, .. } => {
                let (last, b) = ihave_group(parts, i, topic, ctx, shares);
                i = last;
                control += b;
            }
            RpcPart::IWant { .. } => {
                iwant_ids += 1;
                iwant_first.get_or_insert(i);
                shares[i] = id_field;
            }
            RpcPart::IDontWant { .. } => {
                idw_ids += 1;
                idw_first.get_or_insert(i);
                shares[i] = id_field;
            }
            RpcPart::Graft { topic } => {
                let b = len_field(3, ctx.topic_field(1, topic));
                shares[i] = b;
                control += b;
            }
            RpcPart::Prune {
                topic,
                backoff_secs,
            } => {
                let b = len_field(
                    4,
                    ctx.topic_field(1, topic) + varint_field(3, u64::from(backoff_secs)),
                );
                shares[i] = b;
                control += b;
            }
        }
        i += 1;
    }
    for (ids, first, field) in [(iwant_ids, iwant_first, 2u32), (idw_ids, idw_first, 5u32)] {
        if let Some(f) = first {
            let b = len_field(field, ids * id_field);
            shares[f] += b - ids * id_field;
            control += b;
        }
    }
    if control > 0 {
        rpc_body += len_field(3, control);
    }
    // The envelope (the ControlMessage wrapper and the length prefix) goes to the largest
    // part's share.
    let total = varint_len(u64::from(rpc_body)) + rpc_body;
    let own: u32 = shares.iter().sum();
    let largest = (0..shares.len())
        .max_by_key(|&j| (shares[j], std::cmp::Reverse(j)))
        .expect("an RPC has at least one part");
    shares[largest] += total - own;
    total
}

/// [`rpc_size`] with its fast path: an RPC of one message (every forward and most
/// publications, the bulk of a run's RPCs) is its message field and the length prefix, the
/// whole of it the message's share; sized without the general walk over parts.
#[inline]
pub fn rpc_size_fast(parts: &[RpcPart], ctx: &WireCtx<'_>, shares: &mut Vec<u32>) -> u32 {
    if let [RpcPart::Message { msg, .. }] = parts {
        let total = one_message_size(ctx, *msg);
        shares.clear();
        shares.push(total);
        return total;
    }
    rpc_size(parts, ctx, shares)
}

/// The size of an RPC of `msg` alone: its message field and the length prefix.
#[inline]
pub fn one_message_size(ctx: &WireCtx<'_>, msg: MsgIdx) -> u32 {
    let field = ctx.message_field(msg);
    varint_len(u64::from(field)) + field
}

/// The ControlIHave of the run of IHAVE ids of `topic` that starts at part `start`: the
/// index of its last part, and its bytes (each id's share set, the header's to the first).
#[inline]
fn ihave_group(
    parts: &[RpcPart],
    start: usize,
    topic: TopicId,
    ctx: &WireCtx<'_>,
    shares: &mut [u32],
) -> (usize, u32) {
    let id_field = len_field(1, ID_LEN);
    let mut i = start;
    while i + 1 < parts.len()
        && matches!(parts[i + 1], RpcPart::IHave { topic: t, .. } if t == topic)
    {
        i += 1;
    }
    let k = (i - start + 1) as u32;
    let b = len_field(1, ctx.topic_field(1, topic) + k * id_field);
    for s in &mut shares[start..=i] {
        *s = id_field;
    }
    shares[start] += b - k * id_field;
    (i, b)
}

/// Transport overhead below gossipsub, per RPC, as its own accounting kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// Gossipsub bytes only.
    #[default]
    None,
    /// yamux (12 B per frame), Noise (2 B length + 16 B tag per ≤ 65535 B frame), TCP/IPv4
    /// (40 B of headers per ≤ 1460 B segment; ACKs not counted).
    TcpNoiseYamux,
}

impl Transport {
    /// Overhead bytes for one RPC of `rpc` bytes.
    pub fn overhead(self, rpc: u32) -> u32 {
        match self {
            Transport::None => 0,
            Transport::TcpNoiseYamux => {
                let yamux = rpc + 12;
                let noise_frames = yamux.div_ceil(65_535 - 16);
                let noise = yamux + noise_frames * 18;
                let segments = noise.div_ceil(1460);
                noise + segments * 40 - rpc
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClassId, PeerId, SimTime};
    use crate::message::Message;

    fn table(payload: u32, env: &WakuEnvelope) -> MessageTable {
        let mut t = MessageTable::default();
        t.push(Message {
            topic: TopicId(0),
            class: ClassId(0),
            publisher: PeerId(0),
            published_at: SimTime::ZERO,
            payload_len: payload,
            data_len: env.data_len(payload),
        });
        t
    }

    /// The table in docs/sources.md §2 (a check; the property tests against prost live in
    /// tests/wire_sizes.rs).
    #[test]
    fn reference_table() {
        let env = WakuEnvelope::default();
        let msgs = table(2000, &env);
        let ctx = WireCtx {
            topic_len: &[16],
            msgs: &msgs,
        };
        let mut sh = Vec::new();
        let t = TopicId(0);
        let m = MsgIdx(0);
        let one = |p: &[RpcPart], sh: &mut Vec<u32>| rpc_size(p, &ctx, sh);
        assert_eq!(
            one(
                &[RpcPart::Message {
                    msg: m,
                    kind: PayloadKind::Forwarded,
                    hops: 1
                }],
                &mut sh
            ),
            2000 + 65
        );
        assert_eq!(
            one(&[RpcPart::IHave { topic: t, msg: m }], &mut sh),
            23 + 34
        );
        assert_eq!(one(&[RpcPart::IWant { msg: m }], &mut sh), 5 + 34);
        assert_eq!(one(&[RpcPart::IDontWant { msg: m }], &mut sh), 39);
        assert_eq!(one(&[RpcPart::Graft { topic: t }], &mut sh), 23);
        assert_eq!(
            one(
                &[RpcPart::Prune {
                    topic: t,
                    backoff_secs: 60
                }],
                &mut sh
            ),
            25
        );
        assert_eq!(
            one(
                &[RpcPart::Subscribe {
                    topic: t,
                    subscribe: true
                }],
                &mut sh
            ),
            23
        );
        let rln = WakuEnvelope {
            rln_proof: true,
            ..env
        };
        let msgs = table(2000, &rln);
        let ctx = WireCtx {
            topic_len: &[16],
            msgs: &msgs,
        };
        assert_eq!(
            rpc_size(
                &[RpcPart::Message {
                    msg: m,
                    kind: PayloadKind::Forwarded,
                    hops: 1
                }],
                &ctx,
                &mut sh
            ),
            2000 + 404
        );
    }

    #[test]
    fn shares_add_up() {
        let msgs = table(100, &WakuEnvelope::default());
        let ctx = WireCtx {
            topic_len: &[16],
            msgs: &msgs,
        };
        let t = TopicId(0);
        let m = MsgIdx(0);
        let parts = [
            RpcPart::Graft { topic: t },
            RpcPart::IHave { topic: t, msg: m },
            RpcPart::IHave { topic: t, msg: m },
            RpcPart::IWant { msg: m },
            RpcPart::Prune {
                topic: t,
                backoff_secs: 60,
            },
        ];
        let mut sh = Vec::new();
        let total = rpc_size(&parts, &ctx, &mut sh);
        assert_eq!(sh.iter().sum::<u32>(), total);
    }

    #[test]
    fn transport_overhead() {
        assert_eq!(Transport::None.overhead(1000), 0);
        // 1000 + 12 + 18 = 1030 B in one segment: 12 + 18 + 40.
        assert_eq!(Transport::TcpNoiseYamux.overhead(1000), 70);
    }
}

#[cfg(test)]
mod size_tests {
    /// Parts are copied into every RPC slot (two inline in 64 bytes): keep them one word.
    #[test]
    fn a_part_is_one_word() {
        assert_eq!(std::mem::size_of::<super::RpcPart>(), 8);
    }
}
