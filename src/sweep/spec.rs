//! The sweep file: `[sweep]` with a base scenario, axes (key → values), keys that move with
//! an axis (`[sweep.with."<axis>"]`), `mode` (product or zip), `seeds` and fixed `set`
//! keys. Parsed with `toml_edit` so that axes keep the order they are written in (the order
//! of points and of columns). Only reads and checks the file; loading each point's
//! scenario is `Sweep::resolve`'s.

use super::{SweepError, MAX_TASKS};
use crate::scenario::Override;
use std::path::{Path, PathBuf};
use toml_edit::{ImDocument, Item, TableLike, Value};

/// How the axes combine into points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every combination; the first axis varies slowest.
    Product,
    /// The i-th value of every axis together (axes of one length).
    Zip,
}

/// One axis: the key it sets, its values (TOML literals), and the keys that move with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
    /// `(key, values)`, one value per value of the axis.
    pub with: Vec<(String, Vec<String>)>,
    /// The file's line of the axis, for errors at one of its points.
    pub line: Option<usize>,
}

/// A sweep file as written: what to vary, and over which seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The sweep file, as given.
    pub file: PathBuf,
    pub name: String,
    /// The base scenario, relative to the sweep file's folder.
    pub base: PathBuf,
    pub mode: Mode,
    /// `None`: the base scenario's seed only.
    pub seeds: Option<Vec<u64>>,
    /// Keys set on every point, before the axes.
    pub set: Vec<Override>,
    pub axes: Vec<Axis>,
}

/// One point of a sweep: its index and the keys it sets (axis keys and the keys moving
/// with them, in axis order).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub index: usize,
    pub sets: Vec<Override>,
}

impl SweepSpec {
    /// Reads and checks a sweep file.
    pub fn load(file: &Path) -> Result<SweepSpec, SweepError> {
        let shown = file.display().to_string();
        let src = crate::scenario::files::read_input_text(file).map_err(|e| SweepError::At {
            file: shown.clone(),
            line: None,
            msg: format!("cannot read sweep file: {e}"),
        })?;
        let default_name = crate::scenario::name_from_path(file);
        let mut spec = parse(&src, &shown, &default_name)?;
        spec.file = file.to_path_buf();
        spec.base = file.parent().unwrap_or(Path::new("")).join(&spec.base);
        Ok(spec)
    }

    /// Every point, in order: for `product`, the last axis varies fastest.
    pub fn points(&self) -> Vec<Point> {
        let count = self.point_count();
        (0..count)
            .map(|index| {
                let mut sets = Vec::new();
                let mut rest = index;
                let picks: Vec<usize> = match self.mode {
                    Mode::Zip => vec![index; self.axes.len()],
                    Mode::Product => {
                        let mut picks = vec![0; self.axes.len()];
                        for (a, axis) in self.axes.iter().enumerate().rev() {
                            picks[a] = rest % axis.values.len();
                            rest /= axis.values.len();
                        }
                        picks
                    }
                };
                for (axis, &i) in self.axes.iter().zip(&picks) {
                    sets.push(set(&axis.key, &axis.values[i]));
                    for (key, values) in &axis.with {
                        sets.push(set(key, &values[i]));
                    }
                }
                Point { index, sets }
            })
            .collect()
    }

    /// The number of points (checked against [`MAX_TASKS`] when the file was read).
    pub fn point_count(&self) -> usize {
        match self.mode {
            Mode::Zip => self.axes[0].values.len(),
            Mode::Product => self.axes.iter().map(|a| a.values.len()).product(),
        }
    }

    /// Every key a point sets, in the order of [`Point::sets`]: sweep.csv's axis columns.
    pub fn columns(&self) -> Vec<&str> {
        self.axes
            .iter()
            .flat_map(|a| {
                std::iter::once(a.key.as_str()).chain(a.with.iter().map(|(k, _)| k.as_str()))
            })
            .collect()
    }
}

