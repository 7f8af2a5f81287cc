//! The command line: clap definitions, one file per subcommand, each a thin layer over library calls.
//! This module parses and prints; every decision (which config applies, what a range means, the hook
//! script, the exit code) is the library's. stdout carries only reports and listings; messages go to
//! stderr.

mod args;
mod audit;
mod baseline;
mod completions;
mod explain;
mod hook;
mod merge;
mod rules;
mod scan;
mod scrub;
mod verify;

use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};

use keyhound::exit_code::ExitCode as Outcome;

/// `--version`: the package version, the commit it was built from and the number of built-in rules.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KEYHOUND_BUILD_COMMIT"),
    ", ",
    env!("KEYHOUND_RULE_COUNT"),
    " built-in rules)"
);

/// The whole command line.
#[derive(Parser, Debug)]
#[command(
    name = "keyhound",
    version = VERSION,
    about = "Find secrets in working trees, git history, staged changes and logs.",
    after_help = "Exit codes: 0 clean, 1 findings (see --exit-code), 2 error or incomplete scan."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan something for secrets.
    #[command(subcommand)]
    Scan(Box<scan::ScanCommand>),
    /// Write or update a baseline of the secrets found now (for `scan ... --baseline FILE`).
    Baseline(Box<baseline::BaselineArgs>),
    /// Write a plan for `git filter-repo` that removes the secrets found from history, and a runbook.
    ScrubPlan(Box<scrub::ScrubArgs>),
    /// Audit the history of many repositories (a list, a shard of it) into JSON Lines.
    Audit(Box<audit::AuditArgs>),
    /// Combine saved JSON reports and audit JSON Lines into one report and census.
    Merge(merge::MergeArgs),
    /// List or check rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Manage the git pre-commit hook.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// List every verifier: the exact endpoint it calls and what `--verify` sends there.
    Verifiers {
        /// Output format.
        #[arg(long, value_enum, default_value_t = rules::ListFormat::Text)]
        format: rules::ListFormat,
    },
    /// Explain every candidate in a file (or on a line): the rule and keyword that reached it, and
    /// the stage that kept or dropped it, with its numbers. Answers "why was this (not) reported?".
    Explain(explain::ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print a manual page (roff), e.g. `keyhound man > keyhound.1`, `keyhound man scan dir`.
    Man(completions::ManArgs),
}

/// The clap command, for completions and the manual page.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses arguments and runs the command; the process status comes from the library's policy.
pub fn run() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Scan(cmd) => scan::run(*cmd),
        Command::Baseline(args) => baseline::run(*args),
        Command::ScrubPlan(args) => scrub::run(*args),
        Command::Audit(args) => audit::run(*args),
        Command::Merge(args) => merge::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Hook(cmd) => hook::run(cmd),
        Command::Verifiers { format } => verify::list(format),
        Command::Explain(args) => explain::run(args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    }
}

/// The process status for a command that ended as `outcome` (findings use status 1).
fn status(outcome: Outcome) -> ExitCode {
    ExitCode::from(outcome.status(Outcome::FINDINGS_STATUS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        command().debug_assert();
    }

    #[test]
    fn version_names_commit_and_the_true_rule_count() {
        let rules = keyhound::rules::RuleSet::builtin().unwrap();
        let count: usize = env!("KEYHOUND_RULE_COUNT").parse().unwrap();
        assert_eq!(count, rules.len(), "build.rs counts [[rule]] tables");
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.contains(" (commit "), "{VERSION}");
    }
}
