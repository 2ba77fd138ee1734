//! `--set KEY=VALUE`: scenario keys set on the command line, on top of the file, before it
//! is parsed and validated exactly like the file (so the resolved scenario records them).
//! An error at a key that was set names the setting; others keep the file's line.

use super::{line_for, parse_str, ScenarioError};
use crate::scenario::Scenario;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

/// One `KEY=VALUE`: a key path (`gossipsub.mesh_n`, `traffic[0].size`) and a TOML value
/// (`8`, `"10KB"`, `{ dist = "uniform", … }`); a value that is not TOML is a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let Some((path, value)) = s.split_once('=') else {
            return Err(format!(
                "\"{s}\": expected KEY=VALUE, e.g. gossipsub.mesh_n=8"
            ));
        };
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("\"{s}\": the key is empty"));
        }
        // A second line would be read as a second key of the value's TOML and dropped.
        if s.contains(['\n', '\r']) {
            return Err(format!(
                "\"{}\": a setting is one line (KEY=VALUE without a line break)",
                s.escape_debug()
            ));
        }
        Ok(Override {
            path: path.to_string(),
            value: value.trim().to_string(),
        })
    }
}

impl Override {
    fn toml_value(&self) -> Value {
        format!("v = {}", self.value)
            .parse::<DocumentMut>()
            .ok()
            .and_then(|d| d.get("v").and_then(Item::as_value).cloned())
            .unwrap_or_else(|| Value::from(self.value.as_str()))
    }

    fn shown(&self) -> String {
        format!("--set {}={}", self.path, self.value)
    }

    /// Whether this setting and key path `other` set a value in common: the same key in any
    /// spelling (`traffic[0].size`, `traffic[00].size`), or one names a table the other's
    /// key lies in (`gossipsub` and `gossipsub.mesh_n`).
    pub fn overlaps(&self, other: &str) -> bool {
        keys_overlap(&self.path, other)
    }
}

/// A key path as atoms (each key, and each index apart, as a number), so that two spellings
/// of one key compare equal; `None` where `path` is not a key path.
fn atoms(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for (key, index) in steps(path)? {
        out.push(key.to_string());
        if let Some(i) = index {
            out.push(format!("[{i}]"));
        }
    }
    Some(out)
}

/// Whether key paths `a` and `b` set a value in common (see [`Override::overlaps`]); paths
/// that are not key paths overlap only when written the same (they are refused when set).
pub fn keys_overlap(a: &str, b: &str) -> bool {
    match (atoms(a), atoms(b)) {
        (Some(x), Some(y)) => x.iter().zip(&y).all(|(p, q)| p == q),
        _ => a == b,
    }
}

/// One step of a key path: a key, and an index into its array when it has one.
fn steps(path: &str) -> Option<Vec<(&str, Option<usize>)>> {
    path.split('.')
        .map(|seg| match seg.split_once('[') {
            None if !seg.is_empty() => Some((seg, None)),
            Some((k, rest)) if !k.is_empty() => {
                let i = rest.strip_suffix(']')?.parse().ok()?;
                Some((k, Some(i)))
            }
            _ => None,
        })
        .collect()
}

/// `src` with every override set, in order.
fn apply(src: &str, file: &str, sets: &[Override]) -> Result<String, ScenarioError> {
    let mut doc: DocumentMut = src
        .parse()
        .map_err(|e: toml_edit::TomlError| ScenarioError {
            file: file.into(),
            line: e.span().map(|s| super::line_of(src, s.start)),
            path: String::new(),
            msg: super::one_line(e.message()),
        })?;
    for o in sets {
        let fail = |msg: String| ScenarioError {
            file: o.shown(),
            line: None,
            path: o.path.clone(),
            msg,
        };
        let Some(steps) = steps(&o.path) else {
            return Err(fail(
                "not a key path (e.g. gossipsub.mesh_n or traffic[0].size)".into(),
            ));
        };
        let mut table: &mut Table = doc.as_table_mut();
        let last = steps.len() - 1;
        for (n, &(key, index)) in steps.iter().enumerate() {
            let here = steps[..=n]
                .iter()
                .map(|(k, i)| i.map_or(k.to_string(), |i| format!("{k}[{i}]")))
                .collect::<Vec<_>>()
                .join(".");
            match index {
                Some(i) => {
                    let Some(array) = table.get_mut(key).and_then(Item::as_array_of_tables_mut)
                    else {
                        return Err(fail(format!(
                            "{key} is not a list of tables in the scenario ([[{key}]])"
                        )));
                    };
                    let len = array.len();
                    let Some(t) = array.get_mut(i) else {
                        return Err(fail(format!(
                            "the scenario has {len} [[{key}]] entr{} ({key}[0] to {key}[{}])",
                            if len == 1 { "y" } else { "ies" },
                            len.saturating_sub(1)
                        )));
                    };
                    if n == last {
                        return Err(fail(format!("{here} is a table: set one of its keys")));
                    }
                    table = t;
                }
                None if n == last => {
                    table.insert(key, Item::Value(o.toml_value()));
                }
                None => {
                    let item = table.entry(key).or_insert_with(|| {
                        let mut t = Table::new();
                        t.set_implicit(true);
                        Item::Table(t)
                    });
                    if let Some(v) = item.as_inline_table_mut() {
                        let t = std::mem::take(v).into_table();
                        *item = Item::Table(t);
                    }
                    let Some(t) = item.as_table_mut() else {
                        return Err(fail(format!("{here} is a value, not a table")));
                    };
                    table = t;
                }
            }
        }
    }
    Ok(doc.to_string())
}

