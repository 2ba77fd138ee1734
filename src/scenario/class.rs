//! A node class: its keys, declared once, and the typed class they validate into. Each
//! `[[node_class]]` key's TOML field, which roles take it (and why the others do not), its
//! default and its README row all come from `node_class_keys!` below; the keys only a role
//! takes live in that role's variant of [`Role`]. A new key is one entry in the table, a
//! field where its role keeps it, and what it means in `validate/roles.rs`.

use super::raw::RawGossipsub;
use crate::ids::{SimTime, TopicId};
use crate::protocol::gossipsub::GossipsubConfig;
use crate::units::{Bandwidth, Duration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct NodeClass {
    pub name: String,
    pub share: f64,
    /// Nodes of this class (largest-remainder rounding of `share × nodes`).
    pub count: u32,
    pub upload_bps: u64,
    pub download_bps: u64,
    /// The preset its gossipsub parameters start from.
    pub preset: String,
    /// Its validated gossipsub parameters: the scenario's, or its own preset's, with its
    /// own `gossipsub` table on top.
    pub gossipsub: GossipsubConfig,
    /// With `random_dial`: its (outbound, max_connections), the topology's unless it sets
    /// its own; `None` with the regular topologies.
    pub dial: Option<(u32, u32)>,
    /// The topics its nodes are in, when it lists its own (sorted, no repeats); `None`: the
    /// topics' subscriber rules decide.
    pub topics: Option<Vec<TopicId>>,
    /// Its region weights (one per region of the matrix), when it sets its own.
    pub regions: Option<Vec<f64>>,
    /// Relay, light client or store, with the keys that role alone takes.
    pub role: Role,
    /// Whether and how its nodes query a store class's nodes for history.
    pub store: Option<StoreSpec>,
}

crate::word_enum!(
    /// What a node does in the network.
    RoleWord {
        /// A gossipsub relay (it may serve light clients).
        Relay = "relay",
        /// No relay: it follows its topics by filter and publishes by lightpush through
        /// service nodes.
        Light = "light",
        /// A relay that also keeps its topics' messages and answers store queries.
        Store = "store",
    }
);

impl RoleWord {
    /// Whether its nodes run the relay (gossipsub) on some topic.
    pub fn relays(self) -> bool {
        match self {
            RoleWord::Relay | RoleWord::Store => true,
            RoleWord::Light => false,
        }
    }
}

/// What a class's nodes do in the network, with the keys only that role takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// A gossipsub relay. It may serve light clients, and follow some of its topics as a
    /// light client itself.
    Relay {
        /// Light clients each node serves by filter at most.
        filter_slots: u32,
        /// The topics it follows by filter instead of relaying, and how.
        light: Option<LightTopics>,
    },
    /// No relay: it follows all its topics by filter and publishes by lightpush.
    Light(LightSpec),
    /// A relay that also keeps its topics' messages and answers store queries.
    Store {
        /// Light clients each node serves by filter at most.
        filter_slots: u32,
        /// How long its nodes keep a message.
        retention: SimTime,
    },
}

/// A relay class's topics followed as a light client.
#[derive(Debug, Clone, PartialEq)]
pub struct LightTopics {
    /// Those of its `topics` it does not relay (sorted, at least one).
    pub topics: Vec<TopicId>,
    pub spec: LightSpec,
}

impl Role {
    pub fn word(&self) -> RoleWord {
        match self {
            Role::Relay { .. } => RoleWord::Relay,
            Role::Light(_) => RoleWord::Light,
            Role::Store { .. } => RoleWord::Store,
        }
    }

    /// Whether its nodes run the relay (gossipsub) on some topic.
    pub fn relays(&self) -> bool {
        self.word().relays()
    }

    /// How its nodes follow topics as light clients, where they do.
    pub fn light(&self) -> Option<&LightSpec> {
        match self {
            Role::Relay { light, .. } => light.as_ref().map(|l| &l.spec),
            Role::Light(spec) => Some(spec),
            Role::Store { .. } => None,
        }
    }

