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
