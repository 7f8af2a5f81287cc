//! `keyhound rules list|check`: the rule list (written by the library's rule summary) and the rule
//! files' self-check (the library's selftest).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};

use keyhound::config::Config;
use keyhound::engine::{selftest, Engine};
use keyhound::exit_code::ExitCode as Outcome;
use keyhound::report::escape::terminal_lines;
use keyhound::report::rules::{write_json, write_text};
use keyhound::rules::RuleSet;

use super::status;

/// The rules subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List every rule: id, confidence, keywords, name.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Also list the rules of this config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate rule files and run their examples (the built-in rules when no file is given).
    Check {
        /// Rule files (TOML with [[rule]] tables).
        files: Vec<PathBuf>,
    },
}

/// `rules list --format`.
#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    /// Aligned columns and a count.
    Text,
    /// A JSON array of rule summaries.
    Json,
}

/// Runs a rules subcommand.
pub fn run(cmd: RulesCommand) -> Result<ExitCode> {
    match cmd {
        RulesCommand::List { format, config } => list(format, config.as_deref()),
        RulesCommand::Check { files } => check(&files),
    }
}

fn list(format: ListFormat, config: Option<&Path>) -> Result<ExitCode> {
    let config = match config {
        Some(p) => Config::load(p, true)?,
        None => Config::default(),
    };
    let rules = config.rules()?;
    let mut w = BufWriter::new(std::io::stdout().lock());
    match format {
        ListFormat::Json => write_json(&rules, &mut w)?,
        ListFormat::Text => write_text(&rules, &mut w)?,
    }
    w.flush()?;
    Ok(status(Outcome::Clean))
}

/// Problems in the rule files exit 1, like findings; only a failure to run the check exits 2.
fn check(files: &[PathBuf]) -> Result<ExitCode> {
    let loaded = if files.is_empty() {
        RuleSet::builtin()
    } else {
        let texts = files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))
                    .map(|t| (f.display().to_string(), t))
            })
            .collect::<Result<Vec<_>>>()?;
        RuleSet::from_sources(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    };
    let rules = match loaded {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", terminal_lines(&e.to_string()));
            eprintln!("keyhound: rule files are invalid");
            return Ok(status(Outcome::Findings));
        }
    };
    let engine = Engine::new(rules);
    let problems = selftest::check_examples(&engine);
    for p in &problems {
        eprintln!("{}", terminal_lines(&p.to_string()));
    }
    let n = engine.rules().len();
    if problems.is_empty() {
        eprintln!("keyhound: {n} rules OK (every example found, no negative example matched)");
        Ok(status(Outcome::Clean))
    } else {
        eprintln!("keyhound: {} problem(s) in {n} rules", problems.len());
        Ok(status(Outcome::Findings))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(subcommand)]
        cmd: RulesCommand,
    }

    fn parse(argv: &[&str]) -> Result<RulesCommand, clap::Error> {
        Probe::try_parse_from(std::iter::once("probe").chain(argv.iter().copied())).map(|p| p.cmd)
    }

    #[test]
    fn list_format_and_config() {
        match parse(&["list"]).unwrap() {
            RulesCommand::List { format, config } => {
                assert_eq!(format, ListFormat::Text);
                assert!(config.is_none());
            }
            other => panic!("{other:?}"),
        }
        match parse(&["list", "--format", "json", "--config", "k.toml"]).unwrap() {
            RulesCommand::List { format, config } => {
                assert_eq!(format, ListFormat::Json);
                assert_eq!(config, Some(PathBuf::from("k.toml")));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["list", "--format", "sarif"]).is_err());
    }

    #[test]
    fn check_takes_files() {
        match parse(&["check", "a.toml", "b.toml"]).unwrap() {
            RulesCommand::Check { files } => assert_eq!(files.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
