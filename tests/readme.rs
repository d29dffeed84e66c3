//! The `[dependencies]` block a newcomer copies (README and the crate docs' front page) is
//! the one the doctests compile against: same crate version, same majors as the
//! dev-dependencies, and no feature the doctests do not have.

use std::collections::BTreeMap;

const README: &str = include_str!("../README.md");
const LIB: &str = include_str!("../src/lib.rs");
const MANIFEST: &str = include_str!("../Cargo.toml");

/// One dependency line: its version and features.
#[derive(Debug, PartialEq)]
struct Dep {
    version: String,
    features: Vec<String>,
}

/// The quoted strings of `text`, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// `name = "1"` or `name = { version = "1", features = ["a"], ... }`.
fn dep(line: &str) -> Option<(String, Dep)> {
    let (name, spec) = line.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || name.starts_with('#') || name.contains(' ') {
        return None;
    }
    let spec = spec.trim();
    let dep = if spec.starts_with('"') {
        Dep {
            version: quoted(spec).first()?.clone(),
            features: Vec::new(),
        }
    } else {
        let after_version = spec.split_once("version")?.1;
        let features = match spec.split_once("features") {
            Some((_, rest)) => quoted(rest.split_once(']')?.0),
            None => Vec::new(),
        };
        Dep {
            version: quoted(after_version).first()?.clone(),
            features,
        }
    };
    Some((name.to_owned(), dep))
}

/// The lines of the first ```` ```toml ```` block starting with `[dependencies]`.
fn toml_block(doc: &str, prefix: &str) -> BTreeMap<String, Dep> {
    let lines: Vec<&str> = doc
        .lines()
        .map(|l| l.strip_prefix(prefix).unwrap_or(l).trim_start())
        .collect();
    let start = lines
        .iter()
        .position(|l| *l == "```toml")
        .expect("a ```toml block");
    assert_eq!(
        lines[start + 1],
        "[dependencies]",
        "the block names its table"
    );
    lines[start + 2..]
        .iter()
        .take_while(|l| !l.starts_with("```"))
        .map(|l| dep(l).unwrap_or_else(|| panic!("cannot read dependency line {l:?}")))
        .collect()
}

/// The dependencies of one table of Cargo.toml.
fn manifest_table(table: &str) -> BTreeMap<String, Dep> {
    MANIFEST
        .split_once(&format!("\n{table}\n"))
        .expect("table present")
        .1
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(dep)
        .collect()
}

/// The part of a version that Cargo treats as breaking: `1` of `1.47`, `0.8` of `0.8.4`.
fn major(version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    let breaking = if parts[0] == "0" { 2 } else { 1 };
    parts[..breaking.min(parts.len())].join(".")
}

#[test]
fn readme_and_crate_docs_show_the_same_block() {
    let readme = toml_block(README, "");
    let lib = toml_block(LIB, "//!");
    assert_eq!(readme, lib);
    for name in ["tower-captcha", "axum", "tokio"] {
        assert!(readme.contains_key(name), "the block names {name}");
    }
}

#[test]
fn the_block_matches_this_crate_and_the_doctests_dependencies() {
    let block = toml_block(README, "");
    let package_version = quoted(
        MANIFEST
            .lines()
            .find(|l| l.starts_with("version"))
            .expect("package version"),
    )[0]
    .clone();
    let ours = &block["tower-captcha"];
    assert_eq!(major(&ours.version), major(&package_version));
    assert!(ours.features.is_empty(), "the default features are enough");

    let dev = manifest_table("[dev-dependencies]");
    for (name, dep) in block.iter().filter(|(name, _)| *name != "tower-captcha") {
        let tested = dev
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a dev-dependency, so no doctest uses it"));
        assert_eq!(
            major(&dep.version),
            major(&tested.version),
            "{name}'s version"
        );
        for feature in &dep.features {
            assert!(
                tested.features.contains(feature),
                "{name}'s feature {feature} is not one the doctests compile with"
            );
        }
    }
}

#[test]
fn the_reader_understands_versions_as_cargo_does() {
    assert_eq!(major("0.1.0"), "0.1");
    assert_eq!(major("0.1"), "0.1");
    assert_eq!(major("1"), "1");
    assert_eq!(major("1.47.2"), "1");
    assert_ne!(major("0.8"), major("0.7"));
    let (name, dep) = dep(r#"tokio = { version = "1", features = ["macros", "net"] }"#).unwrap();
    assert_eq!(name, "tokio");
    assert_eq!(dep.features, ["macros", "net"]);
}

#[test]
fn readme_code_blocks_copy_as_they_are_shown() {
    // rustdoc hides `# ` lines when it renders docs, but the README is read as it is: a block
    // with hidden lines would not compile once copied.
    let mut in_rust = false;
    let mut hidden = Vec::new();
    for (n, line) in README.lines().enumerate() {
        if let Some(fence) = line.strip_prefix("```") {
            in_rust = !in_rust && fence.starts_with("rust");
            continue;
        }
        if in_rust && (line.starts_with("# ") || line == "#") {
            hidden.push(format!("line {}: {line}", n + 1));
        }
    }
    assert!(
        hidden.is_empty(),
        "hidden lines in README code blocks:\n{}",
        hidden.join("\n")
    );
}
