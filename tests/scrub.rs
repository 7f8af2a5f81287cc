//! Scrub plan end to end: a fixture history with a moved file, a key in two files and a key store; the
//! plan is written by `scan git --scrub-plan`, the real `git filter-repo` rewrites the history with it,
//! and a history scan afterwards reports nothing.

use std::process::Command;

use crate::util::{github_token, random_token, TestRepo, ALNUM};

fn git(repo: &TestRepo, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scrub_plan_rewritten_by_git_filter_repo_leaves_a_clean_history() {
    let found = Command::new("git")
        .args(["filter-repo", "--version"])
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "git filter-repo is needed (pip install git-filter-repo; .ci/run installs it)"
    );
    let mut repo = TestRepo::new();
    let token = github_token(6101);
    let stripe = format!("sk_live_{}", random_token(6102, 24, ALNUM));
    let line = format!("GITHUB_TOKEN={token}\n");
    repo.commit(&[("README.md", Some("# app\n"))], "init");
    repo.commit(
        &[
            ("a.env", Some(&line)),
            ("config/b.env", Some(&format!("x = 1\n{line}"))),
        ],
        "key in two files",
    );
    repo.commit(&[("a.env", None), ("moved/a.env", Some(&line))], "move");
    repo.commit(
        &[("pay.py", Some(&format!("stripe.api_key = \"{stripe}\"\n")))],
        "stripe",
    );
    repo.commit(&[("pay.py", Some("import os\n"))], "stripe from env");
    repo.commit(
        &[("deploy/release.p12", Some("not really pkcs12\n"))],
        "keystore",
    );
    git(&repo, &["tag", "v1"]);

    let plan = repo.path().join(".git/scrub");
    let plan_arg = plan.to_str().unwrap().to_string();
    let run = (repo.dir)
        .cmd(&[
            "scan",
            "git",
            ".",
            "--format",
            "json",
            "--scrub-plan",
            &plan_arg,
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        !run.stdout().contains(&token) && !run.stderr().contains(&token),
        "a secret was printed"
    );
    let before = run.json();
    assert_eq!(
        before["secrets"].as_array().unwrap().len(),
        3,
        "{:#}",
        before["secrets"]
    );

    let replacements = std::fs::read_to_string(plan.join("replacements.txt")).unwrap();
    assert!(replacements.contains(&format!("{token}==>***REMOVED-github-pat-classic***")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(plan.join("replacements.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(plan.join("paths.txt")).unwrap(),
        "deploy/release.p12\n"
    );
    let runbook = std::fs::read_to_string(plan.join("RUNBOOK.md")).unwrap();
    assert!(
        !runbook.contains(&token) && !runbook.contains(&stripe),
        "the runbook holds a secret"
    );
    assert!(
        runbook.contains("3 distinct secrets to rotate"),
        "{runbook}"
    );
    for s in before["secrets"].as_array().unwrap() {
        let entry = format!("`{}`", s["redacted"].as_str().unwrap());
        assert!(runbook.contains(&entry), "{entry} missing from the runbook");
        assert!(runbook.contains(s["rotate"].as_str().unwrap()));
    }
    assert!(runbook.contains("git push --force --mirror") && runbook.contains("pull-request refs"));

    // the real rewrite, with the commands the runbook gives
    git(
        &repo,
        &[
            "filter-repo",
            "--force",
            "--replace-text",
            plan.join("replacements.txt").to_str().unwrap(),
        ],
    );
    git(
        &repo,
        &[
            "filter-repo",
            "--force",
            "--invert-paths",
            "--paths-from-file",
            plan.join("paths.txt").to_str().unwrap(),
        ],
    );

    let after = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "json"])
        .run();
    assert_eq!(after.code(), 0, "{}{}", after.stdout(), after.stderr());
    assert!(after.json()["secrets"].as_array().unwrap().is_empty());
    // the rotation list made before the rewrite is what still has to be rotated: unchanged on disk
    assert_eq!(
        std::fs::read_to_string(plan.join("RUNBOOK.md")).unwrap(),
        runbook
    );
}
