//! Build facts for `keyhound --version`: the commit the binary was built from and the number of
//! built-in rules.
//!
//! * `KEYHOUND_BUILD_COMMIT`: taken from the environment when set (for packagers building from a
//!   tarball), else from `git` when this package is the top of a git work tree, else `unknown`. A
//!   missing `git` or a tree without `.git` is not an error.
//! * `KEYHOUND_RULE_COUNT`: the `[[rule]]` tables in `rules/*.toml` (a test checks it against the
//!   compiled rule set).

use std::path::Path;
use std::process::Command;

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
