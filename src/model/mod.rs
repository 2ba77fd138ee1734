//! The analytical model of vacp2p/research `waku_scalability` (2023 and 2025 versions) as pure
//! functions: per-node INGRESS load in MB per hour, term by term, with the same term names the
//! comparison joins against the simulator's kinds. Units as the model uses them: sizes in MB
//! (10^6 bytes: the only reading under which its `MB/h × 8 / 3600 = Mbit/s` holds), rates per
//! hour. Derivations and assumptions: `models/README.md`.

pub mod inputs;
pub mod table;

pub use inputs::ModelInputs;

/// Which published version of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// The version behind the 2023 claims (10K nodes per shard at ~4 Mbps).
    V2023,
    /// The 2025 revision: N(d−1)+1 transmissions, IHAVE per originated message, no IWANT
    /// bytes in the receive load, and case 5 (IDONTWANT).
    V2025,
}

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Version::V2023 => "2023",
            Version::V2025 => "2025",
        }
    }
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "2023" => Some(Version::V2023),
            "2025" => Some(Version::V2025),
            _ => None,
        }
    }
}

/// The model's cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Case {
    /// Store / naive light node: every message once.
    Case1,
    /// Each edge of a d-regular graph used once per message.
    Case2,
    /// Every node forwards to its d−1 other neighbours.
    Case3,
    /// Case 3 plus gossip (IHAVE, IWANT, IWANT-pulled payload).
    Case4,
    /// 2025 only: case 3 with IDONTWANT for big messages.
    Case5,
    /// A node in 3 shards of ≤ 10,000 nodes each.
    Sharding1,
    /// Sharding 1 plus a 1:1 chat shard.
    Sharding2,
    /// A naive light node in 3 shards.
    Sharding3,
}

impl Case {
    pub const ALL: [Case; 8] = [
        Case::Case1,
        Case::Case2,
        Case::Case3,
        Case::Case4,
        Case::Case5,
        Case::Sharding1,
        Case::Sharding2,
        Case::Sharding3,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Case::Case1 => "case1",
            Case::Case2 => "case2",
            Case::Case3 => "case3",
            Case::Case4 => "case4",
            Case::Case5 => "case5",
            Case::Sharding1 => "sharding1",
            Case::Sharding2 => "sharding2",
            Case::Sharding3 => "sharding3",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Case::Case1 => "store / naive light node: S·R·N",
            Case::Case2 => "each edge once: S·R·N·d/2",
            Case::Case3 => "forward to d−1: S·R·N·(d−1)",
            Case::Case4 => "relay + gossip",
            Case::Case5 => "relay + IDONTWANT (2025)",
            Case::Sharding1 => "3 shards of ≤ 10,000",
            Case::Sharding2 => "3 shards + 1:1 chat shard",
            Case::Sharding3 => "naive light node in 3 shards",
        }
    }

    pub fn parse(s: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Whether `version` defines this case.
    pub fn in_version(self, v: Version) -> bool {
        self != Case::Case5 || v == Version::V2025
    }
}

/// Per-node ingress load, MB per hour, by term. Term names match the comparison's keys.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    /// Payload received through the mesh (first copies and duplicates).
    pub payload_mesh: f64,
    /// Payload received in answer to IWANT.
    pub payload_iwant: f64,
    pub ihave: f64,
    pub iwant: f64,
    pub idontwant: f64,
}

