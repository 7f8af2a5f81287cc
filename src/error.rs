//! Typed errors of the library. The CLI wraps them with `anyhow` context; callers that need to branch
//! (a bad rule file versus an unreadable input) match on [`Error`].

use std::path::PathBuf;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file (built-in, `--config`, or `rules check`) is malformed. Names the file, the line and the
    /// rule so the author can go straight to it.
    #[error("{file}:{line}: {}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
    RuleFile {
        /// The file the rule came from (a built-in name such as `rules/aws.toml`, or a user path).
        file: String,
        /// 1-based line of the rule (or of the syntax error) in that file.
        line: usize,
        /// The rule id, when the error is inside a rule.
        rule: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Several rule-file problems at once (`rules check` reports all of them, not only the first).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    RuleFiles(Vec<Error>),
    /// A configuration file could not be read or parsed.
    #[error("config {path}: {message}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An I/O failure with the path it happened on.
    #[error("{path}: {source}")]
    Io {
        /// The path that could not be read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A git repository could not be opened or walked.
    #[error("git: {0}")]
    Git(String),
    /// The pre-commit hook could not be installed or removed as asked (a hook keyhound did not write is
    /// in the way).
    #[error("{path}: {message}")]
    Hook {
        /// The hook file.
        path: PathBuf,
        /// What is in the way, and what to do about it.
        message: String,
    },
    /// A request refused because doing it would give a wrong or incomplete result (pruning a baseline
    /// after a scan that saw only part of the history, a scrub plan whose secret no longer matches the
    /// report it comes from).
    #[error("{0}")]
    Refused(String),
    /// A saved report (`merge`, `scrub-plan --from-report`) could not be read.
    #[error("report {path}: {message}")]
    Report {
        /// The report file.
        path: PathBuf,
        /// What is wrong (with the line, for JSON Lines).
        message: String,
    },
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
