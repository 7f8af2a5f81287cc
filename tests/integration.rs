//! End-to-end tests of the `keyhound` binary: what a user runs, what they see, and the exit code.

mod action;
mod archives;
mod audit;
mod baseline;
mod cache;
mod census;
mod cli;
mod configleaks;
mod credfiles;
mod explain;
mod formats;
mod git;
mod hostile;
mod html;
mod robustness;
mod scrub;
mod streaming;
mod structure;
mod util;
mod verify;

use util::{fixtures, github_token, random_token, TestCommand, TestDir, ALNUM};

fn aws_key_id(seed: u64) -> String {
    format!(
        "AKIA{}",
        random_token(seed, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    )
}

// ---- the fixtures: every planted secret found, nothing in the decoys ----

#[test]
fn finds_every_planted_secret_and_nothing_else() {
    let root = fixtures().join("planted");
    let run = TestCommand::new(&["scan", "dir", root.to_str().unwrap(), "--format", "json"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let mut found: Vec<String> = run
        .findings()
        .into_iter()
        .map(|(p, l, r)| format!("{p}:{l} {r}"))
        .collect();
    found.sort();
    let text = std::fs::read_to_string(fixtures().join("planted.expected")).unwrap();
    let mut expected: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn reports_nothing_on_decoys() {
    let root = fixtures().join("decoys");
    let run = TestCommand::new(&["scan", "dir", root.to_str().unwrap(), "--format", "json"]).run();
    assert_eq!(run.findings(), vec![], "{}", run.stdout());
    assert_eq!(run.code(), 0);
}

// ---- exit codes ----

#[test]
fn exit_codes_clean_findings_custom_and_error() {
    let dir = TestDir::new();
    dir.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    assert_eq!(dir.cmd(&["scan", "dir", "."]).run().code(), 0);

    dir.write("config.env", format!("GITHUB_TOKEN={}\n", github_token(1)));
    assert_eq!(dir.cmd(&["scan", "dir", "."]).run().code(), 1);
    assert_eq!(
        dir.cmd(&["scan", "dir", ".", "--exit-code", "7"])
            .run()
            .code(),
        7
    );

    // A path that does not exist makes the scan incomplete: error wins over findings.
    let run = dir
        .cmd(&["scan", "dir", ".", "no-such-dir", "--format", "json"])
        .run();
    assert_eq!(run.code(), 2);
    let doc = run.json();
    assert_eq!(doc["summary"]["complete"], false);
    assert_eq!(doc["errors"][0]["path"], "no-such-dir");
    assert!(run.stderr().contains("no-such-dir"), "{}", run.stderr());
}

#[cfg(target_os = "linux")]
#[test]
fn unreadable_file_is_counted_and_the_scan_goes_on() {
    // /proc/self/mem cannot be read from offset 0, even as root: a real read error.
    let dir = TestDir::new();
    dir.write("a.txt", format!("token={}\n", github_token(2)));
    let a = dir.path().join("a.txt");
    let run = TestCommand::new(&[
        "scan",
        "dir",
        a.to_str().unwrap(),
        "/proc/self/mem",
        "--format",
        "json",
    ])
    .run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(doc["summary"]["errors"], 1);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_config_is_an_error_naming_file_and_line() {
    let dir = TestDir::new();
    dir.write(".keyhound.toml", "[allowlist]\npaths = ['ok']\nbogus = 1\n");
    let run = dir.cmd(&["scan", "dir", "."]).run();
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains(".keyhound.toml:3"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("bogus"), "{}", run.stderr());
}

// ---- the walk ----

#[test]
fn hidden_files_gitignore_and_no_ignore() {
    let dir = TestDir::new();
    dir.write(".env", format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(3)));
    dir.write(".gitignore", "build/\n");
    dir.write(
        "build/out.txt",
        format!("GITHUB_TOKEN={}\n", github_token(4)),
    );
    dir.write(".git/config", format!("token = {}\n", github_token(5)));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec![".env"]);
    let run = dir
        .cmd(&["scan", "dir", ".", "--no-ignore", "--format", "json"])
        .run();
    let paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec![".env", "build/out.txt"]);
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let dir = TestDir::new();
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend_from_slice(format!("GITHUB_TOKEN={}", github_token(6)).as_bytes());
    dir.write("blob.bin", bin);
    let mut big = "x".repeat(2048);
    big.push_str(&format!("\nGITHUB_TOKEN={}\n", github_token(7)));
    dir.write("big.txt", big);
    dir.write("small.txt", "nothing\n");
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--max-file-size",
            "1K",
            "--format",
            "json",
        ])
        .run();
    // The binary file's text is scanned (its token is found); the large file is skipped.
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert_eq!(
        run.findings(),
        vec![("blob.bin".into(), 1, "github-pat-classic".into())]
    );
    let s = &run.json()["summary"];
    assert_eq!(s["binary_as_text"], 1);
    assert_eq!(s["skipped_too_large"], 1);
    assert_eq!(s["files_scanned"], 2);
    assert!(run.stderr().contains("1 skipped"), "{}", run.stderr());
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_invalid_utf8_do_not_crash() {
    let dir = TestDir::new();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("a/loop")).unwrap();
    let mut content = b"\xff\xfe garbage \xc3\x28 ".to_vec();
    content.extend_from_slice(format!("\nGITHUB_TOKEN={}\n", github_token(8)).as_bytes());
    dir.write("a/latin1.txt", content);
    use std::os::unix::ffi::OsStrExt;
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"a/caf\xe9.txt"));
    std::fs::write(&odd, format!("token: {}\n", github_token(9))).unwrap();
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.findings().len(), 2);
    assert_eq!(run.json()["summary"]["skipped_symlinks"], 1);
}

