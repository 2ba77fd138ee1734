//! Validation of `[[node_class]]`: a class's share, links, stack and parameters, dials,
//! regions, topics and role.

use super::{Validator, R};
use crate::scenario::keys::LINK_BPS;
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

    /// Class `i`'s role with the keys only that role takes; a light client's service is
    /// checked as far as it can be before the topics are known.
    fn role_keys(&self, i: usize, word: RoleWord, raw: &[RawNodeClass], counts: &[u32]) -> R<Role> {
        let c = &raw[i];
        let p = |f: &str| format!("node_class[{i}].{f}");
        let filter_slots = match c.filter_slots {
            Some(s) if s > u64::from(u32::MAX) => {
                return self.err(p("filter_slots"), format!("at most {}, got {s}", u32::MAX))
            }
            Some(s) => s as u32,
            None => crate::protocol::waku::FILTER_SLOTS,
        };
        Ok(match word {
            RoleWord::Relay => Role::Relay {
                filter_slots,
                light: match c.light_topics {
                    // Its topics come with the class's `topics`.
                    Some(_) => Some(LightTopics {
                        topics: Vec::new(),
                        spec: self.light_spec(i, raw, counts)?,
                    }),
                    None => None,
                },
            },
            RoleWord::Light => Role::Light(self.light_spec(i, raw, counts)?),
            RoleWord::Store => Role::Store {
                filter_slots,
                retention: match c.retention {
                    Some(d) => self.positive(&p("retention"), d.0)?,
                    None => crate::protocol::waku::store::RETENTION,
                },
            },
        })
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

    /// Each light client's service is in every topic its clients follow (it lists its own
    /// topics) and has filter slots for every client's service peers.
    pub(super) fn class_services(&self, classes: &[NodeClass], topics: &[TopicSpec]) -> R<()> {
        for (i, c) in classes.iter().enumerate() {
            if let Some(l) = c.role.light() {
                self.service_covers(i, l.service, classes, topics)?;
            }
        }
        self.filter_slots_suffice(classes)
    }

    /// Service class `s` relays every topic class `i` follows as its light client.
    fn service_covers(
        &self,
        i: usize,
        s: usize,
        classes: &[NodeClass],
        topics: &[TopicSpec],
    ) -> R<()> {
        let sc = &classes[s];
        let name = &sc.name;
        let path = format!("node_class[{i}].service");
        let Some(own) = &sc.topics else {
            return self.err(path, format!("class \"{name}\" must list its own `topics`, so that every service node relays what its clients follow"));
        };
        let follows = |t: usize| {
            let id = TopicId(t as u16);
            may_be_in(classes, topics, i, t) && !classes[i].relays_on(id)
        };
        // The service relays the topic: it lists it, and not as one it follows itself.
        let followed = sc.role.light_topics();
        let serves = |t: usize| {
            let id = TopicId(t as u16);
            own.contains(&id) && !followed.contains(&id)
        };
        if let Some(t) = (0..topics.len()).find(|&t| follows(t) && !serves(t)) {
            if followed.contains(&TopicId(t as u16)) {
                return self.err(path, format!("class \"{name}\" follows topic \"{}\" by filter itself, and this class follows it through class \"{name}\": a service relays the topics it serves", topics[t].name));
            }
            return self.err(path, format!("class \"{name}\" is not in topic \"{}\", which this class follows: add it to its `topics`", topics[t].name));
        }
        Ok(())
    }

    /// The class that serves light class `i` (or relay class `i` for its `light_topics`):
    /// one that exists, relays and has nodes (whether it relays every topic class `i`
    /// follows waits for the topics).
    fn service_of(&self, i: usize, raw: &[RawNodeClass], counts: &[u32]) -> R<usize> {
        let p = |f: &str| format!("node_class[{i}].{f}");
        let Some(name) = &raw[i].service else {
            return self.err(p("service"), "missing: a light class (or a relay class with `light_topics`) needs the class that serves it, e.g. service = \"fleet\"");
        };
        fn name_of(c: &RawNodeClass) -> &str {
            c.name.as_deref().unwrap_or("default")
        }
        let Some(s) = raw.iter().position(|c| name_of(c) == name) else {
            let known: Vec<&str> = raw.iter().map(name_of).collect();
            return self.err(
                p("service"),
                format!("no node class \"{name}\" (classes: {})", known.join(", ")),
            );
        };
        if !raw[s].role.unwrap_or(RoleWord::Relay).relays() {
            return self.err(
                p("service"),
                format!("class \"{name}\" is a light class: service nodes relay"),
            );
        }
        if counts[s] == 0 {
            return self.err(p("service"), format!("node class \"{name}\" has no nodes"));
        }
        Ok(s)
    }

    /// Class `i`'s light keys, served by the class `service` names, within their bounds.
    fn light_spec(&self, i: usize, raw: &[RawNodeClass], counts: &[u32]) -> R<LightSpec> {
        let s = self.service_of(i, raw, counts)?;
        let rc = &raw[i];
        let p = |f: &str| format!("node_class[{i}].{f}");
        let name = rc.service.as_deref().unwrap_or_default();
        let count = counts[s];
        let peers = rc
            .service_peers
            .unwrap_or(u64::from(crate::protocol::waku::SERVICE_PEERS));
        if peers == 0 || peers > u64::from(count) {
            return self.err(
                p("service_peers"),
                format!(
                    "must be between 1 and the {count} node(s) of class \"{name}\", got {peers}"
                ),
            );
        }
        let push = rc
            .lightpush_peers
            .unwrap_or(u64::from(crate::protocol::waku::LIGHTPUSH_PEERS))
            .min(peers);
        if push == 0 || rc.lightpush_peers.is_some_and(|x| x > peers) {
            return self.err(
                p("lightpush_peers"),
                format!(
                    "must be between 1 and service_peers ({peers}), got {}",
                    rc.lightpush_peers.unwrap_or(0)
                ),
            );
        }
        let ping = rc
            .filter_ping
            .map_or(crate::protocol::waku::FILTER_PING, |d| d.0);
        let ping = self.period(
            &p("filter_ping"),
            ping,
            crate::protocol::waku::MIN_FILTER_PING,
            "each light client pings each service at every one; status-go pings every minute",
        )?;
        Ok(LightSpec {
            service: s,
            service_peers: peers as u32,
            lightpush_peers: push as u32,
            filter_ping: ping,
        })
    }

    /// Every service class has a filter slot for each of its clients' service peers.
    fn filter_slots_suffice(&self, classes: &[NodeClass]) -> R<()> {
        for (s, sc) in classes.iter().enumerate() {
            let need: u64 = classes
                .iter()
                .filter_map(|c| {
                    c.role
                        .light()
                        .filter(|l| l.service == s)
                        .map(|l| u64::from(c.count) * u64::from(l.service_peers))
                })
                .sum();
            let have = u64::from(sc.count) * u64::from(sc.role.filter_slots());
            if need > have {
                return self.err(
                    format!("node_class[{s}].filter_slots"),
                    format!("{need} light-client subscriptions (clients × service_peers) need a filter slot each, and class \"{}\" has {} node(s) × {} slot(s) = {have}", sc.name, sc.count, sc.role.filter_slots()),
                );
            }
        }
        Ok(())
    }

    /// Each querying class's store: a store class that exists, has nodes and keeps every
    /// topic the class's nodes may be in; the interval and page bounds. Window bounds
    /// travel as milliseconds since the start in 32 bits: a run with store queries ends
    /// within 49 days.
    pub(super) fn class_stores(
        &self,
        raw: &[RawNodeClass],
        classes: &mut [NodeClass],
        topics: &[TopicSpec],
        end: SimTime,
    ) -> R<()> {
        for (i, rc) in raw.iter().enumerate() {
            let Some(name) = &rc.store else { continue };
            let p = |f: &str| format!("node_class[{i}].{f}");
            let Some(s) = classes.iter().position(|c| &c.name == name) else {
                let known: Vec<&str> = classes.iter().map(|k| k.name.as_str()).collect();
                return self.err(
                    p("store"),
                    format!("no node class \"{name}\" (classes: {})", known.join(", ")),
                );
            };
            let st = &classes[s];
            if st.role.word() != RoleWord::Store {
                return self.err(
                    p("store"),
                    format!("class \"{name}\" has role \"{}\": the class asked must have role = \"store\"", st.role.word().word()),
                );
            }
            if st.count == 0 {
                return self.err(p("store"), format!("node class \"{name}\" has no nodes"));
            }
            let Some(own) = &st.topics else {
                return self.err(p("store"), format!("class \"{name}\" must list its own `topics`, so that every store node keeps what its clients ask for"));
            };
            if let Some(t) = (0..topics.len())
                .find(|&t| may_be_in(classes, topics, i, t) && !own.contains(&TopicId(t as u16)))
            {
                return self.err(p("store"), format!("a store query on topic \"{}\", which no node of store class \"{name}\" keeps: add it to that class's `topics`", topics[t].name));
            }
            let interval = rc
                .store_interval
                .map_or(crate::protocol::waku::store::STORE_INTERVAL, |d| d.0);
            let interval = self.period(
                &p("store_interval"),
                interval,
                crate::protocol::waku::store::MIN_STORE_INTERVAL,
                "each client queries its store for each topic at every one; status-go checks every minute",
            )?;
            let max = crate::protocol::waku::store::MAX_PAGE;
            let page = rc
                .store_page
                .unwrap_or(u64::from(crate::protocol::waku::store::STORE_PAGE));
            if page == 0 || page > u64::from(max) {
                return self.err(
                    p("store_page"),
                    format!("must be between 1 and {max} (nwaku answers at most {max} per page), got {page}"),
                );
            }
            if end > SimTime::from_millis(u64::from(u32::MAX)) {
                return self.err(
                    "time.duration",
                    "a run with store queries ends within 49 days (warmup + duration + drain)",
                );
            }
            classes[i].store = Some(StoreSpec {
                store: s,
                interval,
                page: page as u32,
            });
        }
        Ok(())
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

/// Whether class `i`'s nodes may be in topic `t`: it lists the topic, or lists none and
/// the topic's rule may pick its nodes.
fn may_be_in(classes: &[NodeClass], topics: &[TopicSpec], i: usize, t: usize) -> bool {
    match &classes[i].topics {
        Some(ts) => ts.contains(&TopicId(t as u16)),
        None => match topics[t].subscribers {
            Selector::All | Selector::Fraction(_) => true,
            Selector::Classes(ref cs) => cs.contains(&i),
        },
    }
}
