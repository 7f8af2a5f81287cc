//! Faults in the input that must end a scan with an error (exit 2), never a hang, a crash or a clean
//! exit: damaged repositories, rules that cannot compile, absurd limits. Each was found by fuzzing or by
//! hand (issue 9) and failed before its fix.

use crate::util::{github_token, TestRepo};

/// Cuts the loose object of `id` in half, leaving its zlib stream without an end.
fn truncate_loose_object(repo: &TestRepo, id: git2::Oid) {
    let hex = id.to_string();
    let path = repo
        .repo
        .path()
        .join("objects")
        .join(&hex[..2])
        .join(&hex[2..]);
    let bytes = std::fs::read(&path).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn truncated_loose_object_is_an_error_not_a_hang() {
    // libgit2 loops forever inflating a cut-short loose object; keyhound must refuse the repository.
    let mut repo = TestRepo::new();
    let text = format!(
        "GITHUB_TOKEN={}\n{}\n",
        github_token(91),
        "padding line\n".repeat(50)
    );
    repo.commit(&[("app.env", Some(&text))], "add config");
    let blob = repo.repo.blob(text.as_bytes()).unwrap();
    truncate_loose_object(&repo, blob);
    for args in [&["scan", "git", "."][..], &["scan", "staged", "."][..]] {
        let run = repo.dir.cmd(args).run();
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("corrupt loose object"),
            "{args:?}: {}",
            run.stderr()
        );
    }
}

/// A `.keyhound.toml` whose second rule has `regex`; the rule's `id` line is line 9.
fn config_with_regex(regex: &str) -> String {
    format!(
        "[[rule]]\nid = \"fine-rule\"\nname = \"Fine\"\nregex = '''fine_[a-z0-9]{{20}}'''\n\
         keywords = [\"fine_\"]\n\n# the rule below parses but cannot compile\n[[rule]]\n\
         id = \"broken-rule\"\nname = \"Broken\"\nregex = '''{regex}'''\nkeywords = [\"tok_\"]\n"
    )
}

#[test]
fn custom_rule_that_cannot_compile_is_a_load_error_naming_file_line_and_rule() {
    // Both parse as regex syntax; the first exceeds the compiled size limit, the second is a Unicode
    // class in keyhound's ASCII mode. Before, each loaded and silently never matched (exit 0).
    for regex in [r"tok_a{1000}{1000}", r"tok_\p{L}{8}"] {
        let repo = TestRepo::new();
        repo.dir.write(".keyhound.toml", config_with_regex(regex));
        repo.dir.write("app.env", "token = tok_abcdefgh\n");
        let run = repo.dir.cmd(&["scan", "dir", "."]).run();
        assert_eq!(run.code(), 2, "{regex}: {}", run.stderr());
        let err = run.stderr();
        assert!(err.contains(".keyhound.toml"), "{regex}: {err}");
        assert!(err.contains(":9"), "{regex}: no line 9 in {err}");
        assert!(err.contains("broken-rule"), "{regex}: {err}");
        assert!(err.contains("bad regex"), "{regex}: {err}");
    }
}

#[test]
fn gitleaks_rule_with_a_unicode_class_loads_and_matches() {
    // gitleaks (Go) regexes are Unicode-aware: `\pL` must not become a rule that never matches.
    let repo = TestRepo::new();
    repo.dir.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"letters\"\nregex = '''tok_\\pL{4}[0-9]{6}'''\nkeywords = [\"tok_\"]\n",
    );
    repo.dir.write("app.env", "token = tok_ÄbÇd493817\n");
    let run = repo
        .dir
        .cmd(&["scan", "dir", ".", "--format", "json"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.findings().len(), 1, "{}", run.stdout());
}

#[test]
fn absurd_thread_count_still_finishes() {
    // `--threads 5000` never finished a directory scan; the thread count is capped.
    let repo = TestRepo::new();
    repo.dir
        .write("app.env", format!("GITHUB_TOKEN={}\n", github_token(92)));
    let run = repo
        .dir
        .cmd(&["scan", "dir", ".", "--threads", "5000"])
        .run();
    assert_eq!(run.code(), 1, "{}", run.stderr());
}
