//! Scrub plan end to end: a fixture history with a moved file, a key in two files, a key in a commit
//! message, a key found by decoding and a key store; the plan is written by `keyhound scrub-plan`, by
//! `scan git --scrub-plan` and from a saved report (all three the same), the real `git filter-repo`
//! rewrites the history with the runbook's commands, and a history scan afterwards reports nothing. A
//! report that does not match the repository makes no plan.

use std::path::Path;
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

/// The plan's four files, by name.
fn plan_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "replacements.txt",
        "messages.txt",
        "paths.txt",
        "RUNBOOK.md",
    ]
    .iter()
    .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
    .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A history with a moved file, a key in two files, a key removed later, a key only in a commit message,
/// a key found by decoding base64, and a key store; tagged `v1`. Returns the repository and the
/// secrets (GitHub token, Stripe key, message token, encoded token).
fn history() -> (TestRepo, [String; 4]) {
    use base64::Engine as _;
    let mut repo = TestRepo::new();
    let token = github_token(6101);
    let stripe = format!("sk_live_{}", random_token(6102, 24, ALNUM));
    let in_message = github_token(6103);
    let encoded = github_token(6104);
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
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("GITHUB_TOKEN={encoded}"));
    repo.commit(
        &[("ci/values.txt", Some(&format!("blob: {b64}\n")))],
        &format!("ci: debug\n\nused GITHUB_TOKEN={in_message} to test\n"),
    );
    git(&repo, &["tag", "v1"]);
    (repo, [token, stripe, in_message, encoded])
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
    let (repo, [token, stripe, in_message, encoded]) = history();
    let secrets = [&token, &stripe, &in_message, &encoded];
    let git_dir = repo.path().join(".git");
    let arg = |name: &str| git_dir.join(name).to_str().unwrap().to_string();

    // the saved report, redacted, and the plan made from a scan
    let run = (repo.dir)
        .cmd(&[
            "scan",
            "git",
            ".",
            "--format",
            "json",
            "--report-path",
            &arg("report.json"),
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let report = std::fs::read_to_string(git_dir.join("report.json")).unwrap();
    assert!(
        secrets.iter().all(|s| !report.contains(s.as_str())),
        "the report leaks"
    );
    let before: serde_json::Value = serde_json::from_str(&report).unwrap();
    let census = before["secrets"].as_array().unwrap();
    assert_eq!(census.len(), 5, "{census:#?}");

    let run = repo.dir.cmd(&["scrub-plan", ".", "-o", &arg("plan")]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout() + &run.stderr();
    assert!(
        secrets.iter().all(|s| !out.contains(s.as_str())),
        "a secret was printed"
    );
    let plan = git_dir.join("plan");
    let files = plan_files(&plan);

    // the same plan from `scan git --scrub-plan` and from the saved report
    let run = (repo.dir)
        .cmd(&["scan", "git", ".", "-q", "--scrub-plan", &arg("plan2")])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(plan_files(&git_dir.join("plan2")), files);
    let run = (repo.dir)
        .cmd(&[
            "scrub-plan",
            ".",
            "--from-report",
            &arg("report.json"),
            "-o",
            &arg("plan3"),
        ])
        .run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        plan_files(&git_dir.join("plan3")),
        files,
        "report and scan agree"
    );

    let replacements = std::fs::read_to_string(plan.join("replacements.txt")).unwrap();
    assert!(replacements.contains(&format!("{token}==>***REMOVED-github-pat-classic***")));
    assert!(replacements.contains(&format!("{stripe}==>")));
    assert!(
        !replacements.contains(&in_message),
        "message secrets go to messages.txt"
    );
    assert!(
        !replacements.contains(&encoded),
        "the encoded text is replaced, not the decoded"
    );
    let messages = std::fs::read_to_string(plan.join("messages.txt")).unwrap();
    assert_eq!(
        messages,
        format!("{in_message}==>***REMOVED-github-pat-classic***\n")
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&plan.join("replacements.txt")), 0o600);
        assert_eq!(mode(&plan.join("messages.txt")), 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(plan.join("paths.txt")).unwrap(),
        "deploy/release.p12\n"
    );
    let runbook = std::fs::read_to_string(plan.join("RUNBOOK.md")).unwrap();
    assert!(
        secrets.iter().all(|s| !runbook.contains(s.as_str())),
        "the runbook holds a secret"
    );
    assert!(
        runbook.contains("5 distinct secrets to rotate"),
        "{runbook}"
    );
    // the rotation list is the census: every secret, with where to rotate it
    for s in census {
        let entry = format!("`{}`", s["redacted"].as_str().unwrap());
        assert!(runbook.contains(&entry), "{entry} missing from the runbook");
        assert!(runbook.contains(s["rotate"].as_str().unwrap()));
    }
    assert!(runbook.contains("git push --force --mirror") && runbook.contains("pull-request refs"));

    // the real rewrite, with the commands the runbook gives
    let command = |start: &str| {
        let line = runbook.lines().find(|l| l.starts_with(start)).unwrap();
        let line = line.replace("\"$PLAN/", &format!("\"{}/", plan.display()));
        let words: Vec<String> = line
            .split(' ')
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        words[1..].to_vec()
    };
    let replace = command("git filter-repo --force --replace-text");
    assert!(
        replace.contains(&"--replace-message".to_string()),
        "{replace:?}"
    );
    let args: Vec<&str> = replace.iter().map(String::as_str).collect();
    git(&repo, &args);
    let drop = command("git filter-repo --force --invert-paths");
    let args: Vec<&str> = drop.iter().map(String::as_str).collect();
    git(&repo, &args);

    let after = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "json"])
        .run();
    assert_eq!(after.code(), 0, "{}{}", after.stdout(), after.stderr());
    assert!(after.json()["secrets"].as_array().unwrap().is_empty());
    // the rotation list made before the rewrite is what still has to be rotated: unchanged on disk
    assert_eq!(plan_files(&plan), files);
}

