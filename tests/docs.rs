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
