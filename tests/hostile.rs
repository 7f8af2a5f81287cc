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
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
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
fn a_config_in_a_subdirectory_or_under_another_name_is_not_read_by_a_range_scan() {
    let (mut repo, base) = base_repo();
    repo.write("sub/.keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("keyhound.toml", "[allowlist]\npaths = ['''.*''']\n");
    repo.write("sub/app.env", token_line(9007).1);
    repo.commit("add app config");
    assert_secret_found(&repo.scan_range(&base, &[]), "sub/app.env");
}

// ---- text cannot hide from the scanner ----

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
