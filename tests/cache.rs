//! Incremental history scans (`scan git --cache DIR`): a warm scan reports what a scan from scratch
//! reports, finds what new commits add, and never trusts a cache it should not (other rules or options,
//! a corrupt or foreign file, a rewritten history).

use crate::util::{github_token, random_token, Run, TestDir, TestRepo};

fn aws_key_id(seed: u64) -> String {
    format!(
        "AKIA{}",
        random_token(seed, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    )
}

/// `scan git . --format json`, with `--cache DIR` when given.
fn scan(repo: &TestRepo, cache: Option<&TestDir>, extra: &[&str]) -> Run {
    let cache_path = cache.map(|c| c.path().join("c").to_string_lossy().into_owned());
    let mut args = vec!["scan", "git", ".", "--format", "json"];
    if let Some(dir) = &cache_path {
        args.extend(["--cache", dir.as_str()]);
    }
    args.extend_from_slice(extra);
    repo.dir.cmd(&args).run()
}

/// The report without what may differ between equal scans: the time taken and the cache's notes.
fn normalised(run: &Run) -> serde_json::Value {
    let mut doc = run.json();
    doc["summary"]["duration_secs"] = 0.into();
    let notes: Vec<serde_json::Value> = (doc["notes"].as_array().unwrap().iter())
        .filter(|n| !n.as_str().unwrap().starts_with("cache"))
        .cloned()
        .collect();
    doc["notes"] = notes.into();
    doc
}

fn notes(run: &Run) -> String {
    run.json()["notes"].to_string()
}

/// The one cache file in the cache directory.
fn cache_file(cache: &TestDir) -> std::path::PathBuf {
    let dir = cache.path().join("c");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// A history with secrets on two branches, one removed before HEAD, one moved, a binary file and a
/// secret in a commit message.
fn history() -> TestRepo {
    let mut repo = TestRepo::new();
    let token = github_token(300);
    repo.commit(&[("README.md", Some("# app\n"))], "init");
    repo.commit(
        &[("config/app.env", Some(&format!("GITHUB_TOKEN={token}\n")))],
        "add config",
    );
    repo.commit(
        &[
            ("config/app.env", None),
            ("deploy/app.env", Some(&format!("GITHUB_TOKEN={token}\n"))),
        ],
        "move config",
    );
    let base = repo.commit(
        &[("src/lib.rs", Some(&format!("// key {}\n", aws_key_id(301))))],
        "lib",
    );
    repo.commit(
        &[("data.bin", Some(&format!("\0\0\x01{}", github_token(302))))],
        &format!("binary\n\nused token {}", github_token(303)),
    );
    // an archive: its entries are scanned, and counted, under the archive's blob
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in [
        ("conf/.env", format!("GITHUB_TOKEN={}\n", github_token(305))),
        ("README", "nothing here\n".to_string()),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    repo.dir
        .write("dist/bundle.zip", zip.finish().unwrap().into_inner());
    let mut index = repo.repo.index().unwrap();
    index
        .add_path(std::path::Path::new("dist/bundle.zip"))
        .unwrap();
    index.write().unwrap();
    repo.commit_index("bundle", &[]);
    let head = repo.repo.head().unwrap().name().unwrap().to_string();
    repo.branch("feature", base);
    repo.commit(
        &[(
            "feature.env",
            Some(&format!("TOKEN={}\n", github_token(304))),
        )],
        "feature",
    );
    repo.repo.set_head(&head).unwrap();
    repo.repo
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    repo
}

#[test]
fn warm_scans_report_what_a_scan_from_scratch_reports() {
    let repo = history();
    let cache = TestDir::new();
    let plain = scan(&repo, None, &[]);
    assert_eq!(plain.code(), 1, "{}", plain.stderr());
    assert!(plain.json()["findings"].as_array().unwrap().len() >= 6);
    assert!(plain
        .findings()
        .iter()
        .any(|f| f.0 == "dist/bundle.zip!/conf/.env"));
    let cold = scan(&repo, Some(&cache), &[]);
    assert_eq!(cold.code(), 1, "{}", cold.stderr());
    assert!(notes(&cold).contains("written"), "{}", notes(&cold));
    let warm = scan(&repo, Some(&cache), &[]);
    assert_eq!(warm.code(), 1, "{}", warm.stderr());
    assert!(
        notes(&warm).contains("0 commits walked and 0 blobs"),
        "{}",
        notes(&warm)
    );
    assert_eq!(normalised(&cold), normalised(&plain));
    assert_eq!(normalised(&warm), normalised(&plain));
    // --all-occurrences and --branch are worked out from the same cache.
    for extra in [&["--all-occurrences"][..], &["--branch", "feature"]] {
        let warm = scan(&repo, Some(&cache), extra);
        assert_eq!(
            normalised(&warm),
            normalised(&scan(&repo, None, extra)),
            "{extra:?}"
        );
    }
}

#[test]
fn a_new_commit_is_walked_and_its_secret_found() {
    let mut repo = history();
    let cache = TestDir::new();
    scan(&repo, Some(&cache), &[]);
    let token = github_token(310);
    repo.commit(
        &[("ci/deploy.sh", Some(&format!("export GH_TOKEN={token}\n")))],
        "ci",
    );
    let warm = scan(&repo, Some(&cache), &[]);
    assert!(
        notes(&warm).contains("1 commits walked"),
        "{}",
        notes(&warm)
    );
    assert!(
        warm.findings().iter().any(|f| f.0 == "ci/deploy.sh"),
        "{}",
        warm.stdout()
    );
    assert_eq!(normalised(&warm), normalised(&scan(&repo, None, &[])));
}

#[test]
fn other_rules_or_options_do_not_use_the_cache() {
    let repo = history();
    let outside = TestDir::new();
    let acme = format!(
        "acme_{}",
        random_token(320, 32, b"abcdefghijklmnopqrstuvwxyz0123456789")
    );
    let mut repo = repo;
    repo.commit(&[("notes.txt", Some(&format!("key {acme}\n")))], "notes");
    let cache = TestDir::new();
    let cold = scan(&repo, Some(&cache), &[]);
    assert!(cold.findings().iter().all(|f| f.0 != "notes.txt"));
    // A new rule (from a config outside the repository) finds what the cached scan could not.
    let config = outside.write(
        "rules.toml",
        "[[rule]]\nid = \"acme-token\"\nname = \"ACME token\"\nregex = '''\\b(acme_[a-z0-9]{32})\\b'''\nkeywords = [\"acme_\"]\nexamples = [\"acme_0123456789abcdefghijklmnopqrstuv\"]\nnegative_examples = [\"acme_short\"]\n",
    );
    let config = config.to_str().unwrap();
    let warm = scan(&repo, Some(&cache), &["--config", config]);
    assert!(
        notes(&warm).contains("with other rules"),
        "{}",
        notes(&warm)
    );
    assert!(warm.findings().iter().any(|f| f.0 == "notes.txt"));
    assert_eq!(
        normalised(&warm),
        normalised(&scan(&repo, None, &["--config", config]))
    );
    // So do options that change what a blob's scan finds.
    for extra in [
        &["--min-confidence", "high"][..],
        &["--max-file-size", "100"],
        &["--decode-depth", "0"],
    ] {
        let warm = scan(&repo, Some(&cache), extra);
        assert!(
            notes(&warm).contains("not used"),
            "{extra:?}: {}",
            notes(&warm)
        );
        assert_eq!(
            normalised(&warm),
            normalised(&scan(&repo, None, extra)),
            "{extra:?}"
        );
    }
}

#[test]
fn ignore_files_apply_to_cached_findings_without_a_new_scan() {
    let repo = history();
    let cache = TestDir::new();
    let cold = scan(&repo, Some(&cache), &[]);
    let fingerprint = cold.json()["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let outside = TestDir::new();
    let ignore = outside.write("ignore", format!("{fingerprint}\n"));
    let extra = ["--ignore-file", ignore.to_str().unwrap()];
    let warm = scan(&repo, Some(&cache), &extra);
    assert!(notes(&warm).contains("reused"), "{}", notes(&warm));
    assert!(!notes(&warm).contains("not used"), "{}", notes(&warm));
    assert_eq!(
        warm.json()["findings"].as_array().unwrap().len() + 1,
        cold.json()["findings"].as_array().unwrap().len()
    );
    assert_eq!(normalised(&warm), normalised(&scan(&repo, None, &extra)));
}

#[test]
fn a_damaged_or_foreign_cache_costs_time_not_findings() {
    let repo = history();
    let cache = TestDir::new();
    let plain = normalised(&scan(&repo, None, &[]));
    scan(&repo, Some(&cache), &[]);
    let file = cache_file(&cache);
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0x55;
    let damages: Vec<(Vec<u8>, &str)> = vec![
        (flipped, "checksum mismatch"),
        (good[..good.len() / 2].to_vec(), "truncated"),
        (
            b"PK\x03\x04 not ours at all".to_vec(),
            "not a keyhound history cache",
        ),
        (Vec::new(), "not a keyhound history cache"),
        (
            [&good[..16], &[9, 0, 0, 0], &good[20..]].concat(),
            "format 9",
        ),
    ];
    for (bytes, why) in damages {
        std::fs::write(&file, &bytes).unwrap();
        let run = scan(&repo, Some(&cache), &[]);
        assert_eq!(run.code(), 1, "{why}: {}", run.stderr());
        assert!(notes(&run).contains(why), "{why}: {}", notes(&run));
        assert_eq!(normalised(&run), plain, "{why}");
        // ... and the scan wrote a good cache again.
        let again = scan(&repo, Some(&cache), &[]);
        assert!(notes(&again).contains("reused"), "{why}: {}", notes(&again));
        assert_eq!(normalised(&again), plain, "{why}");
    }
}

#[test]
fn a_rewritten_history_leaves_no_stale_finding() {
    let mut repo = history();
    let cache = TestDir::new();
    let before = repo.repo.head().unwrap().peel_to_commit().unwrap().id();
    let token = github_token(330);
    repo.commit(
        &[("leak.env", Some(&format!("GITHUB_TOKEN={token}\n")))],
        "oops",
    );
    let run = scan(&repo, Some(&cache), &[]);
    assert!(run.findings().iter().any(|f| f.0 == "leak.env"));
    // Force the branch back past the leak and commit something else, as a force-push would.
    let head = repo.repo.head().unwrap().name().unwrap().to_string();
    repo.repo.reference(&head, before, true, "reset").unwrap();
    repo.repo
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    repo.commit(&[("leak.env", None), ("ok.txt", Some("fine\n"))], "redo");
    let warm = scan(&repo, Some(&cache), &[]);
    assert!(
        warm.findings().iter().all(|f| f.0 != "leak.env"),
        "{}",
        warm.stdout()
    );
    assert!(notes(&warm).contains("dropped"), "{}", notes(&warm));
    assert_eq!(normalised(&warm), normalised(&scan(&repo, None, &[])));
}

#[cfg(unix)]
#[test]
fn the_cache_is_private_and_asked_for_only_where_it_works() {
    use std::os::unix::fs::PermissionsExt;
    let repo = history();
    let cache = TestDir::new();
    scan(&repo, Some(&cache), &[]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache.path().join("c")), 0o700);
    assert_eq!(mode(&cache_file(&cache)), 0o600);
    // Ranges are not cached: refused before scanning.
    let run = scan(&repo, Some(&cache), &["--range", "HEAD~1..HEAD"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--cache"), "{}", run.stderr());
    // A cache that cannot be made is an error, not a silent scan without one.
    let file = cache.write("plain-file", "x");
    let bad = file.join("sub");
    let run = repo
        .dir
        .cmd(&["scan", "git", ".", "--cache", bad.to_str().unwrap()])
        .run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
}