#[test]
fn multiple_roots_report_paths_as_given() {
    let dir = TestDir::new();
    dir.write("src/a.py", format!("KEY = '{}'\n", github_token(10)));
    dir.write("config/b.yml", format!("key: {}\n", aws_key_id(11)));
    let run = dir
        .cmd(&["scan", "dir", "./src", "./config", "--format", "json"])
        .run();
    let mut paths: Vec<String> = run.findings().into_iter().map(|f| f.0).collect();
    paths.sort();
    assert_eq!(paths, vec!["config/b.yml", "src/a.py"]);
}

// ---- findings: redaction and fingerprints ----

#[test]
fn secrets_are_redacted_unless_asked() {
    let dir = TestDir::new();
    let token = github_token(12);
    dir.write("a.env", format!("GITHUB_TOKEN={token}\n"));
    for format in ["text", "json", "sarif"] {
        let run = dir.cmd(&["scan", "dir", ".", "--format", format]).run();
        assert_eq!(run.code(), 1);
        assert!(!run.stdout().contains(&token), "{format} leaks the secret");
        assert!(
            !run.stderr().contains(&token),
            "{format} leaks the secret on stderr"
        );
        assert!(
            !run.stdout().contains(&token[4..20]),
            "{format} leaks part of the secret"
        );
    }
    let run = dir
        .cmd(&["scan", "dir", ".", "--format", "json", "--show-secrets"])
        .run();
    assert_eq!(run.json()["findings"][0]["secret"], token.as_str());
}

#[test]
fn fingerprint_is_stable_when_lines_move() {
    let dir = TestDir::new();
    let token = github_token(13);
    dir.write("a.env", format!("GITHUB_TOKEN={token}\n"));
    let first = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .json();
    dir.write(
        "a.env",
        format!("# new header\n\nOTHER=1\nGITHUB_TOKEN={token}\n"),
    );
    let second = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .json();
    assert_eq!(first["findings"][0]["line"], 1);
    assert_eq!(second["findings"][0]["line"], 4);
    assert_eq!(
        first["findings"][0]["fingerprint"],
        second["findings"][0]["fingerprint"]
    );
    let fp = first["findings"][0]["fingerprint"].as_str().unwrap();
    assert!(!fp.contains(&token[4..12]));
}

// ---- suppression ----

