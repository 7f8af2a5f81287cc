//! The census end to end: one entry per distinct secret across files, moves, commits and branches, with
//! its first commit, the refs that contain it, whether it is still at HEAD, and where to rotate it.

use crate::util::{github_token, random_token, TestDir, TestRepo};

fn aws_key_id(seed: u64) -> String {
    format!(
        "AKIA{}",
        random_token(seed, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    )
}

/// The secrets of a JSON report, by provider.
fn secret<'a>(doc: &'a serde_json::Value, provider: &str) -> &'a serde_json::Value {
    (doc["secrets"].as_array().unwrap().iter())
        .find(|s| s["provider"] == provider)
        .unwrap_or_else(|| panic!("no {provider} secret in {:#}", doc["secrets"]))
}

#[test]
fn history_census_groups_a_key_in_three_files_a_move_and_a_branch() {
    let mut repo = TestRepo::new();
    let token = github_token(4101);
    let line = format!("GITHUB_TOKEN={token}\n");
    let first = repo.commit(
        &[
            ("a.env", Some(&line)),
            ("b.env", Some(&line)),
            ("deploy/c.env", Some(&line)),
        ],
        "three copies",
    );
    // a move: a.env becomes moved/a.env
    let moved = repo.commit(&[("a.env", None), ("moved/a.env", Some(&line))], "move");
    let trunk = repo.repo.head().unwrap().shorthand().unwrap().to_string();
    repo.repo
        .tag_lightweight("v1", &repo.repo.find_object(moved, None).unwrap(), false)
        .unwrap();
    // a secret only in history, on a side branch
    repo.branch("side", moved);
    let key = aws_key_id(4102);
    let aws = repo.commit(&[("aws.txt", Some(&format!("id = {key}\n")))], "aws key");
    repo.commit(&[("aws.txt", None)], "drop aws key");
    repo.branch(&trunk, moved);

    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--format", "json"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "{:#}", doc["secrets"]);

    let gh = secret(&doc, "GitHub");
    let paths: Vec<&str> = (gh["locations"].as_array().unwrap().iter())
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.env", "b.env", "deploy/c.env", "moved/a.env"]);
    assert_eq!(gh["first_introduced"]["commit"], first.to_string());
    assert_eq!(gh["in_working_tree"], true);
    let mut refs = vec!["side", trunk.as_str(), "v1"];
    refs.sort();
    assert_eq!(gh["refs"], serde_json::json!(refs));
    assert!(gh["rotate"].as_str().unwrap().contains("tokens"), "{gh:#}");
    assert_eq!(gh["console"], "https://github.com/settings/tokens");
    assert!(
        !doc.to_string().contains(&token),
        "the report leaks the token"
    );
    // every finding is linked from exactly one secret
    let linked: usize = (secrets.iter())
        .map(|s| s["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(linked, doc["findings"].as_array().unwrap().len());
    for i in gh["findings"].as_array().unwrap() {
        let f = &doc["findings"][i.as_u64().unwrap() as usize];
        assert_eq!(f["rule_id"], gh["rules"][0]);
    }

    let aws_secret = secret(&doc, "Amazon Web Services (AWS)");
    assert_eq!(aws_secret["first_introduced"]["commit"], aws.to_string());
    assert_eq!(aws_secret["in_working_tree"], false);
    assert_eq!(aws_secret["refs"], serde_json::json!(["side"]));

    let text = repo.dir.cmd(&["scan", "git", "."]).run();
    assert!(
        text.stdout()
            .starts_with("2 distinct secrets to rotate (1 still in the working tree)\n"),
        "{}",
        text.stdout()
    );
    assert!(text.stdout().contains("rotate: "), "{}", text.stdout());
}

#[test]
fn dir_census_counts_one_key_in_several_files_once_and_sarif_carries_the_grouping() {
    let dir = TestDir::new();
    let token = github_token(4103);
    for p in ["one.env", "two/two.env", "three.env"] {
        dir.write(p, format!("token: {token}\n"));
    }
    dir.write("other.env", format!("token: {}\n", github_token(4104)));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 4);
    assert_eq!(doc["secrets"].as_array().unwrap().len(), 2);
    let text = dir.cmd(&["scan", "dir", "."]).run().stdout();
    assert!(
        text.starts_with("2 distinct secrets to rotate (2 still in the working tree)\n"),
        "{text}"
    );

    let sarif = dir
        .cmd(&["scan", "dir", ".", "--format", "sarif"])
        .run()
        .json();
    let ids: std::collections::BTreeSet<String> = (sarif["runs"][0]["results"].as_array().unwrap())
        .iter()
        .map(|r| {
            let id = r["partialFingerprints"]["keyhoundSecret/v1"]
                .as_str()
                .unwrap();
            assert_eq!(r["properties"]["secretId"], id);
            id.to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2);
}

#[test]
fn every_rule_has_a_provider_with_rotation_guidance() {
    use keyhound::census::rotation;
    let rules = keyhound::rules::RuleSet::builtin().unwrap();
    let mut seen = std::collections::HashSet::new();
    for p in rotation::providers() {
        assert!(
            !p.rotate.trim().is_empty(),
            "{}: no rotation guidance",
            p.name
        );
        assert!(!p.rules.is_empty(), "{}: no rules", p.name);
        if let Some(c) = &p.console {
            assert!(c.starts_with("https://"), "{}: console {c}", p.name);
        }
        for r in &p.rules {
            assert!(rules.get(r).is_some(), "{}: unknown rule {r}", p.name);
            assert!(seen.insert(r.clone()), "rule {r} has two providers");
        }
    }
    for r in rules.rules() {
        assert!(
            rotation::provider(&r.id).is_some(),
            "rule {} has no provider in rules/rotate/providers.toml",
            r.id
        );
    }
}

#[test]
fn the_rules_readme_rotation_column_is_the_rule_data() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/README.md")).unwrap();
    let rows: Vec<(String, String)> = (readme.lines())
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Provider"))
        .map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(str::trim)
                .collect();
            assert_eq!(cells.len(), 4, "rules/README.md row: {l}");
            (cells[0].to_string(), cells[3].to_string())
        })
        .collect();
    let data: Vec<(String, String)> = (keyhound::census::rotation::providers().iter())
        .map(|p| (p.name.clone(), p.rotate.clone()))
        .collect();
    assert_eq!(
        rows, data,
        "rules/README.md's \"Where to rotate it\" differs from rules/rotate/providers.toml"
    );
}

