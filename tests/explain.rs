//! `keyhound explain PATH[:LINE[-LINE]]` and `scan dir|stdin --explain`: every candidate with the rule
//! and keyword that reached it and the stage that kept or dropped it, with its numbers; the same
//! config resolution and the same verdicts as a scan of that path.

use crate::util::{github_token, random_token, TestCommand, TestDir};

/// The block `explain` printed for `rule` at `place` (`path:line:column`): its head line and the
/// indented stage lines under it.
fn block(out: &str, place: &str, rule: &str) -> String {
    let head = format!("{place} {rule} (");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no candidate {head}… in:\n{out}"));
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with("    ")).collect();
    format!("{first}\n{}\n", rest.join("\n"))
}

#[test]
fn a_reported_finding_names_its_keyword_and_every_stage_it_passed() {
    let dir = TestDir::new();
    let token = github_token(901);
    dir.write("app.env", format!("# settings\nGITHUB_TOKEN={token}\n"));
    let run = dir.cmd(&["explain", "app.env"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    let b = block(&out, "app.env:2:14", "github-pat-classic");
    assert!(b.contains(": REPORTED\n"), "{b}");
    assert!(b.contains("keyword      `ghp_`"), "{b}");
    assert!(b.contains("engine       ok: kept: entropy "), "{b}");
    assert!(b.contains("crc32-base62 checksum verified"), "{b}");
    assert!(b.contains("confidence   ok: high"), "{b}");
    assert!(b.contains("suppression  ok: "), "{b}");
    assert!(
        !out.contains(&token) && !run.stderr().contains(&token),
        "redacted"
    );
    assert!(b.contains("ghp_***"), "{b}");
    // what explain calls reported is what the scan reports
    let scan = dir
        .cmd(&["scan", "dir", "app.env", "--format", "json"])
        .run();
    assert_eq!(
        scan.findings(),
        vec![("app.env".to_string(), 2, "github-pat-classic".to_string())]
    );
    // --show-secrets shows it
    let shown = dir.cmd(&["explain", "app.env:2", "--show-secrets"]).run();
    assert!(shown.stdout().contains(&token));
}

#[test]
fn engine_drops_show_randomness_against_the_threshold_and_the_placeholder_word() {
    let dir = TestDir::new();
    dir.write(
        "a.py",
        "api_key = \"EXAMPLEKEYq8mK2pL9vXwQ3rT\"\npassword = \"Summer2024Summer\"\n",
    );
    let out = dir.cmd(&["explain", "a.py"]).run().stdout();
    let placeholder = block(&out, "a.py:1:12", "generic-api-key");
    assert!(
        placeholder.contains("engine       DROPPED: placeholder: word `example`"),
        "{placeholder}"
    );
    assert!(placeholder.contains("not reported (dropped by engine)"));
    let random = block(&out, "a.py:2:13", "generic-password");
    assert!(
        random.contains("engine       DROPPED: randomness 1.41 < 3"),
        "{random}"
    );
    assert!(out.contains("keyhound: explained "), "{out}");
}

#[test]
fn suppression_says_which_allowlist_path_and_which_inline_marker() {
    let dir = TestDir::new();
    let key = format!(
        "AKIA{}",
        random_token(902, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    dir.write(
        ".keyhound.toml",
        "[allowlist]\npaths = ['''^testdata/''']\n",
    );
    dir.write("testdata/a.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    dir.write(
        "src/b.py",
        format!("KEY_ID = \"{key}\"  # keyhound:allow\n"),
    );
    let out = dir.cmd(&["explain", "testdata/a.env"]).run().stdout();
    let b = block(&out, "testdata/a.env:1:19", "aws-access-key-id");
    assert!(
        b.contains("suppression  DROPPED: the config's allowlist: path regex `^testdata/`"),
        "{b}"
    );
    assert!(b.contains("not reported (dropped by suppression)"));
    let out = dir.cmd(&["explain", "src/b.py:1"]).run().stdout();
    let b = block(&out, "src/b.py:1:11", "aws-access-key-id");
    assert!(
        b.contains("suppression  DROPPED: inline marker `keyhound:allow`"),
        "{b}"
    );
    // the same config resolution as `scan dir` of that path: neither is reported by a scan
    let scan = dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run()
        .findings();
    assert_eq!(scan, vec![]);
}

#[test]
fn a_baseline_hit_and_the_confidence_filter_drop_what_got_past_suppression() {
    let dir = TestDir::new();
    let token = github_token(903);
    dir.write("a.env", format!("GITHUB_TOKEN={token}\n"));
    let written = dir
        .cmd(&["scan", "dir", ".", "--write-baseline", "kh.baseline"])
        .run();
    assert_eq!(written.code(), 1, "{}", written.stderr());
    let out = dir
        .cmd(&["explain", "a.env", "--baseline", "kh.baseline"])
        .run()
        .stdout();
    let b = block(&out, "a.env:1:14", "github-pat-classic");
    assert!(b.contains("suppression  ok: "), "{b}");
    assert!(
        b.contains("baseline     DROPPED: a known secret: baseline entry "),
        "{b}"
    );
    assert!(b.contains("not reported (dropped by baseline)"), "{b}");

    dir.write("b.env", "DB_PASSWORD=Qx7mL2vK9pWz\n");
    let out = dir
        .cmd(&["explain", "b.env", "--min-confidence", "medium"])
        .run()
        .stdout();
    let b = block(&out, "b.env:1:13", "generic-password");
    assert!(
        b.contains("confidence   DROPPED: confidence low is below --min-confidence medium"),
        "{b}"
    );
}

#[test]
fn lines_select_candidates_and_bad_targets_are_refused() {
    let dir = TestDir::new();
    let (a, b) = (github_token(904), github_token(905));
    dir.write("t.env", format!("A={a}\n\n\nB={b}\n"));
    let one = dir.cmd(&["explain", "t.env:4"]).run().stdout();
    assert!(
        one.contains("t.env:4:3 github-pat-classic") && !one.contains("t.env:1:"),
        "{one}"
    );
    let both = dir.cmd(&["explain", "t.env:1-4"]).run().stdout();
    assert!(both.contains("t.env:1:3 github-pat-classic") && both.contains("t.env:4:3"));
    let none = dir.cmd(&["explain", "t.env:2-3"]).run();
    assert_eq!(none.code(), 0);
    assert!(
        none.stdout()
            .starts_with("no candidate in t.env on lines 2-3"),
        "{}",
        none.stdout()
    );
    let bad = dir.cmd(&["explain", "t.env:0"]).run();
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("line number"), "{}", bad.stderr());
    let missing = dir.cmd(&["explain", "nope.env"]).run();
    assert_eq!(missing.code(), 2, "{}", missing.stdout());
}

#[test]
fn scan_explain_writes_every_candidate_on_stderr_and_leaves_the_report_alone() {
    let dir = TestDir::new();
    let token = github_token(906);
    dir.write("a.env", format!("GITHUB_TOKEN={token}\n"));
    dir.write("b.py", "password = \"Summer2024Summer\"\n");
    let run = dir
        .cmd(&["scan", "dir", ".", "--explain", "--format", "json"])
        .run();
    assert_eq!(run.code(), 1);
    assert_eq!(
        run.json()["findings"].as_array().unwrap().len(),
        2,
        "stdout is the report"
    );
    let err = run.stderr();
    assert!(err.contains("a.env:1:14 github-pat-classic"), "{err}");
    assert!(err.contains("b.py:1:13 generic-password"), "{err}");
    assert!(err.contains("keyhound: explained "), "{err}");
    assert!(!err.contains(&token));

    let run = TestCommand::new(&["scan", "stdin", "--explain"])
        .stdin(format!("step 1\nTOKEN={token}\n"))
        .run();
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("<stdin>:2:7 github-pat-classic"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains(&token) && !run.stdout().contains(&token));
}

#[test]
fn what_explain_calls_reported_is_what_the_scan_reports_on_the_fixtures() {
    let root = crate::util::fixtures();
    for tree in ["planted", "decoys"] {
        let dir = root.join(tree);
        let run = TestCommand::new(&[
            "scan",
            "dir",
            dir.to_str().unwrap(),
            "--explain",
            "--format",
            "json",
        ])
        .run();
        let mut found: Vec<String> = (run.findings().into_iter())
            .map(|(p, l, r)| format!("{p}:{l} {r}"))
            .collect();
        found.sort();
        // `path:line:column rule (name) secret: REPORTED`
        let mut reported: Vec<String> = (run.stderr().lines())
            .filter(|l| l.ends_with(": REPORTED"))
            .map(|l| {
                let (place, rest) = l.split_once(' ').unwrap();
                let (path_line, _column) = place.rsplit_once(':').unwrap();
                format!("{path_line} {}", rest.split_once(' ').unwrap().0)
            })
            .collect();
        reported.sort();
        assert_eq!(reported, found, "{tree}");
    }
}
