//! Git scans end to end: history, ranges, staged changes and the hook, on repositories built in temp dirs.

use crate::util::{github_token, TestCommand, TestRepo};

fn scan_git(repo: &TestRepo, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["scan", "git", ".", "--format", "json"];
    args.extend_from_slice(extra);
    repo.dir.cmd(&args).run()
}

#[test]
fn secret_deleted_from_history_is_found_by_git_not_by_dir() {
    let mut repo = TestRepo::new();
    let token = github_token(100);
    repo.commit(&[("README.md", Some("# app\n"))], "init");
    let added = repo.commit(
        &[("config/app.env", Some(&format!("GITHUB_TOKEN={token}\n")))],
        "add config",
    );
    repo.commit(&[("src/main.rs", Some("fn main() {}\n"))], "code");
    repo.commit(&[("config/app.env", None)], "remove config");

    let run = scan_git(&repo, &[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let f = &doc["findings"][0];
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(f["path"], "config/app.env");
    assert_eq!(f["line"], 1);
    assert_eq!(f["git"]["commit"], added.to_string());
    assert_eq!(f["git"]["author_name"], "Ada Lovelace");
    assert_eq!(f["git"]["author_email"], "ada@example.org");
    assert_eq!(f["git"]["summary"], "add config");
    assert_eq!(f["git"]["present_at_head"], false);
    assert!(f["git"]["date"]
        .as_str()
        .unwrap()
        .starts_with("2023-11-14T"));

    let run = repo
        .dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run();
    assert_eq!(run.findings(), vec![]);
}

#[test]
fn the_same_secret_in_a_thousand_commits_is_one_finding() {
    let mut repo = TestRepo::new();
    let token = github_token(101);
    for i in 0..1000 {
        repo.commit(
            &[(
                "deploy.env",
                Some(&format!("GITHUB_TOKEN={token}\nBUILD={i}\n")),
            )],
            &format!("build {i}"),
        );
    }
    let run = scan_git(&repo, &[]);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["findings"][0]["git"]["commits"], 1000);
    assert_eq!(doc["findings"][0]["git"]["summary"], "build 0");
    assert_eq!(doc["findings"][0]["git"]["present_at_head"], true);
    assert_eq!(
        doc["summary"]["files_scanned"], 2000,
        "every unique blob once, and every distinct commit message"
    );

    let run = scan_git(&repo, &["--all-occurrences"]);
    assert_eq!(run.json()["findings"].as_array().unwrap().len(), 1000);
}

#[test]
fn ranges_report_only_what_they_add() {
    let mut repo = TestRepo::new();
    let old = github_token(102);
    let new = github_token(103);
    let base = repo.commit(&[("app.env", Some(&format!("OLD={old}\n")))], "base");
    repo.commit(
        &[("app.env", Some(&format!("OLD={old}\nNEW={new}\n")))],
        "add new",
    );
    let run = scan_git(&repo, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(run.code(), 1);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["findings"][0]["line"], 2);
    // the same with --since-commit
    let run = scan_git(&repo, &["--since-commit", &base.to_string()]);
    assert_eq!(run.json()["findings"].as_array().unwrap().len(), 1);
    // an empty range is clean, not an error
    let run = scan_git(&repo, &["--range", "HEAD..HEAD"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // an unknown revision is an error
    let run = scan_git(&repo, &["--range", "nope..HEAD"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("nope"), "{}", run.stderr());
}

#[test]
fn ranges_handle_renames_deletions_and_merges() {
    let mut repo = TestRepo::new();
    let kept = github_token(104);
    let mainline = github_token(105);
    let feature_secret = github_token(106);
    let base = repo.commit(
        &[
            ("a.env", Some(&format!("T={kept}\n"))),
            ("b.txt", Some("b\n")),
        ],
        "base",
    );
    // main moves on with its own secret
    let main_tip = repo.commit(
        &[("main.env", Some(&format!("M={mainline}\n")))],
        "main work",
    );
    // feature branches from base, renames a.env, deletes b.txt, merges main, adds its own secret
    repo.branch("feature", base);
    repo.commit(
        &[
            ("a.env", None),
            ("renamed.env", Some(&format!("T={kept}\n"))),
            ("b.txt", None),
        ],
        "rename",
    );
    repo.stage(&[("main.env", Some(&format!("M={mainline}\n")))]);
    repo.commit_index("merge main", &[main_tip]);
    repo.commit(
        &[("feature.env", Some(&format!("F={feature_secret}\n")))],
        "feature secret",
    );
    repo.repo
        .branch("main", &repo.repo.find_commit(main_tip).unwrap(), true)
        .unwrap();

    let run = scan_git(&repo, &["--range", "main..feature"]);
    let paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec!["feature.env"], "{}", run.stdout());
    // the full audit sees all three
    let run = scan_git(&repo, &[]);
    let mut paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec!["a.env", "feature.env", "main.env", "renamed.env"]
    );
}

#[test]
fn staged_reports_only_what_the_commit_adds() {
    let mut repo = TestRepo::new();
    // a repository with no commits yet: the index against the empty tree
    let first = github_token(107);
    repo.stage(&[("a.env", Some(&format!("A={first}\n")))]);
    let run = repo.dir.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(
        run.findings(),
        vec![("a.env".to_string(), 1, "github-pat-classic".to_string())]
    );
    repo.commit_index("first", &[]);

    // editing another line of a file that already holds a secret adds nothing
    repo.stage(&[("a.env", Some(&format!("# comment\nA={first}\n")))]);
    let run = repo.dir.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_eq!(run.code(), 0, "{}", run.stdout());

    // a new secret in a modified file is reported at its staged line
    let second = github_token(108);
    repo.stage(&[(
        "a.env",
        Some(&format!("# comment\nA={first}\nB={second}\n")),
    )]);
    let run = repo.dir.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_eq!(
        run.findings(),
        vec![("a.env".to_string(), 3, "github-pat-classic".to_string())]
    );
    // unstaged changes in the work tree are not what the commit records
    repo.dir
        .write("b.env", format!("B={}\n", github_token(109)));
    let run = repo.dir.cmd(&["scan", "staged", "--format", "json"]).run();
    assert_eq!(run.findings().len(), 1);
}

#[test]
fn hook_install_blocks_a_commit_with_a_secret() {
    let mut repo = TestRepo::new();
    repo.commit(&[("README.md", Some("# x\n"))], "init");
    let run = repo.dir.cmd(&["hook", "install"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let hook = repo.path().join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("scan staged"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111 != 0);
    }
    // reinstalling our own hook is fine; a foreign hook is kept unless --force
    assert_eq!(repo.dir.cmd(&["hook", "install"]).run().code(), 0);
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let run = repo.dir.cmd(&["hook", "install"]).run();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--force"), "{}", run.stderr());
    assert_eq!(
        repo.dir.cmd(&["hook", "install", "--force"]).run().code(),
        0
    );

    // the hook runs under real git when it is on this machine
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok()
    {
        repo.stage(&[("leak.env", Some(&format!("T={}\n", github_token(110))))]);
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.org",
                "commit",
                "-q",
                "-m",
                "leak",
            ])
            .current_dir(repo.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        assert!(!out.status.success(), "the commit must be blocked");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("keyhound:allow"), "{err}");
        assert!(err.contains("--no-verify"), "{err}");
    }
}

#[test]
fn range_shorthands_mean_what_git_means() {
    let mut repo = TestRepo::new();
    let old = github_token(120);
    let new = github_token(121);
    let base = repo.commit(&[("app.env", Some(&format!("OLD={old}\n")))], "base");
    repo.commit(
        &[("app.env", Some(&format!("OLD={old}\nNEW={new}\n")))],
        "add new",
    );
    let lines = |run: &crate::util::Run| -> Vec<u64> {
        run.findings()
            .into_iter()
            .map(|(_, line, _)| line)
            .collect()
    };
    // `A..` is `A..HEAD`: what HEAD adds since base.
    let run = scan_git(&repo, &["--range", &format!("{base}..")]);
    assert_eq!(lines(&run), vec![2], "{}", run.stderr());
    // `..B` is `HEAD..B`: base has nothing HEAD lacks. (It used to mean everything reachable from B.)
    let run = scan_git(&repo, &["--range", &format!("..{base}")]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(lines(&run), Vec::<u64>::new());
    // The symmetric difference is refused, not read as `A..B` as it used to be.
    let run = scan_git(&repo, &["--range", &format!("{base}...HEAD")]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("symmetric difference"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.stdout(), "");
    for bad in [&format!("{base}....HEAD")[..], "HEAD", ".."] {
        let run = scan_git(&repo, &["--range", bad]);
        assert_eq!(run.code(), 2, "{bad}");
        assert!(run.stderr().contains("--range"), "{bad}: {}", run.stderr());
    }
}

#[test]
fn all_refs_covers_every_branch_and_excludes_narrower_flags() {
    let mut repo = TestRepo::new();
    let first = repo.commit(&[("README.md", Some("# x\n"))], "init");
    repo.branch("side", first);
    repo.commit(
        &[("side.env", Some(&format!("T={}\n", github_token(122))))],
        "side secret",
    );
    repo.branch("main", first);
    // Only the side branch has the secret; HEAD is on main.
    assert_eq!(scan_git(&repo, &["--branch", "main"]).code(), 0);
    for flags in [&[][..], &["--all-refs"]] {
        let run = scan_git(&repo, flags);
        assert_eq!(run.findings().len(), 1, "{flags:?}: {}", run.stderr());
    }
    let run = scan_git(&repo, &["--all-refs", "--branch", "main"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("cannot be used with"),
        "{}",
        run.stderr()
    );
}

#[test]
fn hook_install_force_keeps_a_backup_and_uninstall_restores_it() {
    let mut repo = TestRepo::new();
    repo.commit(&[("README.md", Some("# x\n"))], "init");
    let hooks = repo.path().join(".git/hooks");
    let hook = hooks.join("pre-commit");
    let backup = hooks.join("pre-commit.keyhound-backup");
    let theirs = "#!/bin/sh\n# the team's own checks\nexit 0\n";
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(&hook, theirs).unwrap();

    let run = repo.dir.cmd(&["hook", "install", "--force"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("pre-commit.keyhound-backup"),
        "{}",
        run.stderr()
    );
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), theirs);
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("# installed by keyhound"));
    // Reinstalling over our own hook makes no second backup.
    assert_eq!(
        repo.dir.cmd(&["hook", "install", "--force"]).run().code(),
        0
    );
    assert!(!hooks.join("pre-commit.keyhound-backup.1").exists());

    // Uninstall removes our hook and puts theirs back.
    let run = repo.dir.cmd(&["hook", "uninstall"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("restored"), "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
    assert!(!backup.exists());

    // A hook keyhound did not write is never removed.
    let run = repo.dir.cmd(&["hook", "uninstall"]).run();
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("not written by keyhound"),
        "{}",
        run.stderr()
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);

    // Nothing to uninstall is not an error.
    std::fs::remove_file(&hook).unwrap();
    let run = repo.dir.cmd(&["hook", "uninstall"]).run();
    assert_eq!(run.code(), 0);
    assert!(
        run.stderr().contains("no pre-commit hook"),
        "{}",
        run.stderr()
    );
}

#[test]
fn hook_install_respects_core_hooks_path() {
    let mut repo = TestRepo::new();
    repo.commit(&[("README.md", Some("# x\n"))], "init");
    repo.repo
        .config()
        .unwrap()
        .set_str("core.hooksPath", ".githooks")
        .unwrap();
    assert_eq!(repo.dir.cmd(&["hook", "install"]).run().code(), 0);
    assert!(repo.path().join(".githooks/pre-commit").exists());
}

#[test]
fn not_a_repository_is_a_one_line_error() {
    let dir = crate::util::TestDir::new();
    for sub in [&["scan", "git", "."][..], &["scan", "staged"][..]] {
        let run = dir.cmd(sub).run();
        assert_eq!(run.code(), 2);
        assert!(
            run.stderr().contains("is not a git repository"),
            "{}",
            run.stderr()
        );
        assert_eq!(run.stderr().trim().lines().count(), 1, "{}", run.stderr());
    }
}

#[test]
fn bare_repository_empty_repository_and_non_utf8_paths() {
    let mut repo = TestRepo::new();
    // no commits yet: clean, with a note
    let run = scan_git(&repo, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.json()["notes"][0]
        .as_str()
        .unwrap()
        .contains("no commits"));

    repo.commit(
        &[("caf\u{e9}.env", Some(&format!("T={}\n", github_token(111))))],
        "unicode path",
    );
    let bare = crate::util::TestDir::new();
    let url = format!("file://{}", repo.path().display());
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&url, &bare.path().join("b.git"))
        .unwrap();
    let run = TestCommand::new(&[
        "scan",
        "git",
        bare.path().join("b.git").to_str().unwrap(),
        "--format",
        "json",
    ])
    .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.findings()[0].0, "caf\u{e9}.env");
}

#[test]
fn a_missing_object_is_reported_and_the_scan_goes_on() {
    let mut repo = TestRepo::new();
    repo.commit(
        &[("a.env", Some(&format!("T={}\n", github_token(112))))],
        "a",
    );
    repo.commit(&[("gone.txt", Some("this blob will be removed\n"))], "b");
    let blob = repo
        .repo
        .revparse_single("HEAD:gone.txt")
        .unwrap()
        .id()
        .to_string();
    let loose = repo
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(loose).unwrap();
    let run = scan_git(&repo, &[]);
    assert_eq!(run.code(), 2, "errors outrank findings");
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert!(
        doc["errors"][0]["path"].as_str().unwrap().contains(&blob),
        "{doc}"
    );
}

#[test]
fn git_sarif_carries_commits_and_provenance() {
    let mut repo = TestRepo::new();
    let c = repo.commit(
        &[("a.env", Some(&format!("T={}\n", github_token(113))))],
        "a",
    );
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "sarif"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], c.to_string());
    assert_eq!(result["properties"]["presentAtHead"], true);
    let vcp = &doc["runs"][0]["versionControlProvenance"][0];
    assert_eq!(vcp["revisionId"], c.to_string());
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::util::fixtures().join("sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let text = repo.dir.cmd(&["scan", "git", "."]).run().stdout();
    assert!(
        text.contains(&format!("Commit:      {}", &c.to_string()[..12])),
        "{text}"
    );
    assert!(text.contains("Ada Lovelace <ada@example.org>"), "{text}");
}

