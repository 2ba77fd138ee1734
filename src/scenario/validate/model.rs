//! `[traffic_model]`: a traffic mix from a model file (shipped in `models/traffic/`, built
//! into the binary, or a file of the user's), its shards mapped onto the scenario's topics,
//! sizes per member scaled to the community, rates overridden or classes left out. Its
//! classes are validated like `[[traffic]]` entries, with errors naming the model file.

use super::{line_of, Validator, R};
use crate::scenario::files::resolve_path;
use crate::scenario::raw::*;
use crate::scenario::*;
use crate::units::Size;

/// The shipped models: name, the file's path in the repository, its text.
const SHIPPED: &[(&str, &str, &str)] = &[(
    "status-2023",
    "models/traffic/status-2023.toml",
    include_str!("../../../models/traffic/status-2023.toml"),
)];

/// A model's text and the name its errors give as the file.
struct ModelText {
    label: String,
    src: String,
}

/// The model file's text as its raw tables; an error names the model file and line.
fn parse_model(text: &ModelText) -> Result<RawModelFile, ScenarioError> {
    serde_path_to_error::deserialize(toml::Deserializer::new(&text.src)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ScenarioError {
            file: text.label.clone(),
            line: inner.span().map(|s| line_of(&text.src, s.start)),
            path: if path == "." { String::new() } else { path },
            msg: super::one_line(inner.message()),
        }
    })
}