#[test]
fn inline_markers_of_keyhound_and_other_tools() {
    let dir = TestDir::new();
    dir.write(
        "a.py",
        format!(
            "A = '{}'  # keyhound:allow\nB = '{}'  # gitleaks:allow\nC = '{}'  # pragma: allowlist secret\n# keyhound:allow-next-line\nD = '{}'\nE = '{}'\n",
            github_token(20),
            github_token(21),
            github_token(22),
            github_token(23),
            github_token(24)
        ),
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let lines: Vec<u64> = run.findings().into_iter().map(|f| f.1).collect();
    assert_eq!(lines, vec![6]);
    assert_eq!(run.json()["summary"]["suppressed"], 4);
}

#[test]
fn ignore_file_of_fingerprints() {
    let dir = TestDir::new();
    dir.write(
        "a.env",
        format!("T1={}\nT2={}\n", github_token(30), github_token(31)),
    );
    let doc = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .json();
    let fp = doc["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    dir.write(
        ".keyhoundignore",
        format!("# reviewed: test fixture\n{fp}\n"),
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.findings().len(), 1);
    assert_eq!(run.findings()[0].1, 2);
}

#[test]
fn config_allowlists_disabled_rules_and_extra_rules() {
    let dir = TestDir::new();
    dir.write("testdata/a.env", format!("T={}\n", github_token(40)));
    dir.write(
        "src/b.env",
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id(41)),
    );
    let acme = format!("acme_{}", random_token(42, 32, ALNUM));
    dir.write("src/c.txt", format!("ACME_TOKEN={acme}\n"));
    dir.write(
        ".keyhound.toml",
        r#"disabled_rules = ["aws-access-key-id", "generic-api-key"]
[allowlist]
paths = ['''^testdata/''']

[[rule]]
id = "acme-token"
name = "ACME internal token"
regex = '''\b(acme_[A-Za-z0-9]{32})\b'''
keywords = ["acme_"]
examples = ["acme_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH"]
negative_examples = ["acme_short", "acme_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]
"#,
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let rules: Vec<String> = run.findings().into_iter().map(|f| f.2).collect();
    assert_eq!(rules, vec!["acme-token"], "{}", run.stdout());
    // --config overrides the default location; a missing explicit config is an error
    let run = dir
        .cmd(&["scan", "dir", ".", "--config", "nope.toml"])
        .run();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("nope.toml"));
}

#[test]
fn placeholders_and_template_files_are_quiet() {
    let dir = TestDir::new();
    dir.write(
        ".env.example",
        "DB_PASSWORD=Qx7mL2vK9pWz\nAPI_TOKEN=Zk3Lm8Vq2Rx7Pw4Tn9Bc\n",
    );
    dir.write(
        "docs.md",
        "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\napi_key = \"${API_KEY}\"\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.findings(), vec![]);
    // the same generic values in a real .env are findings
    dir.write(".env", "DB_PASSWORD=Qx7mL2vK9pWz\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.findings().len(), 1);
}

// ---- sources ----

#[test]
fn stdin_scan() {
    let log = format!(
        "step 3/7: pushing image\nDEBUG using token {}\ndone\n",
        github_token(50)
    );
    let run = TestCommand::new(&["scan", "stdin", "--format", "json"])
        .stdin(log)
        .run();
    assert_eq!(run.code(), 1);
    assert_eq!(
        run.findings(),
        vec![("<stdin>".to_string(), 2, "github-pat-classic".to_string())]
    );
    let run = TestCommand::new(&["scan", "stdin"])
        .stdin("all quiet\n")
        .run();
    assert_eq!(run.code(), 0);
}

// ---- reports ----

#[test]
fn json_report_schema() {
    let dir = TestDir::new();
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", github_token(60)));
    let doc = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .json();
    assert_eq!(doc["version"], "1");
    assert_eq!(doc["tool"]["name"], "keyhound");
    for key in [
        "files_scanned",
        "bytes_scanned",
        "findings",
        "errors",
        "binary_as_text",
        "suppressed",
        "duration_secs",
        "complete",
    ] {
        assert!(doc["summary"].get(key).is_some(), "summary.{key}");
    }
    let f = &doc["findings"][0];
    for key in [
        "rule_id",
        "rule_name",
        "confidence",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "redacted",
        "entropy",
        "fingerprint",
    ] {
        assert!(f.get(key).is_some(), "finding.{key}");
    }
    assert_eq!(f["path"], "a.env");
    assert_eq!(f["column"], 14);
    assert!(f.get("secret").is_none());
}

#[test]
fn sarif_report_validates_against_the_official_schema() {
    let dir = TestDir::new();
    dir.write(
        "dir with space/a.env",
        format!(
            "GITHUB_TOKEN={}\nAWS={}\n",
            github_token(70),
            aws_key_id(71)
        ),
    );
    let report = dir.path().join("out.sarif");
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "sarif",
            "--report-path",
            report.to_str().unwrap(),
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stdout().is_empty(), "report goes to the file only");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run0 = &doc["runs"][0];
    assert_eq!(doc["version"], "2.1.0");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "dir%20with%20space/a.env");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 1);
    assert!(results[0]["partialFingerprints"]["keyhound/v1"].is_string());
    let idx = results[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], results[0]["ruleId"]);
    assert!(run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
}