    /// A relay class's topics followed as a light client (empty for the others).
    pub fn light_topics(&self) -> &[TopicId] {
        match self {
            Role::Relay { light: Some(l), .. } => &l.topics,
            _ => &[],
        }
    }

    /// Light clients each node serves by filter at most (none for a light node).
    pub fn filter_slots(&self) -> u32 {
        match *self {
            Role::Relay { filter_slots, .. } | Role::Store { filter_slots, .. } => filter_slots,
            Role::Light(_) => 0,
        }
    }

    /// How long a store node keeps a message.
    pub fn retention(&self) -> Option<SimTime> {
        match *self {
            Role::Store { retention, .. } => Some(retention),
            _ => None,
        }
    }
}

/// How a class's nodes check their topics' history at a store node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreSpec {
    /// The store class (index) whose nodes they ask; each node asks one.
    pub store: usize,
    /// How often each node checks.
    pub interval: SimTime,
    /// Hashes asked for per page.
    pub page: u32,
}

impl NodeClass {
    /// Whether its nodes relay topic `t` when they are in it (else they follow it as light
    /// clients).
    pub fn relays_on(&self, t: TopicId) -> bool {
        self.role.relays() && !self.role.light_topics().contains(&t)
    }
}

/// How the clients of a light class (or of a relay class's light topics) reach the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightSpec {
    /// The class (index) whose nodes serve them.
    pub service: usize,
    /// Service nodes per client.
    pub service_peers: u32,
    /// Of those, how many each publication is lightpushed to.
    pub lightpush_peers: u32,
    /// How often a client pings its filter services.
    pub filter_ping: SimTime,
}

/// What a role does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// It takes the key.
    Yes,
    /// It takes the key only beside the key named; else refused with the reason given.
    With(&'static str, &'static str),
    /// It refuses the key, for the reason given.
    No(&'static str),
}

/// Which roles take a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Takes {
    pub relay: Rule,
    pub light: Rule,
    pub store: Rule,
}

impl Takes {
    pub fn of(&self, role: RoleWord) -> Rule {
        match role {
            RoleWord::Relay => self.relay,
            RoleWord::Light => self.light,
            RoleWord::Store => self.store,
        }
    }
}

const NO_RELAY: &str = "a light node runs no relay and serves no one";
const ONLY_STORE: &str = "only for role = \"store\"";
const OWN_HISTORY: &str = "a store node keeps its own history";
const WITH_STORE: &str = "only with `store` (the store class to ask)";

/// Every role.
const ANY: Takes = Takes {
    relay: Rule::Yes,
    light: Rule::Yes,
    store: Rule::Yes,
};
/// The roles that run a relay.
const RELAYS: Takes = Takes {
    relay: Rule::Yes,
    light: Rule::No(NO_RELAY),
    store: Rule::Yes,
};
/// A light client of service nodes: a light class, or a relay class for its light topics.
const LIGHT: Takes = Takes {
    relay: Rule::With(
        "light_topics",
        "only for role = \"light\", or a relay class with `light_topics`",
    ),
    light: Rule::Yes,
    store: Rule::No("only for role = \"light\""),
};
/// A relay that follows some topics by filter.
const LIGHT_TOPICS: Takes = Takes {
    relay: Rule::Yes,
    light: Rule::No("a light class follows all its topics by filter: list them in `topics`"),
    store: Rule::No("a store node relays all its topics"),
};
/// A store node.
const STORE: Takes = Takes {
    relay: Rule::No(ONLY_STORE),
    light: Rule::No(ONLY_STORE),
    store: Rule::Yes,
};
/// A store client: which store it asks.
const ASKS: Takes = Takes {
    relay: Rule::Yes,
    light: Rule::Yes,
    store: Rule::No(OWN_HISTORY),
};
/// A store client: how it asks.
const ASKS_HOW: Takes = Takes {
    relay: Rule::With("store", WITH_STORE),
    light: Rule::With("store", WITH_STORE),
    store: Rule::No(OWN_HISTORY),
};

/// A key's default, as the README shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyDefault {
    /// Words: none, or one computed from elsewhere.
    Text(&'static str),
    Number(u64),
    Time(SimTime),
    Link(u64),
}