fn set(key: &str, value: &str) -> Override {
    Override {
        path: key.to_string(),
        value: value.to_string(),
    }
}

/// A TOML value as written, without its surrounding whitespace or comments.
fn literal(v: &Value) -> String {
    v.clone().decorated("", "").to_string()
}

struct Reader<'a> {
    src: &'a str,
    file: &'a str,
}

impl Reader<'_> {
    fn line(&self, span: Option<std::ops::Range<usize>>) -> Option<usize> {
        span.map(|s| {
            self.src[..s.start.min(self.src.len())]
                .matches('\n')
                .count()
                + 1
        })
    }

    fn err<T>(&self, span: Option<std::ops::Range<usize>>, msg: String) -> Result<T, SweepError> {
        Err(SweepError::At {
            file: self.file.to_string(),
            line: self.line(span),
            msg,
        })
    }

    /// An array of values at `what`, non-empty.
    fn values(&self, what: &str, item: &Item) -> Result<Vec<String>, SweepError> {
        let Some(arr) = item.as_array() else {
            return self.err(item.span(), format!("{what}: expected a list of values"));
        };
        if arr.is_empty() {
            return self.err(item.span(), format!("{what}: the list is empty"));
        }
        Ok(arr.iter().map(literal).collect())
    }
}

fn parse(src: &str, file: &str, default_name: &str) -> Result<SweepSpec, SweepError> {
    let r = Reader { src, file };
    let doc = ImDocument::parse(src).or_else(|e| {
        r.err(
            e.span(),
            format!(
                "not a TOML file: {}",
                crate::scenario::one_line(e.message())
            ),
        )
    })?;
    let sweep = sweep_table(&r, &doc)?;
    let get = |k: &str| sweep.get(k);
    let string = |k: &str| -> Result<Option<String>, SweepError> {
        match get(k) {
            None => Ok(None),
            Some(it) => match it.as_str() {
                Some(s) => Ok(Some(s.to_string())),
                None => r.err(it.span(), format!("sweep.{k}: expected a string")),
            },
        }
    };
    let name = string("name")?.unwrap_or_else(|| default_name.to_string());
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return r.err(
            get("name").and_then(Item::span),
            format!("sweep.name: \"{name}\" is not a folder name"),
        );
    }
    let Some(base) = string("base")? else {
        return r.err(
            None,
            "sweep.base: missing (the scenario file the sweep varies, relative to this file)"
                .into(),
        );
    };
    let mode = match string("mode")?.as_deref() {
        None | Some("product") => Mode::Product,
        Some("zip") => Mode::Zip,
        Some(m) => {
            return r.err(
                get("mode").and_then(Item::span),
                format!("sweep.mode: expected \"product\" or \"zip\", got \"{m}\""),
            )
        }
    };
    let seeds = match get("seeds") {
        None => None,
        Some(it) => Some(seeds(&r, it)?),
    };
    let set = match get("set") {
        None => Vec::new(),
        Some(it) => set_table(&r, it)?,
    };
    let axes = axes(&r, sweep, mode)?;
    let spec = SweepSpec {
        file: PathBuf::from(file),
        name,
        base: PathBuf::from(base),
        mode,
        seeds,
        set,
        axes,
    };
    for o in &spec.set {
        if let Some(k) = spec.columns().iter().find(|k| o.overlaps(k)) {
            return r.err(
                get("set").and_then(Item::span),
                format!("sweep.set.\"{}\": sets what the axis key \"{k}\" sets (the axis would decide, and sweep.csv would show it)", o.path),
            );
        }
    }
    Ok(spec)
}