/// Validates `src` with `sets` on top.
pub fn parse_with(
    src: &str,
    file: &str,
    default_name: &str,
    dir: Option<&Path>,
    sets: &[Override],
) -> Result<Scenario, ScenarioError> {
    if sets.is_empty() {
        return parse_str(src, file, default_name, dir);
    }
    let changed = apply(src, file, sets)?;
    parse_str(&changed, file, default_name, dir).map_err(|mut e| {
        let set = sets.iter().rev().find(|o| {
            e.path == o.path
                || e.path.starts_with(&format!("{}.", o.path))
                || e.path.starts_with(&format!("{}[", o.path))
        });
        if let Some(o) = set {
            e.file = o.shown();
            e.line = None;
        } else {
            // Lines of the file, not of the file with the settings in; the settings may be
            // why (a bound between two keys), so the message says which there were.
            e.line = line_for(src, &e.path);
            let all: Vec<String> = sets.iter().map(Override::shown).collect();
            e.msg = format!("{} (with {})", e.msg, all.join(" "));
        }
        e
    })
}

/// Loads `path` with `sets` on top.
pub fn load_with(path: &Path, sets: &[Override]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let src = super::super::files::read_input_text(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        path: String::new(),
        msg: format!("cannot read scenario: {e}"),
    })?;
    parse_with(
        &src,
        &file,
        &super::name_from_path(path),
        path.parent(),
        sets,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_overlap_in_any_spelling_and_through_their_tables() {
        assert!(keys_overlap("traffic[0].size", "traffic[00].size"));
        assert!(keys_overlap("gossipsub", "gossipsub.mesh_n"));
        assert!(keys_overlap("gossipsub.mesh_n", "gossipsub"));
        assert!(keys_overlap("traffic", "traffic[1].rate"));
        assert!(keys_overlap("traffic[1]", "traffic[01].rate"));
        assert!(!keys_overlap("traffic[0].size", "traffic[1].size"));
        assert!(!keys_overlap("gossipsub.mesh_n", "gossipsub.mesh_n_low"));
        assert!(!keys_overlap("nodes", "node_class[0].share"));
    }

    const BASE: &str = "nodes = 100\n[topology]\noutbound = 5\n[[traffic]]\nclass = \"chat\"\nrate = \"5/hour\"\nsize = \"2000B\"\n";

    fn set(s: &str) -> Override {
        s.parse().unwrap()
    }

    #[test]
    fn sets_keys_tables_and_entries_and_names_itself_in_errors() {
        let sets = [
            set("gossipsub.mesh_n=8"),
            set("nodes=300"),
            set("traffic[0].size=\"10KB\""),
            set("gossipsub.preset=rust-libp2p"),
            set("topology.outbound=7"),
        ];
        let sc = parse_with(BASE, "s.toml", "s", None, &sets).unwrap();
        assert_eq!(
            (sc.nodes, sc.gossipsub.mesh_n, sc.preset.as_str()),
            (300, 8, "rust-libp2p")
        );
        assert_eq!(sc.traffic[0].size.max(), 10_000);
        assert!(sc.resolved_toml.contains("mesh_n = 8"));
        let e = parse_with(BASE, "s.toml", "s", None, &[set("gossipsub.mesh_n=0")]).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line),
            ("--set gossipsub.mesh_n=0", None),
            "{e}"
        );
        let e =
            parse_with(BASE, "s.toml", "s", None, &[set("traffic[3].rate=\"1/s\"")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("the scenario has 1 [[traffic]] entry"),
            "{e}"
        );
        let e = parse_with(BASE, "s.toml", "s", None, &[set("nodes.x=1")]).unwrap_err();
        assert!(
            e.to_string().contains("nodes is a value, not a table"),
            "{e}"
        );
        let e = parse_with(BASE, "s.toml", "s", None, &[set("gossipsub.mesh_nn=1")]).unwrap_err();
        assert_eq!(e.file, "--set gossipsub.mesh_nn=1", "{e}");
        assert!("nodes".parse::<Override>().is_err());
        let e = "traffic[0].size=1\nnodes=5"
            .parse::<Override>()
            .unwrap_err();
        assert!(e.contains("a setting is one line"), "{e}");
        // An error elsewhere keeps the file's own line, whatever the settings inserted.
        let bad = BASE.replace("rate = \"5/hour\"", "rate = \"0/hour\"");
        let e = parse_with(
            &bad,
            "s.toml",
            "s",
            None,
            &[set("topology.max_connections=30")],
        )
        .unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.line),
            ("traffic[0].rate", Some(6)),
            "{e}"
        );
        assert!(
            e.msg.ends_with("(with --set topology.max_connections=30)"),
            "{e}"
        );
    }
}
