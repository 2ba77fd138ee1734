//! The table of published messages, shared read-only by peers (topic, size) and written by the
//! traffic generators. A message is a dense [`MsgIdx`]; its 32-byte id exists only in sizes.

use crate::ids::{ClassId, MsgIdx, PeerId, SimTime, TopicId};

/// What the simulator knows about one published message.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub topic: TopicId,
    pub class: ClassId,
    pub publisher: PeerId,
    pub published_at: SimTime,
    /// Application payload bytes (the Waku message payload).
    pub payload_len: u32,
    /// Encoded length of pubsub `Message.data` (the whole Waku message protobuf).
    pub data_len: u32,
}

/// All messages of a run, indexed by [`MsgIdx`].
#[derive(Default, Debug)]
pub struct MessageTable {
    msgs: Vec<Message>,
    /// Each topic's name length (for sizes that hold the topic: see `topic_name_len`).
    topic_name_len: Vec<u32>,
}

impl MessageTable {
    /// A table for topics whose names have these lengths, indexed by [`TopicId`].
    pub fn with_topic_names(topic_name_len: Vec<u32>) -> Self {
        MessageTable {
            msgs: Vec::new(),
            topic_name_len,
        }
    }

    /// The length of topic `t`'s name (0 where the table was made without names).
    pub fn topic_name_len(&self, t: TopicId) -> u32 {
        self.topic_name_len.get(t.idx()).copied().unwrap_or(0)
    }

    pub fn push(&mut self, m: Message) -> MsgIdx {
        let idx = MsgIdx(u32::try_from(self.msgs.len()).expect("fewer than 2^32 messages per run"));
        self.msgs.push(m);
        idx
    }
    #[inline]
    pub fn get(&self, m: MsgIdx) -> &Message {
        &self.msgs[m.idx()]
    }
    pub fn len(&self) -> usize {
        self.msgs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (MsgIdx, &Message)> {
        self.msgs
            .iter()
            .enumerate()
            .map(|(i, m)| (MsgIdx(i as u32), m))
    }
}