#[test]
fn a_report_that_does_not_match_the_repository_makes_no_plan() {
    let (repo, _) = history();
    let git_dir = repo.path().join(".git");
    let arg = |name: &str| git_dir.join(name).to_str().unwrap().to_string();
    let run = (repo.dir)
        .cmd(&[
            "scan",
            "git",
            ".",
            "--format",
            "json",
            "--report-path",
            &arg("report.json"),
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(git_dir.join("report.json")).unwrap())
            .unwrap();
    let findings = doc["findings"].as_array_mut().unwrap();
    let i = findings
        .iter()
        .position(|f| f["path"] == "config/b.env")
        .unwrap();
    findings[i]["column"] = serde_json::json!(2); // one character off
    let j = findings.iter().position(|f| f["path"] == "pay.py").unwrap();
    findings[j]["fingerprint"] = serde_json::json!("00000000000000000000000000000000");
    std::fs::write(git_dir.join("bad.json"), doc.to_string()).unwrap();
    let run = (repo.dir)
        .cmd(&[
            "scrub-plan",
            ".",
            "--from-report",
            &arg("bad.json"),
            "-o",
            &arg("plan"),
        ])
        .run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let err = run.stderr();
    assert!(
        err.contains(&format!(
            "finding {i} (github-pat-classic at config/b.env:2:2"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("finding {j} (")) && err.contains("pay.py"),
        "{err}"
    );
    assert!(!git_dir.join("plan").exists(), "no partial plan");

    // a report of another repository is refused the same way
    let other = TestRepo::new();
    let run = other
        .dir
        .cmd(&[
            "scrub-plan",
            ".",
            "--from-report",
            &arg("report.json"),
            "-o",
            &arg("plan"),
        ])
        .run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("could not be confirmed"),
        "{}",
        run.stderr()
    );
    assert!(!git_dir.join("plan").exists());
}

#[test]
fn a_secret_inside_an_archive_is_removed_by_dropping_the_archive() {
    use std::io::Write as _;
    let mut repo = TestRepo::new();
    let token = github_token(6201);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("conf/app.env", options).unwrap();
    zip.write_all(format!("GITHUB_TOKEN={token}\n").as_bytes())
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let path = repo.path().join("dist/bundle.zip");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let mut index = repo.repo.index().unwrap();
    index.add_path(Path::new("dist/bundle.zip")).unwrap();
    index.write().unwrap();
    repo.commit_index("bundle", &[]);

    let git_dir = repo.path().join(".git");
    let arg = |name: &str| git_dir.join(name).to_str().unwrap().to_string();
    let run = (repo.dir)
        .cmd(&["scan", "git", ".", "-f", "json", "-o", &arg("report.json")])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let run = repo.dir.cmd(&["scrub-plan", ".", "-o", &arg("plan")]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let plan = git_dir.join("plan");
    let files = plan_files(&plan);
    let run = (repo.dir)
        .cmd(&[
            "scrub-plan",
            ".",
            "--from-report",
            &arg("report.json"),
            "-o",
            &arg("plan2"),
        ])
        .run();
    assert_eq!(
        run.code(),
        0,
        "the entry is read back from the archive: {}",
        run.stderr()
    );
    assert_eq!(plan_files(&git_dir.join("plan2")), files);
    assert_eq!(
        std::fs::read_to_string(plan.join("paths.txt")).unwrap(),
        "dist/bundle.zip\n"
    );
    let replacements = std::fs::read_to_string(plan.join("replacements.txt")).unwrap();
    assert!(
        !replacements.contains(&token),
        "compressed: replacing cannot reach it"
    );
    let runbook = std::fs::read_to_string(plan.join("RUNBOOK.md")).unwrap();
    assert!(
        runbook.contains("## Archives") && runbook.contains("`dist/bundle.zip`"),
        "{runbook}"
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
    let after = repo.dir.cmd(&["scan", "git", ".", "-f", "json"]).run();
    assert_eq!(after.code(), 0, "{}{}", after.stdout(), after.stderr());
}
