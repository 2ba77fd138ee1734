//! The model's table for a scenario, as researchers quote it: per case, MB/h ingress, Mbit/s
//! ingress and Mbit/s in+out (egress ≈ ingress in the model), for a list of N.

use super::{latency_s, load, mbps, Case, ModelInputs, Version};
use std::fmt::Write;

/// Renders the table for `versions` × `nodes`.
pub fn render(p: &ModelInputs, versions: &[Version], nodes: &[f64]) -> String {
    let mut out = String::new();
    for &v in versions {
        let _ = writeln!(
            out,
            "model {} · S = {:.6} MB ({:.0} B) · R = {:.4}/node/h · d = {} · d_lazy = {} · w = {} · G = {} MB · p = {}",
            v.name(),
            p.message_size_mb,
            p.message_size_mb * 1e6,
            p.msgs_per_node_hour,
            p.degree,
            p.gossip_lazy,
            p.history_gossip,
            p.gossip_size_mb,
            p.iwant_share
        );
        for &n in nodes {
            let _ = writeln!(out, "  N = {n:.0}");
            let _ = writeln!(
                out,
                "    {:<10} {:<32} {:>12} {:>12} {:>14}",
                "case", "", "MB/h in", "Mbit/s in", "Mbit/s in+out"
            );
            for c in Case::ALL {
                if let Some(t) = load(c, v, p, n) {
                    let x = t.total();
                    let _ = writeln!(
                        out,
                        "    {:<10} {:<32} {:>12.2} {:>12.2} {:>14.2}",
                        c.name(),
                        c.describe(),
                        x,
                        mbps(x),
                        2.0 * mbps(x)
                    );
                }
            }
            let _ = writeln!(
                out,
                "    {:<10} {:<32} {:>12.3} s",
                "latency",
                if v == Version::V2023 {
                    "log_d(N) × 0.1 s"
                } else {
                    "ceil(log_d N) × (0.1 + rate/30)"
                },
                latency_s(v, p, n)
            );
        }
    }
    out
}
