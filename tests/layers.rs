//! The house's floors: every module of `src/` sits on a layer, and a module may name
//! (`crate::...`) only modules of lower layers. A change that makes an arrow point up (a
//! lower layer borrowing from a higher one, or two modules of one layer leaning on each
//! other) fails here with the file and line.

use std::path::Path;

/// Bottom to top. Within a layer, modules do not refer to each other.
const LAYERS: &[&[&str]] = &[
    &["ids", "prefetch"],
    &["units", "rng", "message"],
    &["engine", "protocol", "net", "traffic"],
    &["metrics"],
    &["scenario"],
    &["model", "estimate"],
    &["sim"],
    &["output"],
    &["report"],
    &["sweep"],
    &["cli"],
];

/// Modules that must not name another even though it lies below them: the reading side of
/// results (`report`) reads files only, never the engine that writes them (issue 33, item 5).
const NEVER: &[(&str, &str)] = &[("report", "sim")];

/// What `lib.rs` re-exports at the root, by the module it comes from.
const ROOT: &[(&str, &str)] = &[
    ("ClassId", "ids"),
    ("MsgIdx", "ids"),
    ("PeerId", "ids"),
    ("SimTime", "ids"),
    ("TopicId", "ids"),
    ("Scenario", "scenario"),
    ("RunOutput", "sim"),
    ("word_enum", "units"),
    ("Sim", "sim"),
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The modules a line names through `crate::`.
fn named(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .map(|(i, _)| {
            let rest = &line[i + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src/");
        let first = rel.components().next().expect("a file").as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue; // the crate root names every module
        }
        let own = layer(&module)
            .unwrap_or_else(|| panic!("{}: module {module} is on no layer", rel.display()));
        let text = std::fs::read_to_string(f).expect("a source file is readable");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for m in named(line) {
                checked += 1;
                let m = ROOT
                    .iter()
                    .find(|(n, _)| *n == m)
                    .map_or(m, |(_, from)| from);
                if m == module {
                    continue;
                }
                let to =
                    layer(m).unwrap_or_else(|| panic!("{}: unknown module {m}", rel.display()));
                if to >= own || NEVER.contains(&(module.as_str(), m)) {
                    wrong.push(format!("{}:{}: {module} names {m}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(checked > 50, "the scan found the imports ({checked})");
    assert!(
        wrong.is_empty(),
        "imports that point up or sideways:\n{}",
        wrong.join("\n")
    );
}

/// The files of `sim/`, bottom to top: a file names (`super::file`) only files below it.
/// `mod.rs` is the module's root (it declares every file, and its own items are the
/// module's surface), so it is not on the list. Files that add `impl Partition` blocks sit
/// above `partition.rs`; nothing below names them (issue 33, item 4: the circles
/// `build` ↔ `services` and `event` → `shortcuts` → `partition` → `light` → `event`; `light`
/// has since dissolved into `partition`, `drive` and `protocol::node`).
const SIM_FILES: &[&[&str]] = &[
    &["carries", "conns", "flight", "streams", "waku"],
    &["event"],
    &["partition"],
    &["drive", "shortcuts", "forward"],
    &["prefetch"],
    &["publisher"],
    &["parallel"],
    &["services"],
    &["build"],
];

/// The files of `sim/` a line names through `super::` (alone or in a `super::{...}` list).
fn sim_files_named(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.match_indices("super::") {
        let rest = &line[i + "super::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(list) => list
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                .collect(),
            None => vec![rest
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("")],
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| SIM_FILES.iter().any(|l| l.contains(n)))
                .map(str::to_string),
        );
    }
    out
}

#[test]
fn files_inside_sim_point_down() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim");
    let level = |f: &str| SIM_FILES.iter().position(|l| l.contains(&f));
    let mut wrong = Vec::new();
    let mut files = 0;
    for e in std::fs::read_dir(&dir).expect("src/sim is readable") {
        let p = e.expect("an entry").path();
        let name = p
            .file_stem()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        if name == "mod" {
            continue;
        }
        files += 1;
        let own = level(&name)
            .unwrap_or_else(|| panic!("src/sim/{name}.rs is not in SIM_FILES: place it"));
        let text = std::fs::read_to_string(&p).expect("a source file is readable");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for m in sim_files_named(line) {
                if m != name && level(&m).expect("listed") >= own {
                    wrong.push(format!("src/sim/{name}.rs:{}: names {m}", n + 1));
                }
            }
        }
    }
    assert_eq!(files, SIM_FILES.iter().map(|l| l.len()).sum::<usize>());
    assert!(
        wrong.is_empty(),
        "sim/ files that name a file at or above their own level:\n{}",
        wrong.join("\n")
    );
}