/// The census entries of a JSON report whose rules report a file by its path.
fn file_secrets(doc: &serde_json::Value) -> Vec<Vec<String>> {
    (doc["secrets"].as_array().unwrap().iter())
        .filter(|s| s["redacted"] == "(the file itself)")
        .map(|s| {
            (s["locations"].as_array().unwrap().iter())
                .map(|l| l["path"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn a_key_store_moved_in_history_or_copied_is_one_secret() {
    let mut repo = TestRepo::new();
    let store = format!(
        "not really pkcs12 {}\n",
        random_token(4301, 40, crate::util::ALNUM)
    );
    repo.commit(&[("deploy/release.p12", Some(&store))], "key store");
    repo.commit(
        &[
            ("deploy/release.p12", None),
            ("signing/release.p12", Some(&store)),
        ],
        "move it",
    );
    repo.commit(&[("other/debug.p12", Some("another store\n"))], "another");
    let run = repo.dir.cmd(&["scan", "git", ".", "-f", "json"]).run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let mut stores = file_secrets(&run.json());
    stores.sort();
    assert_eq!(
        stores,
        [
            vec![
                "deploy/release.p12".to_string(),
                "signing/release.p12".to_string()
            ],
            vec!["other/debug.p12".to_string()],
        ],
        "the moved store is one secret at both paths; another store is another"
    );

    // a working tree with two copies of one store and a different one: two secrets
    let dir = TestDir::new();
    dir.write("a/release.p12", &store);
    dir.write("b/copy.p12", &store);
    dir.write("c/debug.p12", "another store\n");
    let run = dir.cmd(&["scan", "dir", ".", "-f", "json"]).run();
    let mut stores = file_secrets(&run.json());
    stores.sort();
    assert_eq!(
        stores,
        [
            vec!["a/release.p12".to_string(), "b/copy.p12".to_string()],
            vec!["c/debug.p12".to_string()],
        ]
    );
}