#[test]
fn history_findings_match_dir_findings_for_path_restricted_rules() {
    // Regression: history blobs are scanned before their paths are known; a rule restricted to other
    // paths (.git-credentials) must not hide the URL-credential finding that holds at this path.
    let mut repo = TestRepo::new();
    let line = "REMOTE=https://deploy:Zq8mK2pL9vXw4RtB@repo.example.com/app.git\n";
    repo.commit(
        &[
            ("scripts/fetch.sh", Some(line)),
            (".git-credentials", Some(line)),
        ],
        "add",
    );
    let dir_rules: Vec<String> = repo
        .dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .findings()
        .into_iter()
        .map(|f| format!("{} {}", f.0, f.2))
        .collect();
    let git_rules: Vec<String> = scan_git(&repo, &[])
        .findings()
        .into_iter()
        .map(|f| format!("{} {}", f.0, f.2))
        .collect();
    assert_eq!(git_rules, dir_rules);
    assert!(
        git_rules.iter().any(|r| r.starts_with("scripts/fetch.sh ")),
        "{git_rules:?}"
    );
}

#[test]
fn packed_history_is_read_through_the_pack_reader() {
    let mut repo = TestRepo::new();
    let token = github_token(120);
    let mut body = String::new();
    for i in 0..200 {
        body.push_str(&format!("setting_{i} = {i}\n"));
    }
    repo.commit(&[("app.cfg", Some(&body))], "v1");
    repo.commit(
        &[("app.cfg", Some(&format!("{body}GITHUB_TOKEN={token}\n")))],
        "v2 adds a token",
    );
    repo.commit(
        &[("app.cfg", Some(&format!("{body}# token removed\n")))],
        "v3 removes it",
    );
    let loose = scan_git(&repo, &[]).json();
    repo.pack_and_prune();
    assert!(
        repo.path()
            .join(".git/objects/pack")
            .read_dir()
            .unwrap()
            .count()
            >= 2
    );
    let packed = scan_git(&repo, &[]).json();
    assert_eq!(packed["findings"], loose["findings"]);
    assert_eq!(packed["findings"][0]["git"]["summary"], "v2 adds a token");
    assert_eq!(packed["findings"][0]["git"]["present_at_head"], false);
    // three blobs and three commit messages
    assert_eq!(packed["summary"]["files_scanned"], 6);
}