#[test]
fn text_report_is_plain_when_not_a_terminal() {
    let dir = TestDir::new();
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", github_token(80)));
    let run = dir.cmd(&["scan", "dir", "."]).run();
    let out = run.stdout();
    assert!(out.contains("Finding: GitHub"), "{out}");
    assert!(out.contains("a.env:1:14"), "{out}");
    assert!(!out.contains('\x1b'), "no colour when piped");
    // The summary is a message on stderr, not part of the report.
    assert!(!out.contains("keyhound: scanned"), "{out}");
    let err = run.stderr();
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("keyhound: scanned 1 files"),
        "{err}"
    );
}

// ---- rules commands ----

#[test]
fn rules_list_and_check() {
    let run = TestCommand::new(&["rules", "list", "--format", "json"]).run();
    assert_eq!(run.code(), 0);
    let list = run.json();
    assert!(list.as_array().unwrap().len() >= 120);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "github-pat-classic"));

    let dir = TestDir::new();
    dir.write(
        "bad.toml",
        "[[rule]]\nid = \"good-one\"\nname = \"g\"\nregex = '''(tok_[a-z0-9]{12})'''\nkeywords = [\"tok_\"]\nexamples = [\"tok_a1b2c3d4e5f6\", \"x=tok_q9w8e7r6t5y4\"]\nnegative_examples = [\"tok_short\", \"tok_a1b2c3d4e5f6\"]\n",
    );
    let run = dir.cmd(&["rules", "check", "bad.toml"]).run();
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr()
            .contains("bad.toml:2: rule `good-one`: negative example matches"),
        "{}",
        run.stderr()
    );
    dir.write(
        "broken.toml",
        "[[rule]]\nid = \"r\"\nname = \"n\"\nregex = '''(unclosed'''\nkeywords = [\"unc\"]\n",
    );
    let run = dir.cmd(&["rules", "check", "broken.toml"]).run();
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("broken.toml:2: rule `r`: bad regex"),
        "{}",
        run.stderr()
    );
}

#[test]
fn gitleaksignore_entries_are_honoured() {
    let dir = TestDir::new();
    dir.write(
        "a.env",
        format!("T1={}\nT2={}\n", github_token(90), github_token(91)),
    );
    dir.write(".gitleaksignore", "a.env:github-pat:1\n");
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let lines: Vec<u64> = run.findings().into_iter().map(|f| f.1).collect();
    assert_eq!(lines, vec![2]);
}

#[test]
fn checksums_drop_look_alikes() {
    // A classic GitHub token whose CRC32 suffix does not match its body is not a GitHub token.
    let dir = TestDir::new();
    let good = github_token(92);
    let mut bad = good.clone().into_bytes();
    bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bad).unwrap();
    // also when assigned to a token-named setting: the generic rules do not pick up the rejected look-alike
    dir.write("a.txt", format!("x {good}\nGITHUB_TOKEN={bad}\n"));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let found: Vec<(u64, String)> = run.findings().into_iter().map(|f| (f.1, f.2)).collect();
    assert_eq!(found, vec![(1, "github-pat-classic".to_string())]);
}

#[test]
fn secrets_inside_encoded_text_are_found_at_the_encoded_text() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let token = github_token(93);
    let dir = TestDir::new();
    dir.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\ndata:\n  token: {}\n  url: {}\n",
            b64(&token),
            // two layers: base64 of a percent-encoded connection string
            b64("postgres%3A%2F%2Fapp%3AV9qL2xR7mKp4wZ%40db.internal%2Fapp"),
        ),
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let doc = run.json();
    let found: Vec<(u64, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["decoded"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (4, "github-pat-classic".to_string(), "base64".to_string()),
            (
                5,
                "postgres-connection-uri".to_string(),
                "base64+percent".to_string()
            ),
        ],
        "{doc}"
    );
    assert_eq!(
        doc["findings"][0]["column"], 10,
        "points at the encoded text"
    );
    assert!(!run.stdout().contains(&token));
    // --decode-depth 0 turns it off
    let run = dir
        .cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--decode-depth",
            "0",
        ])
        .run();
    assert!(run.findings().iter().all(|f| f.2 != "github-pat-classic"));
}

