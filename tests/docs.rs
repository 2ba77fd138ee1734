//! What the README states that the code declares: tables are generated from the one
//! declaration and must appear in the README verbatim (regenerate them with the command
//! named in the failure).

#[test]
fn readme_has_the_presets_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let table = gossipsim::scenario::validate::presets_markdown();
    assert!(table.lines().count() > 20, "every parameter has a row");
    assert!(
        readme.contains(&table),
        "README's preset table is stale; replace it with `gossipsim presets --markdown`:\n{table}"
    );
}

#[test]
fn readme_has_the_node_class_keys() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let rows = gossipsim::scenario::class::class_keys_markdown();
    assert_eq!(
        rows.lines().count(),
        gossipsim::scenario::class::CLASS_KEYS.len(),
        "a row per key"
    );
    assert!(
        readme.contains(&rows),
        "README's `[[node_class]]` rows are stale; replace them with these (from `node_class_keys!`):\n{rows}"
    );
}