/// Links of a class that sets none: 100 Mbit/s each way.
pub const LINK_BPS: u64 = 100_000_000;

/// One key of `[[node_class]]`.
#[derive(Debug, Clone, Copy)]
pub struct ClassKey {
    pub key: &'static str,
    /// What it is written as (the README's type column).
    pub kind: &'static str,
    pub default: KeyDefault,
    pub takes: Takes,
    /// What it means (the README's meaning column, after the roles that take it).
    pub about: &'static str,
}

macro_rules! node_class_keys {
    ($( $(#[$doc:meta])* $key:ident: $ty:ty, $kind:literal, $default:expr, $takes:ident,
        $about:literal; )*) => {
        /// A `[[node_class]]` entry as written.
        #[derive(Debug, Clone, Deserialize, Serialize, Default)]
        #[serde(deny_unknown_fields)]
        pub struct RawNodeClass {
            $( $(#[$doc])* pub $key: Option<$ty>, )*
        }

        /// Every key, in the README's order.
        pub const CLASS_KEYS: &[ClassKey] = &[$(
            ClassKey {
                key: stringify!($key),
                kind: $kind,
                default: $default,
                takes: $takes,
                about: $about,
            },
        )*];

        impl RawNodeClass {
            /// Whether each key of [`CLASS_KEYS`] is set, in its order.
            fn set(&self) -> Vec<bool> {
                vec![$( self.$key.is_some() ),*]
            }
        }
    };
}

node_class_keys! {
    name: String, "string", KeyDefault::Text("`\"default\"`"), ANY,
        "a class of nodes (fleet, desktop, mobile, …)";
    share: f64, "number", KeyDefault::Number(1), ANY,
        "relative share of nodes (counts rounded to add up to `nodes`)";
    upload: Bandwidth, "bandwidth", KeyDefault::Link(LINK_BPS), ANY,
        "per-node FIFO uplink";
    download: Bandwidth, "bandwidth", KeyDefault::Link(LINK_BPS), ANY,
        "per-node FIFO downlink";
    /// The class's stack (default: the scenario's `[gossipsub]`).
    preset: String, "string", KeyDefault::Text("the scenario's"), RELAYS,
        "the stack this class runs (a preset name); its parameters start from that preset instead of the scenario's `[gossipsub]`";
    /// With `random_dial`: this class's dials and connection cap.
    outbound: u64, "integer", KeyDefault::Text("the topology's"), RELAYS,
        "with `random_dial` or `shard_aware` only: this class's dials (e.g. fleet nodes dialling 25); a node gets its dials plus about the others' mean dials, up to its cap; the resolved scenario writes it where it differs from `[topology]`";
    max_connections: u64, "integer", KeyDefault::Text("the topology's"), RELAYS,
        "with `random_dial` or `shard_aware` only: this class's connection cap (e.g. fleet nodes with room for 60), no lower than its `outbound`; the resolved scenario writes it where it differs from `[topology]`";
    /// Parameters set for this class on top of its stack.
    gossipsub: RawGossipsub, "table", KeyDefault::Text("—"), RELAYS,
        "any gossipsub parameter of the table below, for this class only, on top of its stack (e.g. fleet nodes with `{ mesh_n = 12, mesh_n_low = 8, mesh_n_high = 16 }`); checked like `[gossipsub]`, errors name `node_class[i].gossipsub.<key>`; a message must fit every class's `max_transmit_size`. The resolved scenario writes `preset` and the full table only for a class whose parameters differ from the scenario's. The model (`model`, `compare`) takes the scenario's `[gossipsub]`, and `compare` says so when a class differs";
    /// The topics (shards) its nodes are in, instead of the topics' subscriber rules.
    topics: Vec<String>, "list of topic names", KeyDefault::Text("—"), ANY,
        "the topics (shards) this class's nodes are in, all of them and only those (e.g. fleet nodes in every shard, `topics = []` in none); the topics' `subscribers` rules then pick among the nodes of the classes that list no topics. A rule that picks a listing class by name must find the topic in its list, and every topic needs a node";
    /// With regional latency: this class's region weights.
    regions: BTreeMap<String, f64>, "table", KeyDefault::Text("the scenario's `latency.weights`"), ANY,
        "with `latency.kind = \"regions\"` only: this class's share of nodes per region, e.g. fleet nodes `{ eu-central = 1.0 }`; each class's nodes are then placed by its own weights (the resolved scenario writes every region's weight)";
    role: RoleWord, "string", KeyDefault::Text("`\"relay\"`"), ANY,
        "`relay` (a gossipsub relay; it may serve light clients), `light` (no relay: it follows its topics by filter and publishes by lightpush through the service nodes of its `service` class; see [Light clients](#light-clients)) or `store` (a relay that also keeps its topics' messages and answers store queries; see [Store](#store)). The rows here say which roles take each key; a light class also needs a topology where nodes dial";
    /// A relay class: more topics it is in, followed by filter and published to by
    /// lightpush through its `service` class instead of relayed.
    light_topics: Vec<String>, "list of topic names", KeyDefault::Text("—"), LIGHT_TOPICS,
        "more topics its nodes are in, followed by filter and published to by lightpush through its `service` class instead of relayed (RFC 57's desktop clients on the control shard); needs `topics` (what it relays) and `service`, and takes the light keys; a topic is in one list or the other";
    /// A light class: the class whose nodes serve it (filter and lightpush).
    service: String, "class name", KeyDefault::Text("required"), LIGHT,
        "the relay class whose nodes serve this class; it must list its own `topics`, covering every topic this class follows";
    /// A light class: service nodes per client.
    service_peers: u64, "integer", KeyDefault::Number(crate::protocol::waku::SERVICE_PEERS as u64), LIGHT,
        "service nodes per client (status-go's `MinPeersForFilter`, js-waku's `numPeersToUse`)";
    /// A light class: of those, how many each publication is lightpushed to.
    lightpush_peers: u64, "integer", KeyDefault::Number(crate::protocol::waku::LIGHTPUSH_PEERS as u64), LIGHT,
        "of those, how many each publication is lightpushed to (go-waku's `DefaultPeersToPublishForLightpush`), ≤ `service_peers`";
    /// A light class: how often a client pings its filter services.
    filter_ping: Duration, "duration", KeyDefault::Time(crate::protocol::waku::FILTER_PING), LIGHT,
        "how often a client pings each service (go-waku's `peerPingInterval`, js-waku's `keepAliveIntervalMs`), at least 1s";
    /// A relay or store class: light clients a node serves by filter at most.
    filter_slots: u64, "integer", KeyDefault::Number(crate::protocol::waku::FILTER_SLOTS as u64), RELAYS,
        "light clients each node serves by filter at most (nwaku's `--filter-max-peers-to-serve`); clients × `service_peers` beyond a class's nodes × slots is refused";
    /// A store class: how long its nodes keep a message.
    retention: Duration, "duration", KeyDefault::Time(crate::protocol::waku::store::RETENTION), STORE,
        "how long a store node keeps a message (nwaku's `--store-message-retention-policy` default `time:172800`, 2 days)";
    /// The store class whose nodes this class's nodes check their history at.
    store: String, "class name", KeyDefault::Text("—"), ASKS,
        "the store class whose nodes this class's nodes check their history at (each node asks one, drawn at random); that class must list its own `topics`, covering every topic this class may be in";
    /// With `store`: how often a node checks.
    store_interval: Duration, "duration", KeyDefault::Time(crate::protocol::waku::store::STORE_INTERVAL), ASKS_HOW,
        "how often a node checks (go-waku's missing-message verification interval), at least 1s";
    /// With `store`: hashes asked for per page.
    store_page: u64, "integer", KeyDefault::Number(crate::protocol::waku::store::STORE_PAGE as u64), ASKS_HOW,
        "hashes asked for per page (go-waku's `messageFetchPageSize`), 1 to 100 (nwaku's `MaxPageSize`)";
}

impl RawNodeClass {
    /// The first key set here that `role` does not take, and why.
    pub fn refused(&self, role: RoleWord) -> Option<(&'static str, &'static str)> {
        let set = self.set();
        let is_set = |k: &str| {
            CLASS_KEYS
                .iter()
                .position(|c| c.key == k)
                .is_some_and(|i| set[i])
        };
        CLASS_KEYS
            .iter()
            .zip(&set)
            .filter(|(_, &s)| s)
            .find_map(|(k, _)| match k.takes.of(role) {
                Rule::Yes => None,
                Rule::With(need, why) => (!is_set(need)).then_some((k.key, why)),
                Rule::No(why) => Some((k.key, why)),
            })
    }
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
fn either(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The roles that take a key, as the README's meaning column begins (`None`: every role).
fn roles_taking(t: &Takes) -> Option<String> {
    let rules = RoleWord::ALL.iter().map(|&r| (r.word(), t.of(r)));
    let yes: Vec<&str> = rules
        .clone()
        .filter(|(_, r)| *r == Rule::Yes)
        .map(|(w, _)| w)
        .collect();
    let with: Vec<(&str, &str)> = rules
        .filter_map(|(w, r)| match r {
            Rule::With(need, _) => Some((w, need)),
            _ => None,
        })
        .collect();
    if with.is_empty() && yes.len() == RoleWord::ALL.len() {
        return None;
    }
    let needs: Vec<&str> = with.iter().map(|&(_, n)| n).collect();
    Some(match (yes.is_empty(), needs.split_first()) {
        (true, Some((n, rest))) if rest.iter().all(|m| m == n) => {
            let ws: Vec<&str> = with.iter().map(|&(w, _)| w).collect();
            format!("{}, with `{n}`", either(&ws))
        }
        _ => {
            let or_with: String = with
                .iter()
                .map(|(w, n)| format!(", or `{w}` with `{n}`"))
                .collect();
            either(&yes) + &or_with
        }
    })
}

fn default_text(d: KeyDefault) -> String {
    match d {
        KeyDefault::Text(t) => t.to_string(),
        KeyDefault::Number(n) => n.to_string(),
        KeyDefault::Time(t) => format!("`\"{t}\"`"),
        KeyDefault::Link(bps) => format!("`\"{}\"`", crate::units::fmt_bandwidth(bps)),
    }
}

/// The README's rows for `[[node_class]]`, one per key.
pub fn class_keys_markdown() -> String {
    CLASS_KEYS
        .iter()
        .map(|k| {
            let about = match roles_taking(&k.takes) {
                Some(roles) => format!("{roles}: {}", k.about),
                None => k.about.to_string(),
            };
            format!(
                "| `[[node_class]]` `{}` | {} | {} | {about} |\n",
                k.key,
                k.kind,
                default_text(k.default)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_needed_beside_another_is_a_key() {
        for k in CLASS_KEYS {
            for r in RoleWord::ALL {
                if let Rule::With(need, _) = k.takes.of(*r) {
                    assert!(CLASS_KEYS.iter().any(|c| c.key == need), "{}", k.key);
                }
            }
        }
    }

    #[test]
    fn roles_read_as_the_rules_say() {
        assert_eq!(roles_taking(&ANY), None);
        assert_eq!(roles_taking(&RELAYS).unwrap(), "`relay` or `store`");
        assert_eq!(
            roles_taking(&LIGHT).unwrap(),
            "`light`, or `relay` with `light_topics`"
        );
        assert_eq!(
            roles_taking(&ASKS_HOW).unwrap(),
            "`relay` or `light`, with `store`"
        );
        assert_eq!(roles_taking(&STORE).unwrap(), "`store`");
    }

    #[test]
    fn refused_names_the_first_key_a_role_does_not_take() {
        let c = RawNodeClass {
            filter_slots: Some(4),
            store_page: Some(3),
            ..Default::default()
        };
        assert_eq!(c.refused(RoleWord::Light), Some(("filter_slots", NO_RELAY)));
        assert_eq!(c.refused(RoleWord::Relay), Some(("store_page", WITH_STORE)));
        let c = RawNodeClass {
            store: Some("archive".into()),
            ..c
        };
        assert_eq!(c.refused(RoleWord::Relay), None);
        assert_eq!(c.refused(RoleWord::Store), Some(("store", OWN_HISTORY)));
    }
}
