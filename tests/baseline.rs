//! Baselines end to end: write one, add a secret (only it is reported), remove one (stale, pruned),
//! edit lines above a baselined secret and move its file (nothing changes), in directory, history, range
//! and staged scans.

use crate::util::{github_token, TestDir, TestRepo};

fn token_line(seed: u64) -> String {
    format!("GITHUB_TOKEN={}\n", github_token(seed))
}

#[test]
fn dir_baseline_round_trip() {
    let dir = TestDir::new();
    let (a, b) = (token_line(5101), token_line(5102));
    dir.write("app/a.env", &a);
    dir.write("b.env", &b);
    let base = dir.path().join("keyhound.baseline");
    let base_arg = base.to_str().unwrap();
    let run = dir
        .cmd(&["scan", "dir", "app", "b.env", "--write-baseline", base_arg])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let text = std::fs::read_to_string(&base).unwrap();
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 2, "{text}");
    assert!(entries.windows(2).all(|w| w[0] < w[1]), "sorted: {text}");
    assert!(
        entries
            .iter()
            .all(|e| e.contains("github-pat-classic ghp_***")),
        "{text}"
    );
    assert!(
        !text.contains(a[13..].trim()) && !text.contains(b[13..].trim()),
        "the baseline leaks a secret"
    );
    assert!(!text.contains("a.env"), "no paths in a baseline: {text}");

    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "dir",
            "app",
            "b.env",
            "new.env",
            "--format",
            "json",
            "--baseline",
            base_arg,
        ];
        args.extend_from_slice(extra);
        dir.cmd(&args).run()
    };
    // clean with the baseline; lines added above and a moved file change nothing
    dir.write("new.env", "# nothing\n");
    assert_eq!(scan(&[]).code(), 0, "{}", scan(&[]).stderr());
    dir.write("app/a.env", format!("# a comment\n\nX=1\n{a}"));
    std::fs::create_dir_all(dir.path().join("app/moved")).unwrap();
    std::fs::rename(
        dir.path().join("app/a.env"),
        dir.path().join("app/moved/a2.env"),
    )
    .unwrap();
    let run = scan(&[]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(run.json()["summary"]["suppressed"], 2);

    // one new secret: only it is reported
    let c = token_line(5103);
    dir.write("new.env", &c);
    let run = scan(&[]);
    assert_eq!(run.code(), 1);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["findings"][0]["path"], "new.env");

    // an old one removed: listed stale, --prune drops it
    dir.write("b.env", "GITHUB_TOKEN=\n");
    let run = scan(&[]);
    let notes = run.json()["notes"].to_string();
    assert!(notes.contains("stale baseline entry"), "{notes}");
    assert!(
        run.stderr().contains("stale baseline entry"),
        "{}",
        run.stderr()
    );
    let run = scan(&["--prune"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let text = std::fs::read_to_string(&base).unwrap();
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        1,
        "{text}"
    );
    assert!(!scan(&[]).json()["notes"].to_string().contains("stale"));
}

#[test]
fn history_range_and_staged_scans_honour_a_baseline() {
    let mut repo = TestRepo::new();
    let a = token_line(5201);
    repo.commit(&[("a.env", Some(&a))], "a");
    let base = repo.path().join(".git/kh.baseline");
    let base_arg = base.to_str().unwrap().to_string();
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--write-baseline", &base_arg])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // move the file and edit above the secret: still baselined in history
    let start = repo.commit(
        &[
            ("a.env", None),
            ("cfg/a.env", Some(&format!("# moved\n{a}"))),
        ],
        "move",
    );
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--baseline", &base_arg])
        .run();
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());

    // a range adding a new secret next to the old one reports only the new one
    let b = token_line(5202);
    repo.commit(&[("cfg/b.env", Some(&b)), ("cfg/copy.env", Some(&a))], "b");
    let range = format!("{start}..HEAD");
    let run = (repo.dir)
        .cmd(&[
            "scan",
            "git",
            ".",
            "--range",
            &range,
            "--format",
            "json",
            "--baseline",
            &base_arg,
        ])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let paths: Vec<&str> = (doc["findings"].as_array().unwrap().iter())
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["cfg/b.env"]);
    assert!(
        !doc["notes"].to_string().contains("stale"),
        "a range cannot tell staleness"
    );

    // staged: a copy of the baselined secret is not reported, a new one is
    repo.stage(&[("staged.env", Some(&a))]);
    let run = repo
        .dir
        .cmd(&["scan", "staged", ".", "--baseline", &base_arg])
        .run();
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    repo.stage(&[("staged2.env", Some(&token_line(5203)))]);
    let run = repo
        .dir
        .cmd(&["scan", "staged", ".", "--baseline", &base_arg])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());

    // --prune is refused where staleness cannot be told
    let run = (repo.dir)
        .cmd(&[
            "scan",
            "git",
            ".",
            "--range",
            &range,
            "--baseline",
            &base_arg,
            "--prune",
        ])
        .run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
}

#[test]
fn a_malformed_baseline_is_an_error_naming_file_and_line() {
    let dir = TestDir::new();
    dir.write("b.env", token_line(5301));
    dir.write("kh.baseline", "# ok\nnot-a-hash rule x***\n");
    let run = dir
        .cmd(&["scan", "dir", "b.env", "--baseline", "kh.baseline"])
        .run();
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("kh.baseline") && run.stderr().contains("line 2"),
        "{}",
        run.stderr()
    );
}
