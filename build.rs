//! Build facts for `keyhound --version`: the commit the binary was built from and the number of
//! built-in rules.
//!
//! * `KEYHOUND_BUILD_COMMIT`: taken from the environment when set (for packagers building from a
//!   tarball), else from `git` when this package is the top of a git work tree, else `unknown`. A
//!   missing `git` or a tree without `.git` is not an error.
//! * `KEYHOUND_RULE_COUNT`: the `[[rule]]` tables in `rules/*.toml` (a test checks it against the
//!   compiled rule set).
//! * `KEYHOUND_SOURCE_HASH`: a hash of every file under `src/` and `rules/`, so that a history cache
//!   made by one build is never used by another whose engine may find other things (`Engine::identity`).
//!
//! It also parses the built-in rules (`rules/*.toml`) into static Rust data (`$OUT_DIR/builtin_rules.rs`,
//! read by `src/rules/builtin.rs`), so that start-up parses no TOML. The rule format is
//! `src/rules/syntax.rs` itself, included here; the rules are validated and their regexes compiled by
//! the crate (`RuleSet::builtin`) and its tests, not here.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

#[path = "src/rules/syntax.rs"]
#[allow(dead_code)]
mod syntax;

use syntax::{AllowlistSyntax, Confidence, RequiresSyntax, RuleSyntax};

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir);
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-env-changed=KEYHOUND_BUILD_COMMIT");
    let commit = std::env::var("KEYHOUND_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git_commit(root))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=KEYHOUND_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=KEYHOUND_RULE_COUNT={}", rule_count(root));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rustc-env=KEYHOUND_SOURCE_HASH={}", source_hash(root));
    builtin_rules(root);
}

/// Output of `git args...` run in `dir`, trimmed; `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// HEAD's short commit id, when `root` is the top of a git work tree (not a tarball unpacked inside
/// some other repository). Asks cargo to rebuild when HEAD moves.
fn git_commit(root: &Path) -> Option<String> {
    let top = git(root, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), root) {
        return None;
    }
    for watched in [
        git(root, &["rev-parse", "--git-path", "HEAD"]),
        git(root, &["rev-parse", "--git-path", "packed-refs"]),
        git(root, &["symbolic-ref", "-q", "HEAD"])
            .and_then(|r| git(root, &["rev-parse", "--git-path", &r])),
    ]
    .into_iter()
    .flatten()
    {
        // A path that does not exist would make cargo rerun this script on every build.
        let path = root.join(watched);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    git(root, &["rev-parse", "--short=12", "HEAD"])
}

/// FNV-1a (64-bit) over the relative path and contents of every file under `src/` and `rules/`, in
/// path order: it changes whenever the code or the rules of the build do.
fn source_hash(root: &Path) -> String {
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    files(&root.join("rules"), &mut all);
    all.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for path in all {
        let rel = path.strip_prefix(root).unwrap_or(&path);
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(&path).unwrap_or_default());
        feed(&[0]);
    }
    format!("{h:016x}")
}

/// The number of `[[rule]]` tables in the built-in rule files.
fn rule_count(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root.join("rules")) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|text| text.lines().filter(|l| l.trim() == "[[rule]]").count())
        .sum()
}

/// Writes every built-in rule as a `StaticRule` literal to `$OUT_DIR/builtin_rules.rs`.
fn builtin_rules(root: &Path) {
    println!("cargo:rerun-if-changed=src/rules/syntax.rs");
    let mut names: Vec<String> = std::fs::read_dir(root.join("rules"))
        .expect("rules/ is readable")
        .map(|e| {
            e.expect("rules/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut out = String::from("&[\n");
    for name in names {
        let file = format!("rules/{name}");
        let text = std::fs::read_to_string(root.join(&file)).expect("rule file is readable");
        let rules = syntax::parse_file(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (rule, line) in rules {
            emit(&mut out, &file, line, rule);
        }
    }
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Writes one `StaticRule { ... },` literal. The destructuring names every field, so a field added to
/// the rule format fails to build until it is carried here (and in `StaticRule::to_syntax`).
fn emit(out: &mut String, file: &str, line: usize, rule: RuleSyntax) {
    let RuleSyntax {
        id,
        name,
        description,
        regex,
        secret_group,
        keywords,
        min_entropy,
        min_randomness,
        path,
        multiline,
        confidence,
        test_confidence,
        checksum,
        tags,
        allowlist,
        references,
        examples,
        negative_examples,
        example_path,
        context_lines,
        also_match,
        requires,
        companion_only,
    } = rule;
    let AllowlistSyntax {
        regexes,
        stopwords,
        paths,
        matches,
    } = allowlist;
    let name_of = |c: Confidence| match c {
        Confidence::Low => "Confidence::Low",
        Confidence::Medium => "Confidence::Medium",
        Confidence::High => "Confidence::High",
    };
    let confidence = name_of(confidence);
    let test_confidence = match test_confidence {
        Some(c) => format!("Some({})", name_of(c)),
        None => "None".into(),
    };
    let requires: Vec<(String, usize)> = requires
        .map(|r| {
            r.into_vec()
                .into_iter()
                .map(|RequiresSyntax { rule, within_lines }| (rule, within_lines))
                .collect()
        })
        .unwrap_or_default();
    let list = |l: &[String]| format!("&{l:?}");
    writeln!(
        out,
        "StaticRule {{ file: {file:?}, line: {line}, id: {id:?}, name: {name:?}, \
         description: {description:?}, regex: {regex:?}, secret_group: {secret_group:?}, \
         keywords: {keywords}, min_entropy: {min_entropy:?}, min_randomness: {min_randomness:?}, \
         path: {path:?}, multiline: {multiline}, confidence: {confidence}, \
         test_confidence: {test_confidence}, \
         checksum: {checksum:?}, tags: {tags}, allowlist: [{regexes}, {stopwords}, {paths}, {matches}], \
         references: {references}, examples: {examples}, negative_examples: {negative_examples}, \
         example_path: {example_path:?}, context_lines: {context_lines}, also_match: {also_match}, \
         requires: &{requires:?}, companion_only: {companion_only} }},",
        keywords = list(&keywords),
        tags = list(&tags),
        regexes = list(&regexes),
        stopwords = list(&stopwords),
        paths = list(&paths),
        matches = list(&matches),
        references = list(&references),
        examples = list(&examples),
        negative_examples = list(&negative_examples),
        also_match = list(&also_match),
    )
    .expect("writing to a String");
}