impl Terms {
    pub fn total(&self) -> f64 {
        self.payload_mesh + self.payload_iwant + self.ihave + self.iwant + self.idontwant
    }
    fn scale(self, k: f64) -> Terms {
        Terms {
            payload_mesh: self.payload_mesh * k,
            payload_iwant: self.payload_iwant * k,
            ihave: self.ihave * k,
            iwant: self.iwant * k,
            idontwant: self.idontwant * k,
        }
    }
    fn add(self, o: Terms) -> Terms {
        Terms {
            payload_mesh: self.payload_mesh + o.payload_mesh,
            payload_iwant: self.payload_iwant + o.payload_iwant,
            ihave: self.ihave + o.ihave,
            iwant: self.iwant + o.iwant,
            idontwant: self.idontwant + o.idontwant,
        }
    }
    /// (term name, value) in a fixed order.
    pub fn named(&self) -> [(&'static str, f64); 5] {
        [
            ("payload_mesh", self.payload_mesh),
            ("payload_iwant", self.payload_iwant),
            ("ihave", self.ihave),
            ("iwant", self.iwant),
            ("idontwant", self.idontwant),
        ]
    }
}

/// MB per hour → Mbit/s, as the model converts.
pub fn mbps(mb_per_hour: f64) -> f64 {
    mb_per_hour * 8.0 / 3600.0
}

/// The load of `case` for `n` nodes under `version`, or `None` where the version lacks it.
pub fn load(case: Case, v: Version, p: &ModelInputs, n: f64) -> Option<Terms> {
    if !case.in_version(v) {
        return None;
    }
    let (s, r, d) = (p.message_size_mb, p.msgs_per_node_hour, p.degree);
    let payload = |x: f64| Terms {
        payload_mesh: x,
        ..Terms::default()
    };
    let shard_n = |m: f64| m.min(p.nodes_per_shard);
    Some(match case {
        Case::Case1 => payload(s * r * n),
        Case::Case2 => payload(s * r * n * d / 2.0),
        Case::Case3 => payload(match v {
            Version::V2023 => s * r * n * (d - 1.0),
            Version::V2025 => s * r * (n * (d - 1.0) + 1.0),
        }),
        Case::Case4 => case4(v, p, n),
        Case::Case5 => case5(p, n),
        Case::Sharding1 => case4(v, p, shard_n(n / p.shards_per_node)).scale(p.shards_per_node),
        Case::Sharding2 => case4(v, p, shard_n(n / p.shards_per_node))
            .scale(p.shards_per_node)
            .add(case4(v, p, shard_n(n))),
        Case::Sharding3 => payload(s * r * shard_n(n / p.shards_per_node) * p.shards_per_node),
    })
}

fn case4(v: Version, p: &ModelInputs, n: f64) -> Terms {
    let (s, r, d, g) = (
        p.message_size_mb,
        p.msgs_per_node_hour,
        p.degree,
        p.gossip_size_mb,
    );
    let gossip = p.gossip_lazy * p.history_gossip;
    match v {
        Version::V2023 => {
            // M messages received per hour; an IHAVE per received message, per gossip peer,
            // per advertised window; a share p of them answered (IWANT + message).
            let m = r * n * (d - 1.0);
            Terms {
                payload_mesh: s * m,
                payload_iwant: s * m * gossip * p.iwant_share,
                ihave: g * m * gossip,
                iwant: g * m * gossip * p.iwant_share,
                idontwant: 0.0,
            }
        }
        Version::V2025 => Terms {
            payload_mesh: s * r * (n * (d - 1.0) + 1.0),
            payload_iwant: s * r * n * gossip * p.iwant_share,
            ihave: g * r * n * gossip,
            iwant: 0.0,
            idontwant: 0.0,
        },
    }
}

/// 2025 case 5: small and big messages (same mean size), IDONTWANT for big ones; a share of
/// the later copies of a big message still arrives (the IDONTWANT came too late).
fn case5(p: &ModelInputs, n: f64) -> Terms {
    let (r, d) = (p.msgs_per_node_hour, p.degree);
    let not_originator = (d - 1.0) / d;
    let seen_first = 1.0 / d;
    let small = r * d * (1.0 - p.big_share) * not_originator;
    let big = r * d * p.big_share * not_originator;
    let big_first = big * seen_first;
    let big_after = big * (1.0 - seen_first) * p.idontwant_too_late;
    let per_node = p.small_size_mb() * small + p.big_size_mb() * (big_first + big_after);
    Terms {
        payload_mesh: n * per_node,
        idontwant: n * big_first * p.idontwant_size_mb,
        ..Terms::default()
    }
}

/// Latency estimate in seconds: 2023 `log_d(N) × 0.1 s`; 2025
/// `ceil(log_d N) × (0.1 + shard_rate_Mbps / 30)`, shard_rate = N·R·S·(d/2)·8/3600.
pub fn latency_s(v: Version, p: &ModelInputs, n: f64) -> f64 {
    let hops = libm::log(n) / libm::log(p.degree);
    match v {
        Version::V2023 => hops * p.delay_per_hop_s,
        Version::V2025 => {
            let rate =
                n * p.msgs_per_node_hour * p.message_size_mb * (p.degree / 2.0) * 8.0 / 3600.0;
            // Guard against log(N)/log(d) landing a hair above an integer.
            (hops - 1e-9).ceil() * (p.delay_per_hop_s + rate / 30.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/sources.md §3 reference values at N = 10,000 (MB/h ingress).
    #[test]
    fn reference_values() {
        let p = ModelInputs::default();
        let t = |c, v| load(c, v, &p, 10_000.0).unwrap().total();
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        assert_eq!(r2(t(Case::Case3, Version::V2023)), 500.0);
        assert_eq!(r2(t(Case::Case4, Version::V2023)), 817.25);
        assert_eq!(r2(t(Case::Sharding2, Version::V2023)), 1634.5);
        assert_eq!(r2(t(Case::Case4, Version::V2025)), 563.01);
        assert_eq!(r2(t(Case::Case5, Version::V2025)), 400.42);
        assert!(load(Case::Case5, Version::V2023, &p, 1e4).is_none());
        // Case 4 at 10K: 1.82 Mbit/s ingress, 3.63 in+out.
        assert_eq!(r2(mbps(t(Case::Case4, Version::V2023))), 1.82);
        assert_eq!(r2(2.0 * mbps(t(Case::Case4, Version::V2023))), 3.63);
        // log_6(10^4) hops × 0.1 s.
        assert!((latency_s(Version::V2023, &p, 1e4) - 0.514).abs() < 1e-3);
    }
}