impl Validator<'_> {
    /// The model's classes as `[[traffic]]` entries (each with its path in the model
    /// file), and the validator that names the model file in errors. `None` without a
    /// `[traffic_model]`.
    pub(super) fn traffic_model(
        &self,
        raw: Option<&RawTrafficModel>,
        topics: &[TopicSpec],
        classes: &[NodeClass],
        nodes: u32,
        run: impl FnOnce(&Validator<'_>, &[(String, RawTraffic)]) -> R<Vec<TrafficClass>>,
    ) -> R<Vec<TrafficClass>> {
        let Some(m) = raw else { return Ok(Vec::new()) };
        let text = self.model_text(m)?;
        let model = parse_model(&text)?;
        let mv = Validator {
            src: &text.src,
            file: &text.label,
            dir: self.dir,
        };
        self.model_overrides(m, &model, topics)?;
        let members = self.members(m, classes, nodes)?;
        let mut out = Vec::new();
        for (j, c) in model.traffic.iter().enumerate() {
            let p = |f: &str| format!("traffic[{j}].{f}");
            if c.class.as_ref().is_some_and(|n| m.skip.contains(n)) {
                continue;
            }
            let Some(shard) = &c.shard else {
                return mv.err(p("shard"), "missing: the model's shard this class goes on");
            };
            let size = mv.model_size(c, members, &p)?;
            let rate = c
                .class
                .as_ref()
                .and_then(|n| m.rates.get(n))
                .copied()
                .or(c.rate);
            out.push((
                format!("traffic[{j}]"),
                RawTraffic {
                    class: c.class.clone(),
                    // A shard the scenario does not map goes on its first topic.
                    topic: Some(
                        m.topics
                            .get(shard)
                            .cloned()
                            .unwrap_or_else(|| topics[0].name.clone()),
                    ),
                    rate,
                    per: c.per,
                    size: Some(size),
                    publishers: m.publishers.clone(),
                    arrival: c.arrival,
                    segment: c.segment,
                    parity: c.parity,
                    to: c.to,
                    start: None,
                    stop: None,
                },
            ));
        }
        run(&mv, &out)
    }

    /// The scenario's `skip`, `rates` and `topics` name classes and shards the model has,
    /// and topics the scenario declares.
    fn model_overrides(
        &self,
        m: &RawTrafficModel,
        model: &RawModelFile,
        topics: &[TopicSpec],
    ) -> R<()> {
        let names: Vec<Option<&str>> = model.traffic.iter().map(|c| c.class.as_deref()).collect();
        let known = |n: &str| names.contains(&Some(n));
        let list = || {
            names
                .iter()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (i, s) in m.skip.iter().enumerate() {
            if !known(s) {
                return self.err(
                    format!("traffic_model.skip[{i}]"),
                    format!("the model has no class \"{s}\" (classes: {})", list()),
                );
            }
        }
        for (c, r) in &m.rates {
            if !known(c) {
                return self.err(
                    format!("traffic_model.rates.{c}"),
                    format!("the model has no class \"{c}\" (classes: {})", list()),
                );
            }
            if r.0.per_sec.is_nan() || r.0.per_sec <= 0.0 {
                return self.err(
                    format!("traffic_model.rates.{c}"),
                    "must be greater than zero (leave a class out with `skip`)",
                );
            }
        }
        let shards: Vec<&str> = model
            .traffic
            .iter()
            .filter_map(|c| c.shard.as_deref())
            .collect();
        for (shard, topic) in &m.topics {
            if !shards.contains(&shard.as_str()) {
                return self.err(
                    format!("traffic_model.topics.{shard}"),
                    format!("the model has no shard \"{shard}\" (shards: {})", {
                        let mut s = shards.clone();
                        s.sort_unstable();
                        s.dedup();
                        s.join(", ")
                    }),
                );
            }
            if !topics.iter().any(|t| &t.name == topic) {
                return self.err(
                    format!("traffic_model.topics.{shard}"),
                    format!("no topic \"{topic}\" (declare it in [[topic]])"),
                );
            }
        }
        Ok(())
    }

    /// The community's members (the model's sizes per member scale with them): `members`,
    /// or else the model's publishers.
    fn members(&self, m: &RawTrafficModel, classes: &[NodeClass], nodes: u32) -> R<u64> {
        let publishers = self.selector(
            "traffic_model.publishers",
            m.publishers.as_ref(),
            classes,
            nodes,
        )?;
        Ok(match m.members {
            Some(0) => return self.err("traffic_model.members", "must be greater than zero"),
            Some(n) => n,
            None => u64::from(match publishers {
                Selector::All => nodes,
                Selector::Fraction(f) => ((f * f64::from(nodes)).round() as u32).max(1),
                Selector::Classes(ref cs) => cs.iter().map(|&c| classes[c].count).sum(),
            }),
        })
    }

    /// A model class's size: its own, or its size per member × `members` (at most 2^53 B).
    fn model_size(
        &self,
        c: &RawModelClass,
        members: u64,
        p: &dyn Fn(&str) -> String,
    ) -> R<RawSize> {
        match (&c.size, c.size_per_member) {
            (Some(s), None) => Ok(s.clone()),
            (None, Some(Size(b))) => match b.checked_mul(members) {
                Some(s) if s <= crate::units::MAX_SIZE => Ok(RawSize::Fixed(Size(s))),
                _ => self.err(
                    p("size_per_member"),
                    format!(
                        "{} × {members} members is above the largest size the engine represents ({} = 2^53 B)",
                        crate::units::fmt_size(b),
                        crate::units::fmt_size(crate::units::MAX_SIZE)
                    ),
                ),
            },
            (Some(_), Some(_)) => self.err(
                p("size_per_member"),
                "give `size` or `size_per_member`, not both",
            ),
            (None, None) => self.err(p("size"), "missing: `size` or `size_per_member`"),
        }
    }

    fn model_text(&self, m: &RawTrafficModel) -> R<ModelText> {
        match (&m.name, &m.file) {
            (Some(n), None) => {
                if let Some((_, path, src)) = SHIPPED.iter().find(|s| s.0 == n) {
                    return Ok(ModelText {
                        label: (*path).to_string(),
                        src: (*src).to_string(),
                    });
                }
                let known: Vec<&str> = SHIPPED.iter().map(|s| s.0).collect();
                self.err(
                    "traffic_model.name",
                    format!(
                        "no shipped model \"{n}\" (shipped: {}; or give `file`)",
                        known.join(", ")
                    ),
                )
            }
            (None, Some(f)) => {
                let path = resolve_path(f, self.dir).map_err(|e| {
                    self.err::<()>("traffic_model.file", e.to_string())
                        .unwrap_err()
                })?;
                match super::super::files::read_input_text(&path) {
                    Ok(src) => Ok(ModelText {
                        label: path.display().to_string(),
                        src,
                    }),
                    Err(e) => self.err("traffic_model.file", format!("{}: {e}", path.display())),
                }
            }
            (Some(_), Some(_)) => self.err("traffic_model.file", "give `name` or `file`, not both"),
            (None, None) => self.err(
                "traffic_model",
                "missing: `name` (a shipped model) or `file`",
            ),
        }
    }
}
