//! Command-line conventions end to end: what goes to stdout (reports) and stderr (messages), `--quiet`,
//! `--version`, shell completions and the manual page, and exit codes for every format.

use crate::util::{github_token, TestCommand, TestDir};

/// A directory with one secret, scanned together with a path that does not exist: findings and an error.
fn findings_and_an_error(extra: &[&str]) -> crate::util::Run {
    let dir = TestDir::new();
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", github_token(300)));
    let mut args = vec!["scan", "dir", "a.env", "no-such-file"];
    args.extend_from_slice(extra);
    dir.cmd(&args).run()
}

#[test]
fn messages_go_to_stderr_and_the_report_to_stdout() {
    // Regression: the text report used to carry the error list and summary on stdout.
    let run = findings_and_an_error(&[]);
    assert_eq!(run.code(), 2, "errors outrank findings");
    let out = run.stdout();
    assert!(out.contains("Finding: GitHub"), "{out}");
    assert!(
        !out.contains("no-such-file"),
        "errors are not in the report: {out}"
    );
    assert!(!out.contains("keyhound:"), "no messages on stdout: {out}");
    let err = run.stderr();
    assert!(err.contains("keyhound: error: no-such-file"), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("keyhound: scanned 1 files"), "{err}");
    assert!(
        last.ends_with("1 finding, 0 skipped, 0 suppressed, 1 error"),
        "{err}"
    );

    // Machine formats: stdout is exactly one document; the messages are the same on stderr.
    for format in ["json", "sarif"] {
        let run = findings_and_an_error(&["--format", format]);
        assert_eq!(run.code(), 2);
        run.json();
        assert!(run.stderr().contains("keyhound: error: no-such-file"));
        assert!(run.stderr().contains("keyhound: scanned 1 files"));
    }
}

#[test]
fn quiet_silences_messages_but_not_the_report_or_exit_code() {
    for format in ["text", "json"] {
        let run = findings_and_an_error(&["--quiet", "--format", format]);
        assert_eq!(run.code(), 2, "{format}");
        assert_eq!(run.stderr(), "", "{format}");
        assert!(
            run.stdout().contains("ghp_"),
            "{format}: the redacted finding"
        );
    }
    let run = findings_and_an_error(&["-q", "--format", "json"]);
    assert_eq!(run.json()["errors"][0]["path"], "no-such-file");
}

#[test]
fn report_path_gets_the_report_and_stdout_stays_empty() {
    let dir = TestDir::new();
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", github_token(301)));
    let run = dir
        .cmd(&["scan", "dir", ".", "-f", "text", "-o", "out.txt"])
        .run();
    assert_eq!(run.code(), 1);
    assert_eq!(run.stdout(), "");
    let report = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert!(report.contains("Finding: GitHub"), "{report}");
    assert!(!report.contains("keyhound: scanned"), "{report}");
    assert!(
        run.stderr().contains("keyhound: scanned"),
        "{}",
        run.stderr()
    );
}

#[test]
fn exit_codes_are_the_same_in_every_format() {
    let dir = TestDir::new();
    dir.write("clean.txt", "nothing here\n");
    dir.write("a.env", format!("GITHUB_TOKEN={}\n", github_token(302)));
    for format in ["text", "json", "sarif"] {
        let scan = |paths: &[&str], extra: &[&str]| {
            let mut args = vec!["scan", "dir"];
            args.extend_from_slice(paths);
            args.extend_from_slice(&["--format", format]);
            args.extend_from_slice(extra);
            dir.cmd(&args).run().code()
        };
        assert_eq!(scan(&["clean.txt"], &[]), 0, "{format}: clean");
        assert_eq!(scan(&["a.env"], &[]), 1, "{format}: findings");
        assert_eq!(scan(&["a.env"], &["--exit-code", "0"]), 0, "{format}");
        assert_eq!(scan(&["clean.txt", "gone"], &[]), 2, "{format}: error");
        assert_eq!(
            scan(&["a.env", "gone"], &["--exit-code", "0"]),
            2,
            "{format}: errors outrank findings, whatever --exit-code says"
        );
    }
    // Usage errors exit 2 as well.
    assert_eq!(dir.cmd(&["scan", "dir", "--format", "xml"]).run().code(), 2);
}

#[test]
fn version_shows_build_commit_and_rule_count() {
    let run = TestCommand::new(&["--version"]).run();
    assert_eq!(run.code(), 0);
    let line = run.stdout();
    let rest = line
        .trim()
        .strip_prefix(concat!("keyhound ", env!("CARGO_PKG_VERSION"), " (commit "))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, rules) = rest.split_once(", ").unwrap_or_else(|| panic!("{line}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{line}"
    );
    let listed = TestCommand::new(&["rules", "list"]).run().stdout();
    let count = listed.lines().last().unwrap().replace(" rules", "");
    assert_eq!(rules, format!("{count} built-in rules)"), "{line}");
}

/// Whether `program` runs on this machine.
fn available(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    let dir = TestDir::new();
    for (shell, check) in [
        ("bash", &["bash", "-n"][..]),
        ("zsh", &["zsh", "-n"]),
        ("fish", &["fish", "--no-execute"]),
        ("elvish", &[]),
        ("powershell", &[]),
    ] {
        let run = TestCommand::new(&["completions", shell]).run();
        assert_eq!(run.code(), 0, "{shell}: {}", run.stderr());
        let script = run.stdout();
        assert!(script.contains("keyhound"), "{shell}");
        for word in ["scan", "staged", "range", "format", "uninstall"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
        if shell == "bash" {
            // Format values come from the library's list of reports.
            assert!(
                script.contains("text json sarif"),
                "bash completes --format values"
            );
        }
        let Some((program, args)) = check.split_first() else {
            continue;
        };
        if !available(program) {
            continue;
        }
        let file = dir.write(&format!("keyhound.{shell}"), &script);
        let out = std::process::Command::new(program)
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell} rejects the script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(available("bash"), "bash is needed to check the bash script");
    assert_eq!(TestCommand::new(&["completions", "tcsh"]).run().code(), 2);
}

#[test]
fn man_page_is_roff_that_groff_accepts() {
    let run = TestCommand::new(&["man"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let page = run.stdout();
    assert!(page.contains(".TH keyhound 1"), "{page}");
    assert!(page.contains(".SH NAME"), "{page}");
    for word in ["scan", "rules", "hook", "completions", "Exit codes"] {
        assert!(page.contains(word), "the page mentions {word}");
    }
    if !available("groff") {
        return;
    }
    let dir = TestDir::new();
    let file = dir.write("keyhound.1", &page);
    let out = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
}

#[test]
fn subcommands_have_their_own_man_pages() {
    let run = TestCommand::new(&["man", "scan", "git"]).run();
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let page = run.stdout();
    assert!(page.contains(".TH keyhound-scan-git 1"), "{page}");
    for flag in ["range", "all\\-refs", "since\\-commit", "quiet"] {
        assert!(page.contains(flag), "the page documents {flag}");
    }
    let run = TestCommand::new(&["man", "scan", "nope"]).run();
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("not a command"), "{}", run.stderr());
}
