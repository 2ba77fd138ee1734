//! The scenario file as written: serde structs that mirror the TOML one to one, with
//! `deny_unknown_fields` and units as strings. Nothing outside `scenario/` sees these types;
//! `validate.rs` turns them into a [`super::Scenario`]. Every field is optional where a default
//! exists, so that the resolved scenario (every default filled in) is the same type.

pub use super::class::RawNodeClass;
use super::{Arrival, Audience, Per};
use crate::protocol::gossipsub::rpc::{Transport, WakuEnvelope};
use crate::units::{Duration, RateStr, Size};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A seed: any u64. TOML integers stop at 2^63 − 1, so a larger seed is written (and may be
/// given) as a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSeed(pub u64);

impl Serialize for RawSeed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(self.0) {
            Ok(i) => s.serialize_i64(i),
            Err(_) => s.serialize_str(&self.0.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for RawSeed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const WHAT: &str = "a whole number from 0 to 18446744073709551615 (above 2^63 − 1 as a string, \"18446744073709551615\")";
        impl Visitor<'_> for V {
            type Value = RawSeed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(WHAT)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSeed, E> {
                u64::try_from(v)
                    .map(RawSeed)
                    .map_err(|_| E::custom(format!("a seed is {WHAT}, got {v}")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSeed, E> {
                Ok(RawSeed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSeed, E> {
                v.trim()
                    .parse()
                    .map(RawSeed)
                    .map_err(|_| E::custom(format!("a seed is {WHAT}, got \"{v}\"")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub seed: Option<RawSeed>,
    pub nodes: Option<u64>,
    pub time: Option<RawTime>,
    pub gossipsub: Option<RawGossipsub>,
    pub topology: Option<RawTopology>,
    pub latency: Option<RawLatency>,
    pub network: Option<RawNetwork>,
    pub wire: Option<WakuEnvelopeRaw>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_class: Vec<RawNodeClass>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topic: Vec<RawTopic>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traffic: Vec<RawTraffic>,
    /// A shipped or file traffic model whose classes join `traffic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_model: Option<RawTrafficModel>,
}

/// `[traffic_model]`: a traffic mix from a model file, mapped onto the scenario.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTrafficModel {
    /// A shipped model (`models/traffic/<name>.toml`, built in).
    pub name: Option<String>,
    /// Or a model file (next to the scenario, then the working directory).
    pub file: Option<String>,
    /// Community members, for sizes given per member (default: the publishers).
    pub members: Option<u64>,
    /// The model's shard names → the scenario's topics.
    #[serde(default)]
    pub topics: BTreeMap<String, String>,
    /// Who publishes the model's classes (default: all).
    pub publishers: Option<RawSelector>,
    /// Rates that replace the model's, by class.
    #[serde(default)]
    pub rates: BTreeMap<String, RateStr>,
    /// Classes of the model left out.
    #[serde(default)]
    pub skip: Vec<String>,
}

/// A traffic model file: its classes, each a `[[traffic]]` entry on a named shard of the
/// model, with its size per member where it grows with the community, and its source.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawModelFile {
    pub description: Option<String>,
    #[serde(default)]
    pub traffic: Vec<RawModelClass>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawModelClass {
    pub class: Option<String>,
    /// The model's shard it goes on (mapped by `[traffic_model] topics`).
    pub shard: Option<String>,
    pub rate: Option<RateStr>,
    pub per: Option<Per>,
    pub size: Option<RawSize>,
    /// Instead of `size`: bytes per community member.
    pub size_per_member: Option<Size>,
    pub segment: Option<Size>,
    pub parity: Option<f64>,
    pub arrival: Option<Arrival>,
    pub to: Option<Audience>,
    /// Where its numbers come from.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTime {
    pub warmup: Option<Duration>,
    pub duration: Option<Duration>,
    pub drain: Option<Duration>,
}

/// Generates `RawGossipsub` from the one declaration of the parameters.
macro_rules! raw_gossipsub {
    ($( $(#[$doc:meta])* $f:ident ($label:literal): $cfg:ty as $raw:ty ),* $(,)?) => {
        /// A preset plus any parameter overridden (see `gossipsub_params!`).
        #[derive(Debug, Clone, Deserialize, Serialize, Default)]
        #[serde(deny_unknown_fields)]
        pub struct RawGossipsub {
            pub preset: Option<String>,
            $( pub $f: Option<$raw>, )*
        }
    };
}

crate::protocol::gossipsub::gossipsub_params!(raw_gossipsub);

crate::word_enum!(
    /// How the connections are made (`[topology] kind`).
    TopologyKind {
        RandomDial = "random_dial",
        ShardAware = "shard_aware",
        RandomRegular = "random_regular",
        StaticMesh = "static_mesh",
        File = "file",
    }
);

crate::word_enum!(
    /// How link latencies are drawn (`[latency] kind`).
    LatencyKind {
        Fixed = "fixed",
        Uniform = "uniform",
        Normal = "normal",
        Lognormal = "lognormal",
        Regions = "regions",
    }
);

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTopology {
    pub kind: Option<TopologyKind>,
    pub outbound: Option<u64>,
    pub max_connections: Option<u64>,
    pub degree: Option<u64>,
    /// file: the connections' CSV (`dialer,listener`).
    pub file: Option<String>,
    /// file, instead of `file`: the connections inline, `[dialer, listener]` each (what the
    /// resolved scenario writes, so that it stands alone).
    /// Rows of any length here, so that a row of other than two is refused, not cut.
    pub edges: Option<Vec<Vec<u64>>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawLatency {
    pub kind: Option<LatencyKind>,
    pub value: Option<Duration>,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    pub mean: Option<Duration>,
    pub std_dev: Option<Duration>,
    pub median: Option<Duration>,
    pub sigma: Option<f64>,
    pub floor: Option<Duration>,
    /// regions: the matrix file (round-trip times in ms) and region weights.
    pub file: Option<String>,
    /// regions, instead of `file`: the region names and their round-trip matrix in ms.
    pub regions: Option<Vec<String>>,
    pub rtt_ms: Option<Vec<Vec<f64>>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub loss: Option<f64>,
    pub validation_delay: Option<Duration>,
    pub transport: Option<Transport>,
}

/// The Waku envelope, every field optional.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WakuEnvelopeRaw {
    /// waku | none
    pub envelope: Option<crate::protocol::gossipsub::Envelope>,
    pub content_topic_len: Option<u32>,
    pub timestamp: Option<bool>,
    pub version: Option<u32>,
    pub meta_len: Option<u32>,
    pub rln_proof: Option<bool>,
}

impl WakuEnvelopeRaw {
    pub fn resolve(&self) -> WakuEnvelope {
        let d = WakuEnvelope::default();
        WakuEnvelope {
            envelope: self.envelope.unwrap_or(d.envelope),
            content_topic_len: self.content_topic_len.unwrap_or(d.content_topic_len),
            timestamp: self.timestamp.unwrap_or(d.timestamp),
            version: self.version.unwrap_or(d.version),
            meta_len: self.meta_len.unwrap_or(d.meta_len),
            rln_proof: self.rln_proof.unwrap_or(d.rln_proof),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub name: Option<String>,
    pub subscribers: Option<RawSelector>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub class: Option<String>,
    pub topic: Option<String>,
    pub rate: Option<RateStr>,
    pub per: Option<Per>,
    pub size: Option<RawSize>,
    pub publishers: Option<RawSelector>,
    pub arrival: Option<Arrival>,
    /// Messages above this payload go out in segments of it (status-go's segmentation).
    pub segment: Option<Size>,
    /// With `segment`: parity segments per data segment (Reed-Solomon).
    pub parity: Option<f64>,
    /// Who in the topic receives it.
    pub to: Option<Audience>,
    /// Publishing begins this long after the run's start (default 0).
    pub start: Option<Duration>,
    /// And ends this long after it (default: with the measured period).
    pub stop: Option<Duration>,
}

/// A node set: "all", or `{ fraction = 0.1 }`, or `{ class = "fleet" }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RawSelector {
    All(String),
    Table(SelectorTable),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorTable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
}

/// A size distribution: "2000B" (fixed), or a table with `dist`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RawSize {
    Fixed(Size),
    Dist(SizeDistTable),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SizeDistTable {
    /// fixed | uniform | lognormal | empirical
    pub dist: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// empirical, instead of `file`: the sizes in bytes and their weights.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
}

/// Deserializes "a string or a table" with the table's own error messages intact (serde's
/// untagged enums would say only "did not match any variant").
macro_rules! str_or_table {
    ($ty:ident, $str_variant:ident, $str_ty:ty, $table_variant:ident, $table_ty:ty, $expect:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$ty, E> {
                        <$str_ty>::deserialize(de::value::StrDeserializer::<E>::new(s))
                            .map($ty::$str_variant)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<$ty, A::Error> {
                        <$table_ty>::deserialize(de::value::MapAccessDeserializer::new(m))
                            .map($ty::$table_variant)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

str_or_table!(
    RawSelector,
    All,
    String,
    Table,
    SelectorTable,
    "\"all\", or a table with `fraction` or `class`"
);
str_or_table!(
    RawSize,
    Fixed,
    Size,
    Dist,
    SizeDistTable,
    "a size such as \"2KiB\", or a table with `dist`"
);