/// The file's one `[sweep]` table, holding only keys a sweep takes.
fn sweep_table<'d>(
    r: &Reader<'_>,
    doc: &'d ImDocument<&str>,
) -> Result<&'d dyn TableLike, SweepError> {
    for (k, it) in doc.as_table().iter() {
        if k != "sweep" {
            return r.err(
                it.span(),
                format!("unknown top-level key `{k}`: a sweep file holds one [sweep] table (scenario keys go in its base, or in sweep.set)"),
            );
        }
    }
    let Some(sweep) = doc.get("sweep").and_then(Item::as_table_like) else {
        return r.err(None, "no [sweep] table".into());
    };
    for (k, it) in sweep.iter() {
        if !["name", "base", "mode", "seeds", "set", "axes", "with"].contains(&k) {
            return r.err(
                it.span(),
                format!(
                    "sweep.{k}: unknown key (expected name, base, mode, seeds, set, axes, with)"
                ),
            );
        }
    }
    Ok(sweep)
}

/// `sweep.set`: scenario keys every point sets.
fn set_table(r: &Reader<'_>, it: &Item) -> Result<Vec<Override>, SweepError> {
    let Some(t) = it.as_table_like() else {
        return r.err(
            it.span(),
            "sweep.set: expected a table of key = value".into(),
        );
    };
    t.iter()
        .map(|(k, it)| match it.as_value() {
            Some(v) => Ok(self::set(k, &literal(v))),
            None => r.err(it.span(), format!("sweep.set.\"{k}\": expected a value")),
        })
        .collect::<Result<_, _>>()
}

fn seeds(r: &Reader<'_>, it: &Item) -> Result<Vec<u64>, SweepError> {
    let parsed = if let Some(s) = it.as_str() {
        super::parse_seeds(s)
    } else if let Some(arr) = it.as_array() {
        let list: Option<Vec<String>> = arr
            .iter()
            .map(|v| v.as_integer().map(|i| i.to_string()))
            .collect();
        match list {
            Some(l) if !l.is_empty() => super::parse_seeds(&l.join(",")),
            _ => Err("expected a list of whole numbers".to_string()),
        }
    } else {
        Err("expected \"A..B\" or a list of seeds".to_string())
    };
    parsed.or_else(|e| r.err(it.span(), format!("sweep.seeds: {e}")))
}

fn axes(r: &Reader<'_>, sweep: &dyn TableLike, mode: Mode) -> Result<Vec<Axis>, SweepError> {
    let Some(item) = sweep.get("axes") else {
        return r.err(
            None,
            "sweep.axes: missing (a table of key = [values])".into(),
        );
    };
    let Some(table) = item.as_table_like() else {
        return r.err(
            item.span(),
            "sweep.axes: expected a table of key = [values]".into(),
        );
    };
    let mut axes: Vec<Axis> = Vec::new();
    for (k, it) in table.iter() {
        let what = format!("sweep.axes.\"{k}\"");
        let (key, _) = table.get_key_value(k).expect("a key of this table");
        axes.push(Axis {
            key: k.to_string(),
            values: r.values(&what, it)?,
            with: Vec::new(),
            line: r.line(key.span().or_else(|| it.span())),
        });
    }
    if axes.is_empty() {
        return r.err(item.span(), "sweep.axes: no axis".into());
    }
    if let Some(with) = sweep.get("with") {
        with_values(r, with, &mut axes)?;
    }
    distinct_keys(r, sweep, &axes)?;
    check_count(r, item, table, &axes, mode)?;
    Ok(axes)
}

/// `sweep.with`: per axis, more keys that take one value per value of the axis.
fn with_values(r: &Reader<'_>, with: &Item, axes: &mut [Axis]) -> Result<(), SweepError> {
    let Some(with) = with.as_table_like() else {
        return r.err(
            with.span(),
            "sweep.with: expected tables named after axes".into(),
        );
    };
    for (axis_key, it) in with.iter() {
        let Some(a) = axes.iter().position(|a| a.key == axis_key) else {
            return r.err(
                it.span(),
                format!("sweep.with.\"{axis_key}\": no axis of that key"),
            );
        };
        let Some(t) = it.as_table_like() else {
            return r.err(
                it.span(),
                format!("sweep.with.\"{axis_key}\": expected a table of key = [values]"),
            );
        };
        for (k, vit) in t.iter() {
            let what = format!("sweep.with.\"{axis_key}\".\"{k}\"");
            let values = r.values(&what, vit)?;
            if values.len() != axes[a].values.len() {
                return r.err(
                    vit.span(),
                    format!(
                        "{what}: {} value(s), but the axis has {}: one per value of the axis",
                        values.len(),
                        axes[a].values.len()
                    ),
                );
            }
            axes[a].with.push((k.to_string(), values));
        }
    }
    Ok(())
}

