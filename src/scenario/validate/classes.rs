//! Validation of `[[node_class]]`: a class's share, links, stack and parameters, dials,
//! regions, topics, and which keys its role takes (`class.rs` declares them; the keys of a
//! role are read in `roles.rs`).

use super::{Validator, R};
use crate::scenario::class::LINK_BPS;
use crate::scenario::raw::*;
use crate::scenario::*;

impl Validator<'_> {
    /// The node classes (one `default` when there is none); `scenario`: the scenario's
    /// preset and gossipsub parameters, what a class runs unless it says otherwise.
    pub(super) fn node_classes(
        &self,
        raw: &[RawNodeClass],
        nodes: u32,
        scenario: (&str, &GossipsubConfig),
        topology: &TopologySpec,
        latency: &LatencySpec,
    ) -> R<Vec<NodeClass>> {
        let defaults = [RawNodeClass::default()];
        let raw = if raw.is_empty() { &defaults[..] } else { raw };
        self.at_most_u16("node_class", raw.len(), "node classes")?;
        let counts = self.class_counts(raw, nodes)?;
        let mut out: Vec<NodeClass> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (i, c) in raw.iter().enumerate() {
            let p = |f: &str| format!("node_class[{i}].{f}");
            let name = c.name.clone().unwrap_or_else(|| "default".into());
            self.class_name(&p("name"), &name, "node class")?;
            if !names.insert(name.clone()) {
                return self.err(p("name"), format!("duplicate class name \"{name}\""));
            }
            let word = self.class_role(i, c, topology)?;
            let (preset, gossipsub, dial) = match word {
                RoleWord::Relay | RoleWord::Store => {
                    let (preset, gossipsub) = self.class_gossipsub(i, c, scenario)?;
                    (preset, gossipsub, self.class_dial(i, c, nodes, topology)?)
                }
                // It runs no relay: no dials, and nobody's dials reach it.
                RoleWord::Light => (
                    scenario.0.to_string(),
                    scenario.1.clone(),
                    topology.dials().map(|_| (0, 0)),
                ),
            };
            let regions = self.class_regions(i, c, latency)?;
            out.push(NodeClass {
                name,
                share: c.share.unwrap_or(1.0),
                count: counts[i],
                upload_bps: c.upload.map_or(LINK_BPS, |b| b.0),
                download_bps: c.download.map_or(LINK_BPS, |b| b.0),
                preset,
                gossipsub,
                dial,
                topics: None,
                regions,
                role: self.role_keys(i, word, raw, &counts)?,
                store: None,
            });
        }
        Ok(out)
    }

    /// Each class's node count from its share (> 0), by largest-remainder rounding: the
    /// counts add up to `nodes` exactly.
    fn class_counts(&self, raw: &[RawNodeClass], nodes: u32) -> R<Vec<u32>> {
        let mut shares = Vec::with_capacity(raw.len());
        for (i, c) in raw.iter().enumerate() {
            let share = c.share.unwrap_or(1.0);
            if !(share.is_finite() && share > 0.0) {
                return self.err(
                    format!("node_class[{i}].share"),
                    format!("must be > 0, got {share}"),
                );
            }
            shares.push(share);
        }
        if !shares.iter().sum::<f64>().is_finite() {
            return self.err(
                "node_class",
                "the shares add up to more than a 64-bit float holds; scale them down",
            );
        }
        Ok(crate::net::latency::apportion(nodes, &shares))
    }

    /// Class `i`'s stack and parameters: its own `preset` (else the scenario's preset and
    /// parameters), then its `gossipsub` table on top. Mesh maintenance follows the
    /// scenario's (a static mesh has none, whatever the class).
    fn class_gossipsub(
        &self,
        i: usize,
        c: &RawNodeClass,
        scenario: (&str, &GossipsubConfig),
    ) -> R<(String, GossipsubConfig)> {
        let path = format!("node_class[{i}].gossipsub");
        let table = c.gossipsub.clone().unwrap_or_default();
        if table.preset.is_some() {
            return self.err(
                format!("{path}.preset"),
                format!("a class's stack is node_class[{i}].preset, beside its gossipsub table"),
            );
        }
        let (name, base) = match &c.preset {
            Some(p) => {
                let mut base = self.preset(&format!("node_class[{i}].preset"), p)?;
                base.mesh_maintenance = scenario.1.mesh_maintenance;
                (p.clone(), base)
            }
            None => (scenario.0.to_string(), scenario.1.clone()),
        };
        Ok((name, self.parameters(&path, base, table)?))
    }

    /// Class `i`'s (outbound, max_connections) where nodes dial: the topology's unless
    /// it sets its own (at least one dial, fewer than the nodes, a cap no lower than its
    /// dials); refused with the regular topologies, whose degree is the graph's.
    fn class_dial(
        &self,
        i: usize,
        c: &RawNodeClass,
        nodes: u32,
        topology: &TopologySpec,
    ) -> R<Option<(u32, u32)>> {
        let p = |f: &str| format!("node_class[{i}].{f}");
        let Some((outbound, max_connections)) = topology.dials() else {
            if let Some(f) = [
                ("outbound", c.outbound),
                ("max_connections", c.max_connections),
            ]
            .iter()
            .find_map(|(f, v)| v.map(|_| *f))
            {
                return self.err(
                    p(f),
                    "only with topology.kind = \"random_dial\" or \"shard_aware\"",
                );
            }
            return Ok(None);
        };
        let out = c.outbound.unwrap_or(u64::from(outbound));
        let max = c.max_connections.unwrap_or(u64::from(max_connections));
        if out == 0 || out >= u64::from(nodes) {
            return self.err(
                p("outbound"),
                format!("must be between 1 and nodes - 1 ({}), got {out}", nodes - 1),
            );
        }
        if max < out {
            return self.err(
                p("max_connections"),
                format!("must be >= the class's outbound ({out}), got {max}"),
            );
        }
        Ok(Some((out as u32, max.min(u64::from(u32::MAX)) as u32)))
    }

    /// Class `i`'s role, and that it sets only keys its role takes (`CLASS_KEYS` says
    /// which).
    fn class_role(&self, i: usize, c: &RawNodeClass, topology: &TopologySpec) -> R<RoleWord> {
        let p = |f: &str| format!("node_class[{i}].{f}");
        let role = c.role.unwrap_or(RoleWord::Relay);
        if let Some((key, why)) = c.refused(role) {
            return self.err(p(key), why);
        }
        if role == RoleWord::Light && topology.dials().is_none() {
            return self.err(
                p("role"),
                "light nodes need a topology where nodes dial (random_dial or shard_aware): a regular graph or a replayed list would connect them",
            );
        }
        Ok(role)
    }

    /// Class `i`'s own region weights, with regional latency only.
    fn class_regions(
        &self,
        i: usize,
        c: &RawNodeClass,
        latency: &LatencySpec,
    ) -> R<Option<Vec<f64>>> {
        let Some(regions) = c.regions.as_ref().filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let path = format!("node_class[{i}].regions");
        let LatencySpec::Regions { names, .. } = latency else {
            return self.err(path, "only with latency.kind = \"regions\"");
        };
        self.region_weights(&path, regions, names).map(Some)
    }

    /// A list of topic names at `path` as ids (sorted), each declared and listed once.
    fn topic_list(&self, path: &str, names: &[String], topics: &[TopicSpec]) -> R<Vec<TopicId>> {
        let mut ids = Vec::with_capacity(names.len());
        for (j, n) in names.iter().enumerate() {
            let Some(k) = topics.iter().position(|t| &t.name == n) else {
                return self.err(
                    format!("{path}[{j}]"),
                    format!("no topic \"{n}\" (declare it in [[topic]])"),
                );
            };
            let id = TopicId(k as u16);
            if ids.contains(&id) {
                return self.err(
                    format!("{path}[{j}]"),
                    format!("topic \"{n}\" is listed twice"),
                );
            }
            ids.push(id);
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// The classes' own `topics` and `light_topics` (the topics exist by now), and then
    /// that every topic has a subscriber and that no topic's rule picks a class that lists
    /// other topics.
    pub(super) fn class_topics(
        &self,
        raw: &[RawNodeClass],
        classes: &mut [NodeClass],
        topics: &[TopicSpec],
    ) -> R<()> {
        for (i, (c, rc)) in classes.iter_mut().zip(raw).enumerate() {
            let Some(names) = &rc.topics else {
                if rc.light_topics.is_some() {
                    return self.err(
                        format!("node_class[{i}].light_topics"),
                        "list the topics this class relays in `topics` too (it may be empty)",
                    );
                }
                continue;
            };
            let mut ids = self.topic_list(&format!("node_class[{i}].topics"), names, topics)?;
            if let Some(light) = &rc.light_topics {
                let path = format!("node_class[{i}].light_topics");
                let light = self.topic_list(&path, light, topics)?;
                if light.is_empty() {
                    return self.err(path, "lists no topic: leave it out");
                }
                if let Some(t) = light.iter().find(|t| ids.contains(t)) {
                    return self.err(path, format!("topic \"{}\" is in `topics` too: a class relays a topic or follows it by filter, not both", topics[t.idx()].name));
                }
                ids.extend_from_slice(&light);
                ids.sort_unstable();
                if let Role::Relay { light: Some(l), .. } = &mut c.role {
                    l.topics = light;
                }
            }
            c.topics = Some(ids);
        }
        for (k, t) in topics.iter().enumerate() {
            let id = TopicId(k as u16);
            for &c in t.subscribers.classes() {
                let cl = &classes[c];
                if cl.topics.as_ref().is_some_and(|ts| !ts.contains(&id)) {
                    return self.err(
                        format!("topic[{k}].subscribers.class"),
                        format!(
                            "node class \"{}\" lists its own topics and \"{}\" is not among them",
                            cl.name, t.name
                        ),
                    );
                }
            }
            if subscribers(classes, t, id) == 0 {
                return self.err(
                    format!("topic[{k}].subscribers"),
                    format!(
                        "no node is in topic \"{}\": every class lists its own topics, without it",
                        t.name
                    ),
                );
            }
        }
        Ok(())
    }
}
