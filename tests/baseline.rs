//! Baselines end to end: write one, add a secret (only it is reported), remove one (stale, pruned),
//! edit lines above a baselined secret and move its file (nothing changes), in directory, history, range
//! and staged scans.

use crate::util::{github_token, TestCommand, TestDir, TestRepo};

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

/// The entry lines of a baseline file.
fn entries(path: &std::path::Path) -> Vec<String> {
    (std::fs::read_to_string(path).unwrap().lines())
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn baseline_command_writes_what_write_baseline_writes_and_updates_it() {
    let dir = TestDir::new();
    let (a, b) = (token_line(5401), token_line(5402));
    dir.write("src/a.env", &a);
    dir.write("b.env", format!("# b\n{b}"));
    let run = dir
        .cmd(&["baseline", "dir", ".", "-o", "kh.baseline"])
        .run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("2 new"), "{}", run.stderr());
    let run = (dir.cmd(&["scan", "dir", ".", "--write-baseline", "old.baseline"])).run();
    assert_eq!(run.code(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("kh.baseline")).unwrap(),
        std::fs::read_to_string(dir.path().join("old.baseline")).unwrap(),
        "one format"
    );
    std::fs::remove_file(dir.path().join("old.baseline")).unwrap();
    let scan = || {
        (dir.cmd(&[
            "scan",
            "dir",
            ".",
            "--format",
            "json",
            "--baseline",
            "kh.baseline",
        ]))
        .run()
    };
    assert_eq!(scan().code(), 0, "{}", scan().stdout());

    // edits above a baselined secret change nothing; a new secret is the only finding
    dir.write("src/a.env", format!("# moved down\n\n\nX=1\n{a}"));
    let c = token_line(5403);
    dir.write("c.env", &c);
    let run = scan();
    assert_eq!(run.code(), 1);
    let found: Vec<String> = run.findings().into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(found, ["c.env"]);

    // accepting it: the update adds one and keeps the rest
    let run = dir
        .cmd(&["baseline", "dir", ".", "-o", "kh.baseline"])
        .run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("1 new, 2 already listed, 0 stale"),
        "{}",
        run.stderr()
    );
    assert_eq!(entries(&dir.path().join("kh.baseline")).len(), 3);
    assert_eq!(scan().code(), 0);

    // a secret removed: stale, kept without --prune, dropped with it
    dir.write("b.env", "# b\n");
    let run = scan();
    assert!(
        run.stderr().contains("stale baseline entry"),
        "{}",
        run.stderr()
    );
    let run = dir
        .cmd(&["baseline", "dir", ".", "-o", "kh.baseline"])
        .run();
    assert!(run.stderr().contains("1 stale, kept"), "{}", run.stderr());
    assert_eq!(entries(&dir.path().join("kh.baseline")).len(), 3);
    let run = (dir.cmd(&["baseline", "dir", ".", "-o", "kh.baseline", "--prune"])).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("1 stale, dropped"),
        "{}",
        run.stderr()
    );
    assert_eq!(entries(&dir.path().join("kh.baseline")).len(), 2);
    assert!(!scan().stderr().contains("stale"));
}

#[test]
fn baseline_command_over_history_ranges_and_staged_changes() {
    let mut repo = TestRepo::new();
    let (a, b) = (token_line(5501), token_line(5502));
    repo.commit(&[("a.env", Some(&a))], "a");
    let first = repo.commit(&[("b.env", Some(&b))], "b");
    let base = repo.path().join(".git/kh.baseline");
    let base_arg = base.to_str().unwrap().to_string();
    let root = repo.path().to_path_buf();
    let at_root = |args: &[&str]| TestCommand::new(args).current_dir(&root).run();
    let kh = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-o", &base_arg]);
        at_root(&all)
    };
    let run = kh(&["baseline", "git", "."]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(entries(&base).len(), 2);
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "git",
            ".",
            "--format",
            "json",
            "--baseline",
            &base_arg,
        ];
        args.extend_from_slice(extra);
        at_root(&args)
    };
    assert_eq!(scan(&[]).code(), 0);

    // lines added above a baselined secret, and a new secret: only the new one is reported
    let c = token_line(5503);
    repo.commit(
        &[
            ("a.env", Some(&format!("# top\nX=1\n{a}"))),
            ("c.env", Some(&c)),
        ],
        "c",
    );
    let run = scan(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let found: Vec<String> = run.findings().into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(found, ["c.env"]);

    // a range adds what it saw and keeps everything else; --prune is refused there
    let range = format!("{first}..HEAD");
    let run = kh(&["baseline", "git", ".", "--range", &range]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("1 new"), "{}", run.stderr());
    assert_eq!(entries(&base).len(), 3);
    let run = kh(&["baseline", "git", ".", "--range", &range, "--prune"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--prune needs"), "{}", run.stderr());
    assert_eq!(scan(&[]).code(), 0);

    // staged: a new secret about to be committed is accepted into the baseline
    let d = token_line(5504);
    repo.stage(&[("d.env", Some(&d))]);
    let staged = ["scan", "staged", ".", "--baseline", &base_arg];
    assert_eq!(at_root(&staged).code(), 1);
    let run = kh(&["baseline", "staged", "."]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(entries(&base).len(), 4);
    assert_eq!(at_root(&staged).code(), 0);

    // history rewritten without b.env's commit: b's entry is stale, and --prune drops it
    let out = std::process::Command::new("git")
        .args(["rm", "-q", "--cached", "d.env"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut fresh = TestRepo::new();
    fresh.commit(&[("a.env", Some(&a)), ("c.env", Some(&c))], "rewritten");
    let fresh_path = fresh.path().to_str().unwrap().to_string();
    let run = at_root(&["scan", "git", &fresh_path, "--baseline", &base_arg]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.stderr().matches("stale baseline entry").count(),
        2,
        "b and d"
    );
    let run = kh(&["baseline", "git", &fresh_path, "--prune"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("2 stale, dropped"),
        "{}",
        run.stderr()
    );
    assert_eq!(entries(&base).len(), 2);
}