/// No axis sets a reserved key, and no two axes set one value.
fn distinct_keys(r: &Reader<'_>, sweep: &dyn TableLike, axes: &[Axis]) -> Result<(), SweepError> {
    let mut keys: Vec<&str> = Vec::new();
    for a in axes {
        for k in std::iter::once(&a.key).chain(a.with.iter().map(|(k, _)| k)) {
            if ["seed", "name", "point", "run_id"].contains(&k.as_str()) {
                return Err(SweepError::At {
                    file: r.file.to_string(),
                    line: a.line,
                    msg: format!("sweep: \"{k}\" cannot be an axis (seeds are sweep.seeds; the name and folders are the sweep's)"),
                });
            }
            if let Some(other) = keys.iter().find(|o| crate::scenario::keys_overlap(o, k)) {
                let what = if *other == k.as_str() {
                    format!("sweep: key \"{k}\" is set by two axes")
                } else {
                    format!("sweep: keys \"{other}\" and \"{k}\" set one value (one key in two spellings, or a table and a key in it); one axis per value")
                };
                return r.err(sweep.get("axes").and_then(Item::span), what);
            }
            keys.push(k);
        }
    }
    Ok(())
}

/// Zip axes are as long as each other, and the sweep has at most `MAX_TASKS` points.
fn check_count(
    r: &Reader<'_>,
    item: &Item,
    table: &dyn TableLike,
    axes: &[Axis],
    mode: Mode,
) -> Result<(), SweepError> {
    if let Mode::Zip = mode {
        let n = axes[0].values.len();
        if let Some(a) = axes.iter().find(|a| a.values.len() != n) {
            return r.err(
                table.get(&a.key).and_then(Item::span),
                format!(
                    "sweep.axes.\"{}\": {} value(s), but mode = \"zip\" needs every axis as long as the first ({n})",
                    a.key,
                    a.values.len()
                ),
            );
        }
    }
    let count = axes
        .iter()
        .try_fold(1usize, |n, a| match mode {
            Mode::Product => n.checked_mul(a.values.len()),
            Mode::Zip => Some(a.values.len()),
        })
        .filter(|&n| n <= MAX_TASKS);
    if count.is_none() {
        return r.err(
            item.span(),
            format!("sweep.axes: more than {MAX_TASKS} points"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(src: &str) -> Result<SweepSpec, SweepError> {
        parse(src, "s.toml", "s")
    }

    fn shown(p: &Point) -> String {
        p.sets
            .iter()
            .map(|o| format!("{}={}", o.path, o.value))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn product_varies_the_last_axis_fastest_and_keeps_written_order() {
        let s = spec(
            "[sweep]\nbase = \"b.toml\"\nseeds = \"1..3\"\n[sweep.axes]\n\"gossipsub.mesh_n\" = [4, 6]\nnodes = [1000, 2000, 5000]\n[sweep.with.\"gossipsub.mesh_n\"]\n\"gossipsub.mesh_n_low\" = [3, 4]\n",
        )
        .unwrap();
        assert_eq!(s.seeds, Some(vec![1, 2, 3]));
        assert_eq!(
            s.columns(),
            ["gossipsub.mesh_n", "gossipsub.mesh_n_low", "nodes"]
        );
        let pts: Vec<String> = s.points().iter().map(shown).collect();
        assert_eq!(pts.len(), 6);
        assert_eq!(
            pts[0],
            "gossipsub.mesh_n=4 gossipsub.mesh_n_low=3 nodes=1000"
        );
        assert_eq!(
            pts[2],
            "gossipsub.mesh_n=4 gossipsub.mesh_n_low=3 nodes=5000"
        );
        assert_eq!(
            pts[3],
            "gossipsub.mesh_n=6 gossipsub.mesh_n_low=4 nodes=1000"
        );
    }

    #[test]
    fn zip_pairs_values_and_strings_stay_toml() {
        let s = spec(
            "[sweep]\nbase = \"b.toml\"\nmode = \"zip\"\nseeds = [5, 9]\nset = { duration = \"10s\" }\n[sweep.axes]\n\"traffic[0].size\" = [\"1KB\", \"150KB\"]\nnodes = [10, 20]\n",
        )
        .unwrap();
        assert_eq!(s.seeds, Some(vec![5, 9]));
        assert_eq!(s.set[0].value, "\"10s\"");
        let pts: Vec<String> = s.points().iter().map(shown).collect();
        assert_eq!(
            pts,
            [
                "traffic[0].size=\"1KB\" nodes=10",
                "traffic[0].size=\"150KB\" nodes=20"
            ]
        );
    }

    #[test]
    fn bad_sweep_files_are_one_line_naming_the_key_and_line() {
        let cases = [
            ("[sweep]\nbase = \"b\"\n", "sweep.axes: missing", None),
            ("[sweep]\n[sweep.axes]\nnodes = [1]\n", "sweep.base: missing", None),
            ("[sweep]\nbase = \"b\"\nmode = \"grid\"\n[sweep.axes]\nnodes = [1]\n", "sweep.mode", Some(3)),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nnodes = []\n", "the list is empty", Some(4)),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nnodes = 5\n", "expected a list", Some(4)),
            ("[sweep]\nbase = \"b\"\nseeds = \"3..1\"\n[sweep.axes]\nnodes = [1]\n", "sweep.seeds: empty range", Some(3)),
            ("[sweep]\nbase = \"b\"\nmode = \"zip\"\n[sweep.axes]\nnodes = [1, 2]\nx = [1]\n", "mode = \"zip\"", Some(6)),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nnodes = [1, 2]\n[sweep.with.nodes]\nx = [1]\n", "one per value", Some(6)),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nnodes = [1]\n[sweep.with.seed]\nx = [1]\n", "no axis of that key", None),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nnodes = [1]\n[sweep.with.nodes]\nnodes = [1]\n", "set by two axes", None),
            ("[sweep]\nbase = \"b\"\n[sweep.axes]\nseed = [1, 2]\n", "cannot be an axis", Some(4)),
            ("[sweep]\nbase = \"b\"\nset = { nodes = 5 }\n[sweep.axes]\nnodes = [1, 2]\n", "sets what the axis key \"nodes\" sets", Some(3)),
            ("nodes = 5\n[sweep]\nbase = \"b\"\n", "unknown top-level key `nodes`", Some(1)),
            ("[sweep]\nbase = \"b\"\naxis = {}\n", "sweep.axis: unknown key", Some(3)),
            ("[sweep\n", "not a TOML file", Some(1)),
            ("[sweep]\nbase = \"b\"\nname = \"a/b\"\n[sweep.axes]\nnodes = [1]\n", "not a folder name", Some(3)),
        ];
        for (src, words, line) in cases {
            let e = spec(src).expect_err(src).to_string();
            assert!(e.contains(words), "{src:?}: {e}");
            assert!(!e.contains('\n'), "{src:?}: one line: {e}");
            if let Some(l) = line {
                assert!(
                    e.starts_with(&format!("s.toml:{l}: ")),
                    "{src:?}: line {l}: {e}"
                );
            }
        }
        let huge = format!(
            "[sweep]\nbase = \"b\"\n[sweep.axes]\n{}",
            (0..8)
                .map(|i| format!("k{i} = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"))
                .collect::<String>()
        );
        assert!(spec(&huge).unwrap_err().to_string().contains("more than"));
    }
}
