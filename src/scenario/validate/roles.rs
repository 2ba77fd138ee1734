//! The keys only a role takes (see `Role`): a light client's service and its bounds, filter
//! slots, a store's retention, a store client's store; validated here, and written back here
//! for the resolved scenario. A new Waku protocol's keys land in this file.

use super::{Validator, R};
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::Duration;

impl Validator<'_> {
    /// Class `i`'s role with the keys only that role takes; a light client's service is
    /// checked as far as it can be before the topics are known.
    pub(super) fn role_keys(
        &self,
        i: usize,
        word: RoleWord,
        raw: &[RawNodeClass],
        counts: &[u32],
    ) -> R<Role> {
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

/// The keys of a class's role, as the resolved scenario writes them.
pub(super) fn resolve_role(c: &NodeClass, s: &Scenario) -> RawNodeClass {
    // Filter slots: where they differ from nwaku's, or the class serves clients.
    let serves = s.node_classes.iter().any(|l| {
        l.role
            .light()
            .is_some_and(|l| s.node_classes[l.service].name == c.name)
    });
    let slots =
        |n: u32| (serves || n != crate::protocol::waku::FILTER_SLOTS).then_some(u64::from(n));
    let light = |l: &LightSpec| RawNodeClass {
        service: Some(s.node_classes[l.service].name.clone()),
        service_peers: Some(u64::from(l.service_peers)),
        lightpush_peers: Some(u64::from(l.lightpush_peers)),
        filter_ping: Some(Duration(l.filter_ping)),
        ..Default::default()
    };
    match &c.role {
        Role::Relay {
            filter_slots,
            light: None,
        } => RawNodeClass {
            filter_slots: slots(*filter_slots),
            ..Default::default()
        },
        Role::Relay {
            filter_slots,
            light: Some(l),
        } => RawNodeClass {
            filter_slots: slots(*filter_slots),
            light_topics: Some(
                l.topics
                    .iter()
                    .map(|t| s.topics[t.idx()].name.clone())
                    .collect(),
            ),
            ..light(&l.spec)
        },
        Role::Light(l) => RawNodeClass {
            role: Some(RoleWord::Light),
            ..light(l)
        },
        Role::Store {
            filter_slots,
            retention,
        } => RawNodeClass {
            role: Some(RoleWord::Store),
            filter_slots: slots(*filter_slots),
            retention: Some(Duration(*retention)),
            ..Default::default()
        },
    }
}