#[test]
fn composite_rule_reports_both_parts() {
    // An AWS secret key with no telling name counts only next to its access key ID, and says so.
    let dir = TestDir::new();
    let key_id = aws_key_id(94);
    let secret = random_token(
        95,
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    let lonely = random_token(
        96,
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    dir.write(
        "deploy.py",
        format!("client = make_client(\n    \"{key_id}\",\n    \"{secret}\",\n)\n"),
    );
    dir.write("other.py", format!("blob = \"{lonely}\"\n"));
    let doc = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .json();
    let findings = doc["findings"].as_array().unwrap();
    let paired: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "aws-secret-access-key-near-key-id")
        .collect();
    assert_eq!(paired.len(), 1, "{doc}");
    assert_eq!(paired[0]["path"], "deploy.py");
    assert_eq!(paired[0]["line"], 3);
    assert_eq!(paired[0]["related"]["rule_id"], "aws-access-key-id");
    assert_eq!(paired[0]["related"]["line"], 2);
    assert!(findings.iter().all(|f| f["path"] != "other.py"), "{doc}");
}

#[test]
fn client_secret_pairs_with_its_client_id_and_stands_alone_as_generic() {
    let dir = TestDir::new();
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let client_id = format!("0oa{}", random_token(120, 17, alnum));
    let paired = random_token(121, 32, alnum);
    let lonely = random_token(122, 32, alnum);
    dir.write(
        "okta.env",
        format!("OKTA_CLIENT_ID={client_id}\nOKTA_CLIENT_SECRET={paired}\n"),
    );
    dir.write("lone.env", format!("CLIENT_SECRET={lonely}\n"));
    dir.write("id-only.yml", format!("client_id: {client_id}\n"));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    // the client ID alone is no finding; a lone client secret is still a (generic) secret
    assert_eq!(
        run.findings(),
        vec![
            ("lone.env".to_string(), 1, "generic-secret".to_string()),
            (
                "okta.env".to_string(),
                2,
                "oauth-client-secret-near-client-id".to_string()
            ),
        ],
        "{}",
        run.stdout()
    );
    let doc = run.json();
    let pair = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "okta.env")
        .unwrap();
    assert_eq!(pair["confidence"], "medium");
    assert_eq!(pair["related"]["rule_id"], "oauth-client-id");
    assert_eq!(pair["related"]["line"], 1);
    assert!(!run.stdout().contains(&paired) && !run.stdout().contains(&client_id));
}

#[test]
fn a_gitleaks_config_is_read_as_is() {
    let dir = TestDir::new();
    let acme = format!(
        "acme_{}",
        random_token(97, 32, b"abcdefghijklmnopqrstuvwxyz0123456789")
    );
    dir.write(
        "src/a.txt",
        format!("ACME={acme}\nT={}\n", github_token(98)),
    );
    dir.write("vendor/b.txt", format!("ACME={acme}\n"));
    // No [extend] useDefault: as in gitleaks, the config's rules replace the built-in ones.
    dir.write(
        ".gitleaks.toml",
        "title = \"team\"\n[[rules]]\nid = \"acme_token\"\ndescription = \"ACME token\"\nregex = '''(acme_[a-z0-9]{32})'''\nsecretGroup = 1\n\n[allowlist]\npaths = ['''^vendor/''']\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        run.findings(),
        vec![("src/a.txt".to_string(), 1, "acme-token".to_string())],
        "{}",
        run.stderr()
    );
    // With useDefault the built-in rules stay.
    dir.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"acme_token\"\nregex = '''(acme_[a-z0-9]{32})'''\nkeywords = [\"acme_\"]\n",
    );
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let rules: Vec<String> = run.findings().into_iter().map(|f| f.2).collect();
    assert!(
        rules.contains(&"github-pat-classic".to_string())
            && rules.contains(&"acme-token".to_string()),
        "{rules:?}"
    );
}
