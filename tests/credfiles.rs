//! Credential files (rules/credfiles.toml) and key material by name (rules/keymaterial.toml), end to end:
//! the planted fixture tree is found exactly, the decoy tree (templates, placeholders, references, public
//! keys) yields nothing, and in git history a path-restricted rule fires only where its file lives.

use crate::util::{fixtures, random_token, Run, TestCommand, TestRepo, ALNUM};

fn sorted_findings(run: &Run) -> Vec<String> {
    let mut found: Vec<String> = run
        .findings()
        .into_iter()
        .map(|(p, l, r)| format!("{p}:{l} {r}"))
        .collect();
    found.sort();
    found
}

#[test]
fn finds_every_planted_credential_file_exactly() {
    let root = fixtures().join("credfiles/planted");
    let run = TestCommand::new(&["scan", "dir", root.to_str().unwrap(), "--format", "json"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let text = std::fs::read_to_string(fixtures().join("credfiles/planted.expected")).unwrap();
    let mut expected: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    expected.sort();
    assert_eq!(sorted_findings(&run), expected);
    // at least 40 distinct credential-file and key-material rules fire on the fixtures
    let mut rules: Vec<String> = expected
        .iter()
        .filter_map(|l| l.split(' ').nth(1).map(str::to_string))
        .collect();
    rules.sort();
    rules.dedup();
    assert!(rules.len() >= 40, "only {} rules: {rules:?}", rules.len());
}

#[test]
fn reports_nothing_in_credential_file_decoys() {
    let root = fixtures().join("credfiles/decoys");
    let run = TestCommand::new(&["scan", "dir", root.to_str().unwrap(), "--format", "json"]).run();
    assert_eq!(run.findings(), vec![], "{}", run.stdout());
    assert_eq!(run.code(), 0);
}

#[test]
fn filezilla_base64_password_is_reported_as_written() {
    let root = fixtures().join("credfiles/planted/home/dev/.config/filezilla");
    let run = TestCommand::new(&[
        "scan",
        "dir",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--show-secrets",
    ])
    .run();
    let doc = run.json();
    let secrets: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "filezilla-saved-password")
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    // the <Pass encoding="base64"> element's text, not a decoded copy of it
    assert!(
        secrets.contains(&"SHI5NnhnblR0R1ptQ0lJSm15eQ=="),
        "{secrets:?}"
    );
    assert!(secrets.contains(&"c3VuZmxvd2VyMjAxOQ=="), "{secrets:?}");
}

#[test]
fn credential_file_rules_follow_the_path_in_git_history() {
    let mut repo = TestRepo::new();
    let pass = random_token(81, 18, ALNUM);
    let ftpconfig = format!(
        "{{\n  \"host\": \"ftp.acme.io\",\n  \"user\": \"web\",\n  \"pass\": \"{pass}\"\n}}\n"
    );
    let key = format!(
        "encryption.key={}\n",
        random_token(82, 64, b"0123456789abcdef")
    );
    repo.commit(
        &[
            ("theme/.ftpconfig", Some(&ftpconfig)),
            // the same blob under a name the rule does not own
            ("notes/ftpconfig.txt", Some(&ftpconfig)),
            ("config/app.properties", Some(&key)),
        ],
        "add site config",
    );
    repo.commit(
        &[("theme/.ftpconfig", None), ("config/app.properties", None)],
        "remove secrets",
    );
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "json"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // other rules may report the copy under notes/ (a generic password rule); the file rule must not
    let ours: Vec<String> = sorted_findings(&run)
        .into_iter()
        .filter(|f| f.ends_with(" atom-ftpconfig-password") || f.ends_with(" named-key-material"))
        .collect();
    assert_eq!(
        ours,
        vec![
            "config/app.properties:1 named-key-material".to_string(),
            "theme/.ftpconfig:4 atom-ftpconfig-password".to_string(),
        ]
    );
}
