//! The CI formats end to end: JUnit XML parsed by an XML parser, GitLab's secret-detection report validated
//! against the constraints of GitLab's published schema (fixtures/gitlab-secret-detection-report-format-15.0.7.json).

use crate::util::{fixtures, github_token, TestDir, TestRepo};

/// Paths and subjects a repository controls: markup, quotes and a control character.
const HOSTILE_DIR: &str = "we<ird> & \"quoted\"";

#[test]
fn junit_is_well_formed_xml_with_one_failure_per_finding_and_no_secret() {
    let dir = TestDir::new();
    let (a, b) = (github_token(501), github_token(502));
    dir.write(
        &format!("{HOSTILE_DIR}/a.env"),
        format!("GITHUB_TOKEN={a}\n"),
    );
    dir.write("b.env", format!("\n\nTOKEN={b}\n"));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "junit"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let xml = run.stdout();
    assert!(
        !xml.contains(&a) && !xml.contains(&b),
        "secrets are redacted"
    );
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    let paths: Vec<&str> = cases
        .iter()
        .map(|c| c.attribute("classname").unwrap())
        .collect();
    assert_eq!(paths, ["b.env", &format!("{HOSTILE_DIR}/a.env")]);
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("github-pat-classic"));
    assert!(failure.attribute("message").unwrap().contains("b.env:3:7"));
    let body = failure.text().unwrap();
    assert!(
        body.contains("github-pat-classic") && body.contains("ghp_***"),
        "{body}"
    );
    assert_eq!(cases[1].attribute("line"), Some("1"));
}

#[test]
fn junit_of_a_clean_scan_is_one_passing_case() {
    let dir = TestDir::new();
    dir.write("readme.md", "nothing here\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "junit"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let xml = run.stdout();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1);
    assert!(cases[0].children().all(|n| !n.is_element()), "{xml}");
}

fn validate_gitlab(doc: &serde_json::Value) {
    let schema_path = fixtures().join("gitlab-secret-detection-report-format-15.0.7.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn gitlab_report_validates_against_the_schema_and_names_the_introducing_commit() {
    let mut repo = TestRepo::new();
    let token = github_token(503);
    repo.commit(&[("README.md", Some("# app\n"))], "init");
    let commit = repo.commit(
        &[(
            &format!("{HOSTILE_DIR}/.env"),
            Some(&format!("\nGITHUB_TOKEN={token}\n")),
        )],
        "add <script>alert(1)</script> config",
    );
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "gitlab"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(!run.stdout().contains(&token), "secrets are redacted");
    let doc = run.json();
    validate_gitlab(&doc);
    assert_eq!(doc["scan"]["type"], "secret_detection");
    assert_eq!(doc["scan"]["status"], "success");
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 1);
    let v = &vulns[0];
    assert_eq!(v["identifiers"][0]["value"], "github-pat-classic");
    assert_eq!(v["severity"], "Critical");
    assert_eq!(v["location"]["file"], format!("{HOSTILE_DIR}/.env"));
    assert_eq!(v["location"]["start_line"], 2);
    assert_eq!(v["location"]["commit"]["sha"], commit.to_string());
    assert_eq!(
        v["location"]["commit"]["message"],
        "add <script>alert(1)</script> config"
    );
    assert_eq!(v["raw_source_code_extract"], "ghp_***");
    // The id is stable across runs.
    let again = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "gitlab"])
        .run();
    assert_eq!(again.json()["vulnerabilities"][0]["id"], v["id"]);
}

#[test]
fn gitlab_report_of_an_incomplete_dir_scan_fails_with_a_message() {
    let dir = TestDir::new();
    dir.write("a.env", format!("TOKEN={}\n", github_token(504)));
    let run = dir
        .cmd(&["scan", "dir", "a.env", "missing.env", "--format", "gitlab"])
        .run();
    assert_eq!(run.code(), 2, "errors outrank findings: {}", run.stderr());
    let doc = run.json();
    validate_gitlab(&doc);
    assert_eq!(doc["scan"]["status"], "failure");
    assert_eq!(doc["scan"]["messages"][0]["level"], "warn");
    assert!(doc["scan"]["messages"][0]["value"]
        .as_str()
        .unwrap()
        .contains("missing.env"));
    assert_eq!(
        doc["vulnerabilities"][0]["location"]["commit"]["sha"],
        "0000000"
    );
}

#[test]
fn sarif_over_githubs_shown_results_per_run_is_split_into_runs_and_says_so() {
    let dir = TestDir::new();
    let n = 5_200;
    let text: String = (0..n)
        .map(|i| format!("TOKEN_{i}={}\n", github_token(60_000 + i as u64)))
        .collect();
    dir.write("many.env", text);
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "sarif",
            "--report-path",
            "out.sarif",
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("SARIF: 5200 results in 2 runs"),
        "{}",
        run.stderr()
    );
    assert!(
        !dir.path().join("out.2.sarif").exists(),
        "two runs fit one file"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).unwrap()).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let mut fingerprints = std::collections::HashSet::new();
    for (k, r) in runs.iter().enumerate() {
        assert_eq!(
            r["automationDetails"]["id"],
            format!("keyhound/part-{}/", k + 1)
        );
        for result in r["results"].as_array().unwrap() {
            let fp = result["partialFingerprints"]["keyhound/v1"]
                .as_str()
                .unwrap();
            assert!(fingerprints.insert(fp.to_string()), "{fp} twice");
        }
    }
    assert_eq!(fingerprints.len(), n);
}