#[test]
fn shallow_clones_and_detached_heads() {
    let mut repo = TestRepo::new();
    let first = repo.commit(
        &[("a.env", Some(&format!("T={}\n", github_token(130))))],
        "one",
    );
    repo.commit(
        &[("b.env", Some(&format!("T={}\n", github_token(131))))],
        "two",
    );
    repo.commit(&[("c.txt", Some("three\n"))], "three");

    // detached HEAD: the full audit still walks every ref and HEAD
    repo.repo.set_head_detached(first).unwrap();
    let run = scan_git(&repo, &[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.findings().len(), 2);

    // a shallow clone is scanned as far as it goes, and says so (needs the git command line)
    let Ok(out) = std::process::Command::new("git").arg("--version").output() else {
        return;
    };
    if !out.status.success() {
        return;
    }
    let shallow = crate::util::TestDir::new();
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--branch", "master"])
        .arg(format!("file://{}", repo.path().display()))
        .arg(shallow.path().join("s"))
        .status()
        .unwrap();
    if !status.success() {
        // the default branch may be called main
        let status = std::process::Command::new("git")
            .args(["clone", "-q", "--depth", "1", "--no-single-branch"])
            .arg(format!("file://{}", repo.path().display()))
            .arg(shallow.path().join("s"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let run = TestCommand::new(&[
        "scan",
        "git",
        shallow.path().join("s").to_str().unwrap(),
        "--format",
        "json",
    ])
    .run();
    let doc = run.json();
    assert!(
        doc["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("shallow")),
        "{doc}"
    );
    // the one commit present holds the whole tree: both secrets are attributed to it
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2, "{doc}");
}

#[test]
fn a_key_store_still_at_head_is_present_at_head() {
    // Regression: `present_at_head` was always false for rules that match a file by its path, so a key
    // store still in the tree was reported as living only in history.
    let mut repo = TestRepo::new();
    repo.commit(
        &[
            ("certs/signing.p12", Some("\u{0}\u{3}store, first key")),
            ("old/legacy.p12", Some("\u{0}\u{3}legacy store")),
        ],
        "add key stores",
    );
    repo.commit(
        &[
            ("certs/signing.p12", Some("\u{0}\u{3}store, second key")),
            ("old/legacy.p12", None),
        ],
        "rotate the signing key, drop the legacy store",
    );
    let check = |doc: &serde_json::Value| {
        let git_of = |path: &str| {
            let findings = doc["findings"].as_array().unwrap();
            let f = findings.iter().find(|f| f["path"] == path);
            f.unwrap_or_else(|| panic!("no finding at {path}: {doc}"))["git"].clone()
        };
        assert_eq!(git_of("certs/signing.p12")["present_at_head"], true);
        assert_eq!(git_of("certs/signing.p12")["commits"], 2);
        assert_eq!(git_of("certs/signing.p12")["summary"], "add key stores");
        assert_eq!(git_of("old/legacy.p12")["present_at_head"], false);
    };
    check(&scan_git(&repo, &[]).json());
    repo.pack_and_prune();
    check(&scan_git(&repo, &[]).json());
}

#[test]
fn staged_and_range_scans_treat_file_rules_alike() {
    // Regression: `scan staged` reported a file rule (a path such as id_rsa or *.p12) only for added files
    // while range scans reported every path the range touched: a file renamed to id_rsa passed the hook,
    // and an edited or moved key store failed CI. Both now report a file rule unless a file the change
    // replaced or deleted sat at a path the same rule matches.
    let mut repo = TestRepo::new();
    repo.commit(
        &[
            ("notes.txt", Some("deploy notes\n")),
            ("release.p12", Some("\u{0}\u{3}release store")),
            ("a.p12", Some("\u{0}\u{3}another store")),
        ],
        "base",
    );
    let file_rules = |run: crate::util::Run| -> Vec<String> {
        let mut found: Vec<String> = (run.findings().into_iter())
            .filter(|f| f.2.ends_with("-file"))
            .map(|f| format!("{} {}", f.0, f.2))
            .collect();
        found.sort();
        found
    };
    type Case<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)], &'a [&'a str]);
    let cases: [Case<'_>; 4] = [
        (
            "rename notes.txt to id_rsa",
            &[("notes.txt", None), ("id_rsa", Some("deploy notes\n"))],
            &["id_rsa ssh-private-key-file"],
        ),
        (
            "edit a committed key store",
            &[("release.p12", Some("\u{0}\u{3}release store, new key"))],
            &[],
        ),
        (
            "move a key store",
            &[
                ("a.p12", None),
                ("keys/a.p12", Some("\u{0}\u{3}another store")),
            ],
            &[],
        ),
        (
            "add a key store",
            &[("new.pfx", Some("\u{0}\u{3}a new store"))],
            &["new.pfx pkcs12-keystore-file"],
        ),
    ];
    for (what, change, expected) in cases {
        repo.stage(change);
        let staged = file_rules(repo.dir.cmd(&["scan", "staged", "--format", "json"]).run());
        let commit = repo.commit_index(what, &[]);
        let range = file_rules(scan_git(
            &repo,
            &["--range", &format!("{commit}~1..{commit}")],
        ));
        assert_eq!(staged, expected, "scan staged: {what}");
        assert_eq!(range, expected, "scan git --range: {what}");
    }
    // the full audit still reports every path a key store ever had
    let all = file_rules(scan_git(&repo, &[]));
    assert_eq!(all.len(), 5, "{all:?}");
}
