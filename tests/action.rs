//! The GitHub Action's scan step (`action/scan.sh`, run by `action.yml`) under bash, with the environment
//! the action gives it and the keyhound binary on PATH: a pull request scans base..head, anything else
//! the full history, and the step's outputs carry the exit code and whether SARIF was written.

use std::path::Path;
use std::process::Command;

use crate::util::{github_token, TestDir, TestRepo};

/// Runs the scan step in `repo` with `env`; returns its `GITHUB_OUTPUT` lines and the SARIF report.
fn scan_step(repo: &Path, env: &[(&str, &str)]) -> (Vec<String>, Option<serde_json::Value>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_keyhound")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let outputs = TestDir::new();
    let output_file = outputs.write("github_output", "");
    let out = Command::new("bash")
        .arg(root.join("action/scan.sh"))
        .current_dir(repo)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output_file)
        .env("KEYHOUND_SARIF", "out.sarif")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs the scan step");
    assert!(
        out.status.success(),
        "the step itself always succeeds: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = std::fs::read_to_string(&output_file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let sarif = std::fs::read(repo.join("out.sarif"))
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).expect("SARIF is JSON"));
    (lines, sarif)
}

fn results(sarif: &serde_json::Value) -> usize {
    sarif["runs"][0]["results"].as_array().unwrap().len()
}

#[test]
fn pull_requests_scan_their_range_and_pushes_the_full_history() {
    let mut repo = TestRepo::new();
    let old = github_token(400);
    let base = repo.commit(&[("a.env", Some(&format!("OLD={old}\n")))], "base");
    let head = repo.commit(
        &[("b.env", Some(&format!("NEW={}\n", github_token(401))))],
        "pull request",
    );
    let (base, head) = (base.to_string(), head.to_string());

    let (outputs, sarif) = scan_step(
        repo.path(),
        &[("KEYHOUND_BASE", &base), ("KEYHOUND_HEAD", &head)],
    );
    assert_eq!(outputs, ["exit-code=1", "sarif-written=true"]);
    let sarif = sarif.expect("a SARIF report");
    assert_eq!(results(&sarif), 1, "only what the pull request adds");
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "b.env"
    );

    let (outputs, sarif) = scan_step(repo.path(), &[]);
    assert_eq!(outputs, ["exit-code=1", "sarif-written=true"]);
    assert_eq!(results(&sarif.unwrap()), 2, "the full history");

    // Extra arguments reach keyhound; a pull request that adds nothing is clean.
    let (outputs, _) = scan_step(
        repo.path(),
        &[
            ("KEYHOUND_BASE", &head),
            ("KEYHOUND_HEAD", &head),
            ("KEYHOUND_ARGS", "--min-confidence high --threads 1"),
        ],
    );
    assert_eq!(outputs, ["exit-code=0", "sarif-written=true"]);

    // An error (here: not a repository) is exit code 2 with no report to upload.
    let empty = TestDir::new();
    let (outputs, sarif) = scan_step(empty.path(), &[]);
    assert_eq!(outputs, ["exit-code=2", "sarif-written=false"]);
    assert!(sarif.is_none());
}

#[test]
fn action_yml_runs_the_tested_script_and_uploads_sarif() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    assert!(action.contains(r#"run: bash "$GITHUB_ACTION_PATH/action/scan.sh""#));
    assert!(action.contains(r#"cargo install --locked --path "$GITHUB_ACTION_PATH""#));
    assert!(action.contains("uses: github/codeql-action/upload-sarif@"));
    assert!(action.contains("github.event.pull_request.base.sha"));
    assert!(action.contains("github.event.pull_request.head.sha"));
}
