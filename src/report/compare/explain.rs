//! Why the simulated terms differ from the model's: each explanation is written from what
//! the run measured (mesh degree, topic peers, copies, ids) against the model's assumptions.

use super::SimTerms;
use crate::model::{Case, ModelInputs, Terms, Version};
use crate::scenario::{Scenario, TopologySpec};
use std::fmt::Write;

/// Measured facts about the run, for the explanations.
pub(super) struct Facts<'a> {
    pub sc: &'a Scenario,
    pub p: &'a ModelInputs,
    pub n: f64,
    pub version: Version,
    pub case: Case,
    pub mesh_mean: f64,
    pub peers_mean: f64,
    pub msgs_per_node_hour: f64,
}

impl Facts<'_> {
    /// The compared terms: (kind, simulated, model, why they differ).
    pub(super) fn terms(
        &self,
        s: &SimTerms,
        model: &Terms,
    ) -> [(&'static str, f64, f64, String); 8] {
        [
            (
                "messages",
                self.msgs_per_node_hour,
                self.p.msgs_per_node_hour,
                self.explain_messages(),
            ),
            (
                "payload_mesh",
                s.payload_mesh,
                model.payload_mesh,
                self.explain_mesh(s),
            ),
            (
                "payload_iwant",
                s.payload_iwant,
                model.payload_iwant,
                self.explain_iwant_payload(s),
            ),
            ("framing", s.framing, 0.0, explain_framing(s)),
            ("ihave", s.ihave, model.ihave, self.explain_ihave(s)),
            ("iwant", s.iwant, model.iwant, self.explain_iwant(s)),
            (
                "idontwant",
                s.idontwant,
                model.idontwant,
                self.explain_idontwant(),
            ),
            (
                "graft_prune_subscribe",
                s.control,
                0.0,
                "the model ignores mesh maintenance and subscriptions".to_string(),
            ),
        ]
    }

    fn copies_model(&self) -> f64 {
        match (self.case, self.version) {
            (Case::Case1, _) => 1.0,
            (Case::Case2, _) => self.p.degree / 2.0,
            (_, Version::V2023) => self.p.degree - 1.0,
            (_, Version::V2025) => (self.n * (self.p.degree - 1.0) + 1.0) / self.n,
        }
    }

    fn explain_messages(&self) -> String {
        let poisson = self
            .sc
            .traffic
            .iter()
            .any(|t| t.arrival == crate::scenario::Arrival::Poisson);
        if poisson {
            "published in the window vs the rate: Poisson arrivals, so the count varies around it; every load scales with it".into()
        } else {
            "published in the window vs the rate: periodic arrivals".into()
        }
    }

    fn explain_mesh(&self, s: &SimTerms) -> String {
        // Copies per node per hour over messages published network-wide per hour.
        let per_msg = s.copies / (self.msgs_per_node_hour * self.n).max(1e-12);
        let g = &self.sc.gossipsub;
        let mut why = format!(
            "model: each node gets {:.3} copies of each message; simulated {per_msg:.3}",
            self.copies_model()
        );
        if matches!(self.sc.topology, TopologySpec::StaticMesh { .. }) {
            why.push_str(" (static d-regular mesh, forward to d−1: the model's own assumptions)");
        } else {
            let _ = write!(
                why,
                " (mesh degree {:.2}, not d = {}: kept within [D_low, D_high] = [{}, {}])",
                self.mesh_mean, self.p.degree, g.mesh_n_low, g.mesh_n_high
            );
        }
        if g.flood_publish && !matches!(self.sc.topology, TopologySpec::StaticMesh { .. }) {
            let _ = write!(
                why,
                "; flood publish sends the first hop to all {:.1} topic peers, not d",
                self.peers_mean
            );
        }
        if let Some(th) = g.idontwant_threshold {
            let _ = write!(why, "; IDONTWANT (> {th} B) cancels some duplicates");
        }
        why
    }

    fn explain_iwant_payload(&self, s: &SimTerms) -> String {
        if !self.sc.gossipsub.gossip {
            return "gossip is off".into();
        }
        let answered = if s.ihave_ids > 0.0 {
            s.iwant_ids / s.ihave_ids
        } else {
            0.0
        };
        format!(
            "model: a share p = {} of advertised ids is pulled; simulated {:.4}% of IHAVE ids were asked for (eager mesh push delivers nearly everything first), and a pulled copy that the mesh delivers first counts as a duplicate",
            self.p.iwant_share,
            answered * 100.0
        )
    }

    fn explain_ihave(&self, s: &SimTerms) -> String {
        if !self.sc.gossipsub.gossip {
            return "gossip is off".into();
        }
        let per_msg = s.ihave_ids / self.msgs_per_node_hour.max(1e-12) / self.n;
        let eligible = (self.peers_mean - self.mesh_mean).max(0.0);
        let model = match self.version {
            Version::V2023 => format!("model 2023: an IHAVE of G = 50 B per received copy × d_lazy × w = {:.0} per message", self.copies_model() * self.p.gossip_lazy * self.p.history_gossip),
            Version::V2025 => format!("model 2025: G = 50 B per originated message × d_lazy × w = {:.0}", self.p.gossip_lazy * self.p.history_gossip),
        };
        format!(
            "{model}; simulated {per_msg:.2} ids (34 B each + batch headers) per message per node: ids go out once per heartbeat to max(d_lazy, {} × {eligible:.1} non-mesh peers) peers, for {} windows",
            self.sc.gossipsub.gossip_factor, self.sc.gossipsub.history_gossip
        )
    }

    fn explain_iwant(&self, s: &SimTerms) -> String {
        match self.version {
            Version::V2023 => format!("model 2023: an IWANT of 50 B per answered IHAVE (p = {}); simulated {:.3} ids/node/h", self.p.iwant_share, s.iwant_ids),
            Version::V2025 => format!("model 2025 leaves IWANT out of the receive load; simulated {:.3} ids/node/h", s.iwant_ids),
        }
    }

    fn explain_idontwant(&self) -> String {
        match (self.case, self.sc.gossipsub.idontwant_threshold) {
            (Case::Case5, _) => "model 2025 case 5: one IDONTWANT per big message first seen; simulated: one to each mesh peer (39 B)".into(),
            (_, Some(th)) => format!("only case 5 models IDONTWANT; the preset sends one (39 B) to every mesh peer for messages > {th} B"),
            (_, None) => "IDONTWANT off in this preset".into(),
        }
    }
}

/// Why the framing term is not in the model: what each copy carries besides its payload.
fn explain_framing(s: &SimTerms) -> String {
    let per_copy = if s.copies > 0.0 {
        s.framing * 1e6 / s.copies
    } else {
        0.0
    };
    format!("the model's S is the application payload; each copy on the wire also carries the Waku envelope and pubsub framing ({per_copy:.1} B per copy)")
}
