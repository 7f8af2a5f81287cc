//! Hostile input: what an attacker who controls the scanned repository (a pull request's author) can put
//! in it to blind, fool or crash the scan. Each test builds the attacker's repository with real `git`
//! commands — a trusted base commit, then a pull-request commit that adds a secret together with whatever
//! is meant to silence it — and asserts that the gate still closes: the finding is reported and the exit
//! code is 1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{github_token, Run, TestCommand, TestDir};

/// A repository driven through the `git` program (not libgit2), isolated from the user's git config.
struct GitRepo {
    dir: TestDir,
    commits: u32,
}

impl GitRepo {
    fn new() -> Self {
        let repo = GitRepo {
            dir: TestDir::new(),
            commits: 0,
        };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `git` in the repository and returns its stdout; panics when it fails.
    fn git(&self, args: &[&str]) -> String {
        let (ok, out) = self.try_git(args);
        assert!(ok, "git {args:?} failed: {out}");
        out
    }

    /// Runs `git` in the repository: whether it succeeded, and its stdout (or, on failure, stderr).
    fn try_git(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Mallory")
            .env("GIT_AUTHOR_EMAIL", "mallory@example.org")
            .env("GIT_COMMITTER_NAME", "Mallory")
            .env("GIT_COMMITTER_EMAIL", "mallory@example.org")
            .env(
                "GIT_AUTHOR_DATE",
                format!("{} +0000", 1_700_000_000 + 60 * self.commits),
            )
            .env(
                "GIT_COMMITTER_DATE",
                format!("{} +0000", 1_700_000_000 + 60 * self.commits),
            )
            .output()
            .expect("run git");
        let text = if out.status.success() {
            &out.stdout
        } else {
            &out.stderr
        };
        (
            out.status.success(),
            String::from_utf8_lossy(text).trim().to_string(),
        )
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        self.dir.write(rel, contents)
    }

    /// Stages everything (including ignored files already tracked) and commits; returns the commit id.
    fn commit(&mut self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.commits += 1;
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn cmd(&self, args: &[&str]) -> TestCommand {
        self.dir.cmd(args)
    }

    /// `scan git --range {base}..HEAD --format json` plus `extra`.
    fn scan_range(&self, base: &str, extra: &[&str]) -> Run {
        let range = format!("{base}..HEAD");
        let mut args = vec!["scan", "git", ".", "--range", &range, "--format", "json"];
        args.extend_from_slice(extra);
        self.cmd(&args).run()
    }
}

/// A trusted base: some code on `main`. Returns the repository and the base commit.
fn base_repo() -> (GitRepo, String) {
    let mut repo = GitRepo::new();
    repo.write("src/main.rs", "fn main() {}\n");
    let base = repo.commit("base");
    (repo, base)
}

/// Asserts exit 1 and a GitHub-token finding at `path`.
fn assert_secret_found(run: &Run, path: &str) {
    let found = run.findings();
    assert!(
        found
            .iter()
            .any(|(p, _, r)| p == path && r == "github-pat-classic"),
        "expected a github-pat-classic finding at {path}; got {found:?}\nstderr: {}",
        run.stderr()
    );
    assert_eq!(run.code(), 1, "stderr: {}", run.stderr());
}

fn token_line(seed: u64) -> (String, String) {
    let token = github_token(seed);
    (token.clone(), format!("GITHUB_TOKEN={token}\n"))
}

// ---- the repository under scan cannot switch the scanner off ----

#[test]
fn pr_adding_an_allow_everything_keyhound_config_is_still_scanned() {
    let (mut repo, base) = base_repo();
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("app.env", token_line(9001).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn pr_adding_a_one_rule_gitleaks_config_does_not_replace_the_builtin_rules() {
    let (mut repo, base) = base_repo();
    repo.write(
        ".gitleaks.toml",
        "title = \"mine\"\n[[rules]]\nid = \"nothing\"\nregex = '''zzzqqq[0-9]{40}'''\nkeywords = [\"zzzqqq\"]\n",
    );
    repo.write("app.env", token_line(9002).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn pr_adding_a_gitleaks_config_that_extends_the_defaults_with_an_allowlist_is_still_scanned() {
    let (mut repo, base) = base_repo();
    repo.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''.*''']\n",
    );
    repo.write("app.env", token_line(9003).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn pr_adding_the_secrets_fingerprint_to_keyhoundignore_is_still_scanned() {
    // Anyone who has the secret can compute its fingerprint.
    let (mut repo, base) = base_repo();
    let (token, line) = token_line(9004);
    let fp = keyhound::finding::fingerprint("github-pat-classic", "app.env", token.as_bytes());
    repo.write(".keyhoundignore", format!("{fp}\n"));
    repo.write("app.env", line);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
    // The same fingerprint written with CRLF line ends changes nothing.
    repo.write(".keyhoundignore", format!("# reviewed\r\n{fp}\r\n"));
    repo.commit("crlf");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn pr_adding_a_gitleaksignore_line_is_still_scanned() {
    let (mut repo, base) = base_repo();
    repo.write(".gitleaksignore", "app.env:whatever:1\r\n");
    repo.write("app.env", token_line(9005).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn a_pr_cannot_put_a_new_secret_on_a_line_the_trusted_gitleaksignore_reviewed() {
    // The trusted side reviewed a finding at app.env line 1 (both with and without gitleaks' commit
    // prefix). A line number says nothing about which secret was reviewed: a PR that puts a new secret
    // there is still reported.
    let mut repo = GitRepo::new();
    repo.write("app.env", token_line(9070).1);
    let reviewed = repo.commit("reviewed false positive");
    repo.write(
        ".gitleaksignore",
        format!("app.env:github-pat:1\r\n{reviewed}:app.env:github-pat:1\r\n"),
    );
    let base = repo.commit("base");
    repo.write("app.env", token_line(9071).1);
    repo.commit("pr");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
    // In a full-history audit, an entry naming the reviewed commit holds at that commit only.
    repo.write(
        ".gitleaksignore",
        format!("{reviewed}:app.env:github-pat:1\n"),
    );
    let run = repo
        .cmd(&["scan", "git", ".", "--format", "json", "--all-occurrences"])
        .run();
    let doc = run.json();
    let commits: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "github-pat-classic")
        .map(|f| f["git"]["commit"].as_str().unwrap())
        .collect();
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(commits, vec![head.as_str()], "{doc}");
}

#[test]
fn since_commit_reads_configuration_from_that_commit() {
    let (mut repo, base) = base_repo();
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("app.env", token_line(9006).1);
    repo.commit("add app config");
    let run = repo
        .cmd(&[
            "scan",
            "git",
            ".",
            "--since-commit",
            &base,
            "--format",
            "json",
        ])
        .run();
    assert_secret_found(&run, "app.env");
}

#[test]
fn a_config_in_a_subdirectory_or_under_another_name_is_not_read_by_a_range_scan() {
    let (mut repo, base) = base_repo();
    repo.write("sub/.keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("sub/app.env", token_line(9007).1);
    repo.commit("add app config");
    let run = repo.scan_range(&base, &[]);
    assert_secret_found(&run, "sub/app.env");
    // A config in a subdirectory configures `scan dir sub`: its change is reported too.
    assert!(
        run.findings().contains(&(
            "sub/.keyhound.toml".into(),
            1,
            "scanner-config-changed".into()
        )),
        "{:?}",
        run.findings()
    );
}

#[test]
fn a_symlinked_config_in_the_pr_is_not_read() {
    let (mut repo, base) = base_repo();
    repo.write("allow.toml", "[allowlist]\npaths = ['''.*''']\n");
    std::os::unix::fs::symlink("allow.toml", repo.path().join(".keyhound.toml")).unwrap();
    repo.write("app.env", token_line(9008).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "app.env");
}

#[test]
fn a_symlink_under_a_configs_name_is_an_error_on_the_trusted_side_and_in_a_dir_scan() {
    // A link in the trusted commit would lead into the working tree: refused, exit 2.
    let mut repo = GitRepo::new();
    repo.write("allow.toml", "[allowlist]\npaths = ['''.*''']\n");
    std::os::unix::fs::symlink("allow.toml", repo.path().join(".keyhoundignore")).unwrap();
    let base = repo.commit("base");
    repo.write("app.env", token_line(9040).1);
    repo.commit("pr");
    let run = repo.scan_range(&base, &[]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("not a regular file"),
        "{}",
        run.stderr()
    );
    // A file that is not asked for does not matter.
    assert_secret_found(&repo.scan_range(&base, &["--no-repo-config"]), "app.env");
    // In a directory scan, a link to a device would never end: refused, exit 2.
    let dir = TestDir::new();
    dir.write("app.env", token_line(9041).1);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(".keyhound.toml")).unwrap();
    let run = dir.cmd(&["scan", "dir", "."]).run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains(".keyhound.toml"), "{}", run.stderr());
}

#[test]
fn a_prs_own_rule_examples_are_not_exempt_in_its_scan() {
    // Only the trusted config's examples are documentation; a token the PR calls an example is a token.
    let (mut repo, base) = base_repo();
    repo.write(
        ".keyhound.toml",
        format!(
            "[[rule]]\nid = \"acme\"\nname = \"ACME\"\nregex = '''(acme_[a-z]{{8}})'''\nkeywords = [\"acme_\"]\nexamples = [\"acme_abcdefgh\", \"{}\"]\n",
            github_token(9060)
        ),
    );
    repo.write("docs/.KeyHoundIgnore", "0123456789abcdef0123456789abcdef\n");
    repo.commit("pr");
    let run = repo.scan_range(&base, &[]);
    assert_secret_found(&run, ".keyhound.toml");
    // Any letter case counts as a config change (case-insensitive file systems read it).
    assert!(
        run.findings().contains(&(
            "docs/.KeyHoundIgnore".into(),
            1,
            "scanner-config-changed".into()
        )),
        "{:?}",
        run.findings()
    );
}

#[test]
fn the_trusted_sides_configuration_applies_and_the_pr_cannot_delete_it() {
    let mut repo = GitRepo::new();
    // The base allowlists docs/ and ignores one reviewed fingerprint.
    let (reviewed, reviewed_line) = token_line(9010);
    let fp =
        keyhound::finding::fingerprint("github-pat-classic", "reviewed.env", reviewed.as_bytes());
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''^docs/''']\n");
    repo.write(".keyhoundignore", format!("{fp}\r\n"));
    repo.write("src/main.rs", "fn main() {}\n");
    let base = repo.commit("base");
    repo.write("docs/howto.md", token_line(9011).1);
    repo.write("reviewed.env", reviewed_line);
    repo.commit("docs");
    let run = repo.scan_range(&base, &[]);
    assert_eq!(run.findings(), vec![], "{}", run.stderr());
    assert_eq!(run.code(), 0, "{}", run.stderr());

    // Deleting the trusted config in the PR does not switch it off; the deletion itself is reported.
    std::fs::remove_file(repo.path().join(".keyhound.toml")).unwrap();
    repo.commit("drop config");
    let run = repo.scan_range(&base, &[]);
    let rules: Vec<String> = run.findings().into_iter().map(|f| f.2).collect();
    assert_eq!(rules, vec!["scanner-config-changed"], "{}", run.stdout());
    assert_eq!(run.code(), 1);
}

#[test]
fn an_unrelated_history_is_compared_with_nothing() {
    // No merge base: every config file at the tip is new, and the base's configuration still applies.
    let mut repo = GitRepo::new();
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''^docs/''']\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "--orphan", "pr"]);
    repo.git(&["rm", "-q", "-rf", "."]);
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("docs/ok.env", token_line(9080).1);
    repo.write("app.env", token_line(9081).1);
    repo.commit("unrelated");
    let run = repo.scan_range(&base, &[]);
    let mut found = run.findings();
    found.sort();
    assert_eq!(
        found,
        vec![
            (".keyhound.toml".into(), 1, "scanner-config-changed".into()),
            ("app.env".into(), 1, "github-pat-classic".into()),
        ],
        "{}",
        run.stderr()
    );
}

#[test]
fn a_range_that_changes_scanner_configuration_says_so_and_fails() {
    let (mut repo, base) = base_repo();
    repo.write(".keyhoundignore", "0123456789abcdef0123456789abcdef\n");
    repo.commit("ignore something");
    let run = repo.scan_range(&base, &[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "scanner-config-changed", "{doc}");
    assert_eq!(f["path"], ".keyhoundignore");
    assert!(
        doc["notes"].to_string().contains(".keyhoundignore"),
        "{doc}"
    );
    // SARIF: a result of its own rule, at the file.
    let range = format!("{base}..HEAD");
    let sarif = repo
        .cmd(&["scan", "git", ".", "--range", &range, "--format", "sarif"])
        .run();
    assert_eq!(sarif.code(), 1);
    let doc = sarif.json();
    assert_eq!(
        doc["runs"][0]["results"][0]["ruleId"],
        "scanner-config-changed"
    );
    // Text: said in the report.
    let text = repo.cmd(&["scan", "git", ".", "--range", &range]).run();
    assert!(
        text.stdout().contains("scanner-config-changed"),
        "{}",
        text.stdout()
    );
    // Failing only on live secrets still fails on a change to the gate itself.
    let run = repo.scan_range(&base, &["--verify", "--fail-on", "live"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // A CI that reviews such changes elsewhere (CODEOWNERS) can turn the gate off on the command line.
    let run = repo.scan_range(&base, &["--allow-config-changes"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.json()["notes"].to_string().contains(".keyhoundignore"));
}

#[test]
fn a_repository_without_commits_gets_the_builtin_defaults_only() {
    // Nothing is trusted yet: the first commit's own config does not configure its scan.
    let repo = GitRepo::new();
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write(".gitleaksignore", "app.env:whatever:1\n");
    repo.write("app.env", token_line(9012).1);
    repo.git(&["add", "-A"]);
    let run = repo.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_secret_found(&run, "app.env");
    assert!(
        run.json()["notes"]
            .to_string()
            .contains("built-in defaults"),
        "{}",
        run.stdout()
    );
}

#[test]
fn staged_scans_read_configuration_from_head_not_the_index() {
    let (repo, _) = base_repo();
    let (token, line) = token_line(9013);
    let fp = keyhound::finding::fingerprint("github-pat-classic", "app.env", token.as_bytes());
    repo.write(".keyhoundignore", format!("{fp}\n"));
    repo.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("app.env", line);
    repo.git(&["add", "-A"]);
    let run = repo.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_secret_found(&run, "app.env");
    // The author is told why the staged ignore file did not help.
    let notes = run.json()["notes"].to_string();
    assert!(
        notes.contains("next commit") && notes.contains(".keyhoundignore"),
        "{notes}"
    );
}

#[test]
fn explicit_config_and_ignore_file_replace_the_repositorys_files_including_gitleaksignore() {
    let dir = TestDir::new();
    dir.write("app.env", token_line(9014).1);
    dir.write(".gitleaksignore", "app.env:whatever:1\n");
    dir.write(".keyhoundignore", "");
    dir.write("trusted.toml", "disabled_rules = []\n");
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--config",
            "trusted.toml",
            "--ignore-file",
            ".keyhoundignore",
        ])
        .run();
    assert_secret_found(&run, "app.env");
}

#[test]
fn no_repo_config_ignores_the_trees_configuration() {
    let dir = TestDir::new();
    dir.write("app.env", token_line(9015).1);
    dir.write(".keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    dir.write(".gitleaksignore", "app.env:whatever:1\n");
    // A dir scan trusts the tree it was pointed at...
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // ...unless told not to.
    let run = dir
        .cmd(&["scan", "dir", ".", "--format", "json", "--no-repo-config"])
        .run();
    assert_secret_found(&run, "app.env");
}

#[test]
fn a_token_anywhere_in_the_config_file_is_reported_but_its_rule_examples_are_not() {
    let dir = TestDir::new();
    let (_, line) = token_line(9016);
    dir.write(
        ".keyhound.toml",
        format!(
            r#"# {line}
[[rule]]
id = "acme-token"
name = "ACME internal token"
regex = '''\b(acme_[A-Za-z0-9]{{32}})\b'''
keywords = ["acme_"]
examples = ["acme_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH", "token = '{example}'"]
negative_examples = ["acme_short"]
"#,
            example = github_token(9017)
        ),
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let found = run.findings();
    assert_eq!(
        found,
        vec![(
            ".keyhound.toml".to_string(),
            1,
            "github-pat-classic".to_string()
        )],
        "{}",
        run.stderr()
    );
    assert_eq!(run.code(), 1);
}

#[test]
fn a_gitleaks_config_that_replaces_the_builtin_rules_says_so() {
    let dir = TestDir::new();
    dir.write(
        ".gitleaks.toml",
        "title = \"mine\"\n[[rules]]\nid = \"nothing\"\nregex = '''zzzqqq[0-9]{40}'''\nkeywords = [\"zzzqqq\"]\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let notes = run.json()["notes"].to_string();
    assert!(notes.contains("replace"), "{notes}");
    assert!(run.stderr().contains("replace"), "{}", run.stderr());
    // SARIF carries the notes as notifications.
    let run = dir.cmd(&["scan", "dir", ".", "--format", "sarif"]).run();
    let doc = run.json();
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains("replace") && notes.contains("\"note\""),
        "{notes}"
    );
}

// ---- text cannot hide from the scanner ----

#[test]
fn the_pre_commit_hook_sees_what_commit_dash_a_records() {
    // `git commit -a` stages into a separate index named by GIT_INDEX_FILE: the hook must scan that one.
    let (mut repo, _) = base_repo();
    repo.write("app.env", "x=1\n");
    repo.commit("app");
    let run = repo.cmd(&["hook", "install"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    repo.write("app.env", token_line(9050).1);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let (ok, err) = repo.try_git(&["commit", "-q", "-a", "-m", "sneak it in"]);
    assert!(!ok, "the commit went through: {err}");
    assert!(
        err.contains("github-pat-classic") || err.contains("secret"),
        "{err}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    // `git commit PATH` does the same.
    let (ok, err) = repo.try_git(&["commit", "-q", "-m", "sneak it in", "app.env"]);
    assert!(!ok, "the commit went through: {err}");
}

#[test]
fn dir_scan_scans_tracked_files_that_gitignore_matches() {
    let (mut repo, _) = base_repo();
    repo.write(".gitignore", ".env\nbuild/\nconf/*.env\n");
    repo.write(".env", token_line(9020).1);
    repo.write("build/deploy.env", token_line(9021).1);
    repo.write("conf/prod.env", token_line(9023).1);
    repo.git(&["add", "-f", ".env", "build/deploy.env", "conf/prod.env"]);
    repo.commit("force-add");
    repo.write("build/untracked.env", token_line(9022).1);
    repo.write("conf/local.env", token_line(9024).1);
    let run = repo.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let mut paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    paths.sort();
    // Tracked files are scanned; ignored files that are not tracked stay skipped.
    assert_eq!(
        paths,
        vec![".env", "build/deploy.env", "conf/prod.env"],
        "{}",
        run.stderr()
    );
    assert_eq!(run.code(), 1);
    // From a subdirectory of the work tree too.
    let run = repo.cmd(&["scan", "dir", "conf", "--format", "json"]).run();
    let paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec!["prod.env"], "{}", run.stderr());
    // --no-ignore scans everything, once.
    let run = repo
        .cmd(&["scan", "dir", ".", "--format", "json", "--no-ignore"])
        .run();
    assert_eq!(run.findings().len(), 5, "{}", run.stdout());
}

#[test]
fn max_file_size_does_not_wrap_and_zero_is_refused() {
    let dir = TestDir::new();
    dir.write("app.env", token_line(9030).1);
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--max-file-size",
            "18446744073709551615",
        ])
        .run();
    assert_secret_found(&run, "app.env");
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--max-file-size",
            "99999999999999G",
        ])
        .run();
    assert_secret_found(&run, "app.env");
    let run = dir.cmd(&["scan", "dir", ".", "--max-file-size", "0"]).run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("max-file-size"), "{}", run.stderr());
}

// ---- faults cannot make a scan stop or look clean ----

/// Runs `keyhound args` in `dir` with stdout a pipe whose reader is already closed (`| head` that has
/// read its line): every write to stdout fails with a broken pipe. Returns the exit code and stderr.
fn run_into_closed_pipe(dir: &Path, args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_keyhound"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run keyhound");
    let code = out.status.code().expect("exit code");
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_pipe_does_not_turn_findings_or_errors_into_success() {
    let dir = TestDir::new();
    dir.write("app.env", token_line(9100).1);
    for format in ["text", "json", "sarif"] {
        let (code, stderr) = run_into_closed_pipe(dir.path(), &["scan", "dir", ".", "-f", format]);
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(stderr.contains("finding"), "{format}: {stderr}");
    }
    // Errors still outrank findings.
    let (code, stderr) = run_into_closed_pipe(dir.path(), &["scan", "dir", ".", "no-such-dir"]);
    assert_eq!(code, 2, "{stderr}");
    // A clean scan stays clean.
    let clean = TestDir::new();
    clean.write("main.rs", "fn main() {}\n");
    let (code, stderr) = run_into_closed_pipe(clean.path(), &["scan", "dir", "."]);
    assert_eq!(code, 0, "{stderr}");
}

/// Removes the loose object `id` from the repository (as a disk error or a bad copy would).
fn delete_loose_object(repo: &GitRepo, id: &str) {
    let path = repo
        .path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..]);
    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A history of four commits whose second commit's tree `conf/keys` and third commit are then deleted;
/// the fourth commit adds a secret. Returns the repository, the base commit, the deleted ids and the
/// secret's path.
fn repository_with_missing_objects() -> (GitRepo, String, [String; 2]) {
    let (mut repo, base) = base_repo();
    repo.write("conf/keys/a.env", token_line(9110).1);
    repo.commit("keys");
    let tree = repo.git(&["rev-parse", "HEAD:conf/keys"]);
    repo.write("README", "hello\n");
    let commit = repo.commit("readme");
    repo.write("app.env", token_line(9111).1);
    repo.commit("app");
    delete_loose_object(&repo, &tree);
    delete_loose_object(&repo, &commit);
    (repo, base, [tree, commit])
}

#[test]
fn a_missing_tree_or_commit_is_reported_and_the_rest_of_the_history_is_scanned() {
    let (repo, base, [tree, commit]) = repository_with_missing_objects();
    for range in [None, Some(format!("{base}..HEAD"))] {
        let mut args = vec!["scan", "git", ".", "--format", "json"];
        args.extend(["--report-path", "report.json"]);
        if let Some(range) = &range {
            args.extend(["--range", range.as_str()]);
        }
        let run = repo.cmd(&args).run();
        assert_eq!(run.code(), 2, "{range:?}: {}", run.stderr());
        assert!(run.stderr().contains(&commit), "{}", run.stderr());
        // The report is written, with the errors and what the rest of the history holds.
        let report = std::fs::read_to_string(repo.path().join("report.json")).expect("report");
        let doc: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert_eq!(doc["summary"]["complete"], false, "{doc}");
        let errors = doc["errors"].to_string();
        assert!(errors.contains(&commit), "{errors}");
        let paths: Vec<&str> = (doc["findings"].as_array().unwrap().iter())
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&"app.env"), "{range:?}: {doc}");
        if range.is_none() {
            // The tree is missing in the second commit: said so, naming it and its path.
            assert!(
                errors.contains(&tree) && errors.contains("conf/keys"),
                "{errors}"
            );
        }
    }
}

// ---- text cannot hide in binary-looking files ----

/// `text` in UTF-16 of the given byte order, with or without a byte-order mark.
fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    units
        .flat_map(|u| {
            if little_endian {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

#[test]
fn a_nul_byte_or_utf16_does_not_hide_a_secret() {
    let dir = TestDir::new();
    // One NUL byte up front, then text: the text is scanned, at its line in the file.
    let mut nul = b"\0header\n".to_vec();
    nul.extend_from_slice(token_line(9120).1.as_bytes());
    dir.write("nul.env", nul);
    // A real binary with a token inside (as `strings` would show it).
    let mut bin: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    // Lines count the file's own newline bytes, as `grep -a -n` does.
    let bin_line = 1 + bin.iter().filter(|&&b| b == b'\n').count() as u64;
    bin.extend_from_slice(token_line(9121).1.as_bytes());
    bin.extend((0..=255u8).rev().cycle().take(3000));
    dir.write("app.bin", bin);
    // UTF-16 as Windows tools save it: LE with a mark, BE without one, LE without one.
    let text = |seed| format!("# settings\r\n{}", token_line(seed).1);
    dir.write("le.env", utf16(&text(9122), true, true));
    dir.write("be.env", utf16(&text(9123), false, false));
    dir.write("le-nobom.env", utf16(&text(9124), true, false));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let mut found = run.findings();
    found.sort();
    let at = |p: &str, line| (p.to_string(), line, "github-pat-classic".to_string());
    assert_eq!(
        found,
        vec![
            at("app.bin", bin_line),
            at("be.env", 2),
            at("le-nobom.env", 2),
            at("le.env", 2),
            at("nul.env", 2)
        ],
        "{}",
        run.stderr()
    );
    assert_eq!(run.code(), 1);
    // The same from standard input.
    let run = TestCommand::new(&["scan", "stdin", "--format", "json"])
        .stdin(utf16(&text(9125), true, true))
        .run();
    assert_secret_found(&run, "<stdin>");
}

#[test]
fn binary_looking_files_in_history_and_ranges_are_scanned() {
    let (mut repo, base) = base_repo();
    repo.write("win.env", utf16(&token_line(9130).1, true, true));
    let mut nul = b"\0".to_vec();
    nul.extend_from_slice(token_line(9131).1.as_bytes());
    repo.write("data.dat", nul);
    repo.commit("add");
    let run = repo.scan_range(&base, &[]);
    assert_secret_found(&run, "win.env");
    assert_secret_found(&run, "data.dat");
    let run = repo.cmd(&["scan", "git", ".", "--format", "json"]).run();
    assert_secret_found(&run, "win.env");
    assert_secret_found(&run, "data.dat");
}

// ---- commit messages are content ----

#[test]
fn a_token_in_a_commit_message_is_found_in_history_and_range_scans() {
    let (mut repo, base) = base_repo();
    repo.write("src/lib.rs", "pub fn f() {}\n");
    let (_, line) = token_line(9140);
    let commit = repo.commit(&format!("fix deploy\n\nused {line}"));
    // An empty commit (no file changes) is a place too.
    let empty = repo.commit(&format!("retry\n\n{}", token_line(9141).1));
    for run in [
        repo.scan_range(&base, &[]),
        repo.cmd(&["scan", "git", ".", "--format", "json"]).run(),
    ] {
        assert_secret_found(&run, "<commit message>");
        let doc = run.json();
        let commits: Vec<(&str, u64)> = (doc["findings"].as_array().unwrap().iter())
            .filter(|f| f["path"] == "<commit message>")
            .map(|f| {
                (
                    f["git"]["commit"].as_str().unwrap(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(commits.len(), 2, "{doc}");
        assert!(commits.contains(&(commit.as_str(), 3)), "{doc}");
        assert!(commits.contains(&(empty.as_str(), 3)), "{doc}");
    }
    // The text report names the commit.
    let text = repo.cmd(&["scan", "git", "."]).run();
    assert!(
        text.stdout().contains("<commit message>"),
        "{}",
        text.stdout()
    );
    assert!(text.stdout().contains(&commit[..7]), "{}", text.stdout());
}

// ---- what the report shows cannot be turned against its reader ----

/// Characters a terminal acts on: escape sequences (screen clear, window title, colour), bell, carriage
/// return, backspace, and a right-to-left override.
const TERMINAL_ATTACKS: [char; 6] = ['\x1b', '\x07', '\r', '\x08', '\u{9b}', '\u{202E}'];

#[test]
fn control_characters_from_the_repository_never_reach_the_terminal_raw() {
    let repo = GitRepo::new();
    let name = "a\x1b]0;pwned\x07\u{202E}vne.txt";
    repo.write(name, token_line(9201).1);
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--author=Eve\x1b[31m\x08 <eve@example.org>",
        "-m",
        "fix\x1b[2J\u{9b}H\rall good",
    ]);
    for args in [
        &["scan", "git", "."][..],
        &["scan", "dir", ".", "--format", "text"][..],
    ] {
        let run = repo.cmd(args).run();
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        for (what, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
            assert!(
                !text.contains(TERMINAL_ATTACKS),
                "{args:?}: raw control character on {what}: {text:?}"
            );
        }
        // Escaped, not dropped: the reader sees that the name holds them.
        assert!(
            run.stdout().contains("a\\x1b]0;pwned\\x07\\u{202e}vne.txt"),
            "{}",
            run.stdout()
        );
        if args[1] == "git" {
            assert!(run.stdout().contains("fix\\x1b[2J\\x9bH\\rall good"));
            assert!(run.stdout().contains("Eve\\x1b[31m"), "{}", run.stdout());
        }
    }
    // JSON keeps the exact name (JSON escapes it itself).
    let run = repo.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert!(run.findings().iter().any(|(p, _, _)| p == name));
}

#[test]
fn sarif_never_shows_credentials_from_the_remote_url() {
    let mut repo = GitRepo::new();
    repo.write("app.env", token_line(9202).1);
    repo.commit("app");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://ci:hunter2pw@git.example.org/team/app.git?access_token=qtok123#ftok456",
    ]);
    let run = repo.cmd(&["scan", "git", ".", "--format", "sarif"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let uri = &doc["runs"][0]["versionControlProvenance"][0]["repositoryUri"];
    assert_eq!(uri, "https://git.example.org/team/app.git", "{doc}");
    for secret in ["hunter2pw", "qtok123", "ftok456"] {
        assert!(!run.stdout().contains(secret), "{secret} in the report");
    }
}

/// A repository whose one commit adds two files with a token each and has a message of about `size`
/// bytes in one paragraph (so that all of it is the commit's subject), with a token in it.
fn repo_with_huge_message(size: usize) -> GitRepo {
    let (mut repo, _) = base_repo();
    repo.write("app.env", token_line(9210).1);
    repo.write("other.env", token_line(9212).1);
    let mut message = "deploy ".repeat(size / 7);
    message.push_str(&token_line(9211).1);
    message.push_str(&"again ".repeat(1000));
    let outside = TestDir::new(); // not in the work tree, or it would be committed
    let message_file = outside.write("msg.txt", &message);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-F", message_file.to_str().unwrap()]);
    repo.commits += 1;
    repo
}

/// A scan of `repo`'s history in `format`, with the size limit raised so that a huge message is
/// scanned whole; asserts that the findings are there and that neither stdout nor stderr is large.
fn bounded_scan(repo: &GitRepo, format: &str) -> Run {
    let args = [
        "scan",
        "git",
        ".",
        "--max-file-size",
        "64000000",
        "--format",
        format,
    ];
    let run = repo.cmd(&args).run();
    assert_eq!(run.code(), 1, "{format}: {}", run.stderr());
    let size = run.0.stdout.len();
    assert!(size < 64 << 10, "{format}: a {size}-byte report");
    assert!(run.0.stderr.len() < 64 << 10, "{format}: stderr");
    run
}

#[test]
fn a_50_mb_commit_message_is_not_copied_into_every_report() {
    let repo = repo_with_huge_message(50 << 20);
    let run = bounded_scan(&repo, "json");
    assert_secret_found(&run, "app.env");
    assert_secret_found(&run, "<commit message>");
    let doc = run.json();
    for f in doc["findings"].as_array().unwrap() {
        let summary = f["git"]["summary"].as_str().unwrap();
        assert!(summary.starts_with("deploy deploy"), "{summary:.80}");
        let total: usize = (summary.rsplit_once("…[truncated, "))
            .and_then(|(_, tail)| tail.strip_suffix(" bytes in all]"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no truncation marker: {summary}"));
        assert!(total > 50_000_000, "{total}");
    }
    // Every format copies the same bounded text (a 4 MB subject, ~1000 times the bound, shows it);
    // the JUnit report names no commit subject at all.
    let repo = repo_with_huge_message(4 << 20);
    for format in ["sarif", "text", "junit", "gitlab"] {
        let run = bounded_scan(&repo, format);
        let shown = run.stdout().contains("…[truncated, ");
        assert_eq!(shown, format != "junit", "{format}");
    }
}

// ---- fingerprints and redaction give no guesser a head start ----

/// `(fingerprint, secret id, redacted)` of each finding of a JSON report, by rule, in report order.
fn identities(run: &Run) -> Vec<(String, String, String, String)> {
    let doc = run.json();
    let findings = doc["findings"].as_array().unwrap();
    let secret_of = |i: usize| {
        (doc["secrets"].as_array().unwrap().iter())
            .find(|s| s["findings"].as_array().unwrap().contains(&i.into()))
            .map(|s| s["id"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    (findings.iter().enumerate())
        .map(|(i, f)| {
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (
                text("rule_id"),
                text("fingerprint"),
                secret_of(i),
                text("redacted"),
            )
        })
        .collect()
}

#[test]
fn keyed_fingerprints_resist_guessing_and_weak_secrets_show_nothing_of_themselves() {
    let dir = TestDir::new();
    let (token, line) = token_line(9301);
    dir.write("app.env", format!("DB_PASSWORD=admin2024\n{line}"));
    let scan = |key: Option<&str>, extra: &[&str]| {
        let mut args = vec!["scan", "dir", ".", "--format", "json"];
        args.extend_from_slice(extra);
        let cmd = dir.cmd(&args);
        match key {
            Some(k) => cmd.env("KEYHOUND_FINGERPRINT_KEY", k),
            None => cmd,
        }
        .run()
    };
    let unkeyed = identities(&scan(None, &[]));
    assert_eq!(unkeyed.len(), 2, "{unkeyed:?}");
    // A weak password shows nothing of itself (it showed `ad***`); a token shows its public prefix.
    let password = unkeyed.iter().find(|f| f.0.contains("password")).unwrap();
    assert_eq!(password.3, "***(8-15 chars)");
    let pat = unkeyed
        .iter()
        .find(|f| f.0 == "github-pat-classic")
        .unwrap();
    assert_eq!(pat.3, "ghp_***");
    // Unkeyed, anyone can recompute a fingerprint from a guess: stable across machines.
    let guess = keyhound::finding::fingerprint("github-pat-classic", "app.env", token.as_bytes());
    assert_eq!(pat.1, guess);
    // Keyed: none of it can be recomputed without the key; the same key gives the same values.
    let key_a = crate::util::random_token(9302, 48, crate::util::ALNUM);
    let key_b = crate::util::random_token(9303, 48, crate::util::ALNUM);
    let keyed_a = identities(&scan(Some(&key_a), &[]));
    assert_eq!(keyed_a, identities(&scan(Some(&key_a), &[])));
    let keyed_b = identities(&scan(Some(&key_b), &[]));
    for ((u, a), b) in unkeyed.iter().zip(&keyed_a).zip(&keyed_b) {
        assert_eq!((&u.0, &u.3), (&a.0, &a.3), "same findings, same redaction");
        assert!(
            u.1 != a.1 && a.1 != b.1 && u.1 != b.1,
            "fingerprints {u:?} {a:?} {b:?}"
        );
        assert!(
            u.2 != a.2 && a.2 != b.2 && u.2 != b.2,
            "secret ids {u:?} {a:?} {b:?}"
        );
    }
    // A guessable key is refused, exit 2.
    let weak = scan(Some("password12345678"), &[]);
    assert_eq!(weak.code(), 2, "{}", weak.stderr());
    assert!(
        weak.stderr().contains("KEYHOUND_FINGERPRINT_KEY"),
        "{}",
        weak.stderr()
    );
}

#[test]
fn a_baseline_records_its_fingerprint_key_and_refuses_another() {
    let dir = TestDir::new();
    dir.write("app.env", token_line(9311).1);
    let key = crate::util::random_token(9312, 48, crate::util::ALNUM);
    let base = dir.path().join("kh.baseline");
    let base = base.to_str().unwrap();
    let run = |key: Option<&str>, args: &[&str]| {
        let cmd = dir.cmd(args);
        match key {
            Some(k) => cmd.env("KEYHOUND_FINGERPRINT_KEY", k),
            None => cmd,
        }
        .run()
    };
    let write = run(Some(&key), &["scan", "dir", ".", "--write-baseline", base]);
    assert_eq!(write.code(), 1, "{}", write.stderr());
    let text = std::fs::read_to_string(base).unwrap();
    assert!(text.contains("# identities: keyed "), "{text}");
    assert!(!text.contains(&key), "the baseline holds the key");
    // the same key: the baseline holds, clean
    let same = run(Some(&key), &["scan", "dir", ".", "--baseline", base]);
    assert_eq!(same.code(), 0, "{}", same.stderr());
    // no key or another key: refused with a clear error, exit 2 (not everything, not nothing)
    let other = crate::util::random_token(9313, 48, crate::util::ALNUM);
    for k in [None, Some(other.as_str())] {
        let r = run(k, &["scan", "dir", ".", "--baseline", base]);
        assert_eq!(r.code(), 2, "{k:?}: {}", r.stderr());
        assert!(r.stderr().contains("fingerprint key"), "{}", r.stderr());
        assert!(r.stdout().is_empty(), "{}", r.stdout());
    }
    // an unkeyed baseline says so, and a keyed scan refuses it
    let write = run(None, &["scan", "dir", ".", "--write-baseline", base]);
    assert_eq!(write.code(), 1, "{}", write.stderr());
    assert!(std::fs::read_to_string(base)
        .unwrap()
        .contains("# identities: unkeyed"));
    let r = run(Some(&key), &["scan", "dir", ".", "--baseline", base]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
}

// ---- file names that are not UTF-8 stay distinct ----

/// Two files whose names differ only in a byte that is not UTF-8, each holding its own token; the
/// names as `scan` prints them (`\xff`, `\xfe`).
#[cfg(unix)]
fn write_non_utf8_names(root: &Path) -> [&'static str; 2] {
    use std::os::unix::ffi::OsStrExt;
    for (name, seed) in [(&b"key\xff.env"[..], 9401), (&b"key\xfe.env"[..], 9402)] {
        let path = root.join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, token_line(seed).1).unwrap();
    }
    ["key\\xff.env", "key\\xfe.env"]
}

#[cfg(unix)]
#[test]
fn file_names_that_differ_only_in_invalid_bytes_are_two_files_in_every_report() {
    let mut repo = GitRepo::new();
    let names = write_non_utf8_names(repo.path());
    repo.commit("two keys");
    for mode in ["dir", "git"] {
        let run = repo.cmd(&["scan", mode, ".", "--format", "json"]).run();
        assert_eq!(run.code(), 1, "{mode}: {}", run.stderr());
        let doc = run.json();
        let findings = doc["findings"].as_array().unwrap();
        let of = |name: &str| {
            (findings.iter())
                .find(|f| f["path"] == name)
                .unwrap_or_else(|| panic!("{mode}: no finding at {name}: {doc}"))
        };
        let (a, b) = (of(names[0]), of(names[1]));
        assert_eq!(a["path_escaped"], true, "{mode}");
        assert_ne!(a["fingerprint"], b["fingerprint"], "{mode}");
        assert!(!run.stdout().contains('\u{fffd}'), "{mode}: a lossy name");
        // SARIF names each file by its bytes, percent-encoded
        let sarif = repo.cmd(&["scan", mode, ".", "--format", "sarif"]).run();
        let text = sarif.stdout();
        assert!(
            text.contains("\"key%FF.env\"") && text.contains("\"key%FE.env\""),
            "{mode}"
        );
        // the text report prints both names, escaped
        let plain = repo.cmd(&["scan", mode, "."]).run().stdout();
        for name in names {
            assert!(plain.contains(name), "{mode}: {name} not in {plain}");
        }
    }
}
