//! Organisation-wide audits end to end: `keyhound audit` over several repositories (arguments and a
//! list file) writes one JSON Lines record per repository; `keyhound merge` combines them into one census
//! where a key shared by three repositories is one secret; shards split a list without overlap or gaps;
//! a repository that fails does not hide the others' findings, and the exit code says it failed.

use std::collections::BTreeSet;

use crate::util::{github_token, TestCommand, TestDir, TestRepo};

/// The JSON Lines records on a run's stdout.
fn records(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn three_repositories_sharing_a_key_merge_into_one_secret() {
    let shared = github_token(7101);
    let mut repos: Vec<TestRepo> = Vec::new();
    for (i, name) in ["api", "web", "ops"].iter().enumerate() {
        let mut repo = TestRepo::new();
        let own = github_token(7110 + i as u64);
        repo.commit(
            &[
                (
                    &format!("{name}/.env"),
                    Some(&format!("GITHUB_TOKEN={shared}\n")),
                ),
                ("own.env", Some(&format!("TOKEN={own}\n"))),
            ],
            "keys",
        );
        repos.push(repo);
    }
    let work = TestDir::new();
    let paths: Vec<String> = repos
        .iter()
        .map(|r| r.path().display().to_string())
        .collect();
    work.write(
        "repos.txt",
        format!("# the org\n{}\n\n{}\n", paths[1], paths[2]),
    );
    let run = work
        .cmd(&[
            "audit",
            &paths[0],
            "--repos-from",
            "repos.txt",
            "-o",
            "audit.jsonl",
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let text = std::fs::read_to_string(work.path().join("audit.jsonl")).unwrap();
    assert!(!text.contains(&shared), "an audit record leaks a secret");
    let lines = records(&text);
    assert_eq!(lines.len(), 3);
    for (line, path) in lines.iter().zip(&paths) {
        assert_eq!(line["repository"], path.as_str());
        assert_eq!(line["secrets"].as_array().unwrap().len(), 2, "{line:#}");
    }

    let run = work
        .cmd(&["merge", "audit.jsonl", "--format", "json"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(
        secrets.len(),
        4,
        "one shared key and three own keys: {secrets:#?}"
    );
    let shared_entry = (secrets.iter())
        .find(|s| s["repositories"].as_array().is_some_and(|r| r.len() == 3))
        .expect("the shared key is one secret in three repositories");
    let repos_listed: Vec<&str> = (shared_entry["repositories"].as_array().unwrap().iter())
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(repos_listed, sorted);
    let locations = shared_entry["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 3);
    for (name, path) in ["api", "web", "ops"].iter().zip(&paths) {
        let want = format!("{path}/{name}/.env");
        assert!(
            locations
                .iter()
                .any(|l| l["repository"] == path.as_str() && l["path"] == want),
            "{want} missing: {locations:#?}"
        );
    }
    assert_eq!(doc["findings"].as_array().unwrap().len(), 6);

    // every format the scans write, from the same merge; the text report leads with the census
    let run = work.cmd(&["merge", "audit.jsonl"]).run();
    assert!(
        run.stdout().contains("4 distinct secrets to rotate"),
        "{}",
        run.stdout()
    );
    for format in ["sarif", "junit", "gitlab"] {
        let run = work
            .cmd(&["merge", "audit.jsonl", "--format", format])
            .run();
        assert_eq!(run.code(), 1, "{format}: {}", run.stderr());
        assert!(run.stdout().contains("github-pat-classic"), "{format}");
    }
    // a saved JSON report of one repository merges with the records too: still one shared secret
    let report = work.path().join("api.json");
    let run = TestCommand::new(&[
        "scan",
        "git",
        &paths[0],
        "-f",
        "json",
        "-o",
        report.to_str().unwrap(),
    ])
    .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let run = work
        .cmd(&["merge", "audit.jsonl", "api.json", "-f", "json"])
        .run();
    let secrets = run.json()["secrets"].as_array().unwrap().clone();
    assert_eq!(secrets.len(), 4);
}

#[test]
fn a_failing_repository_does_not_hide_the_others_and_the_exit_code_says_so() {
    let mut repo = TestRepo::new();
    repo.commit(
        &[("a.env", Some(&format!("T={}\n", github_token(7201))))],
        "a",
    );
    let work = TestDir::new();
    work.write("not-a-repo/file.txt", "hello\n");
    let good = repo.path().display().to_string();
    let run = work.cmd(&["audit", "not-a-repo", &good]).run();
    assert_eq!(run.code(), 2, "errors outrank findings: {}", run.stderr());
    let lines = records(&run.stdout());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["repository"], "not-a-repo");
    assert_eq!(lines[0]["summary"]["complete"], false);
    assert!(lines[0]["errors"][0]["message"]
        .to_string()
        .contains("not a git repository"));
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 1);
    work.write("audit.jsonl", run.stdout());
    let run = work.cmd(&["merge", "audit.jsonl", "-f", "json"]).run();
    assert_eq!(
        run.code(),
        2,
        "a merge of an incomplete audit is incomplete"
    );
    assert_eq!(run.json()["findings"].as_array().unwrap().len(), 1);
    assert!(run.json()["errors"][0]["path"]
        .to_string()
        .contains("not-a-repo"));

    // only clean repositories: exit 0
    let clean = TestRepo::new();
    let run = work.cmd(&["audit", clean.path().to_str().unwrap()]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
}

#[test]
fn shards_partition_the_list() {
    let work = TestDir::new();
    let listed: Vec<String> = (0..12).map(|i| format!("missing/repo-{i}")).collect();
    work.write("repos.txt", listed.join("\n"));
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let run = work
            .cmd(&[
                "audit",
                "--repos-from",
                "repos.txt",
                "--shard",
                &shard,
                "-q",
            ])
            .run();
        let lines = records(&run.stdout());
        let list = (work.cmd(&[
            "audit",
            "--repos-from",
            "repos.txt",
            "--shard",
            &shard,
            "--list",
        ]))
        .run();
        assert_eq!(list.code(), 0);
        let names: Vec<&str> = (lines.iter())
            .map(|l| l["repository"].as_str().unwrap())
            .collect();
        assert_eq!(
            list.stdout().lines().collect::<Vec<_>>(),
            names,
            "--list names the shard"
        );
        if !lines.is_empty() {
            assert_eq!(run.code(), 2, "missing repositories are errors");
        }
        seen.extend(
            lines
                .iter()
                .map(|l| l["repository"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(
        seen.len(),
        listed.len(),
        "no repository in two shards: {seen:?}"
    );
    let seen: BTreeSet<String> = seen.into_iter().collect();
    assert_eq!(
        seen,
        listed.into_iter().collect::<BTreeSet<_>>(),
        "and none left out"
    );
    let run = work
        .cmd(&["audit", "--repos-from", "repos.txt", "--shard", "4/3"])
        .run();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--shard"), "{}", run.stderr());
    let run = work.cmd(&["audit"]).run();
    assert_eq!(run.code(), 2);
}
