//! `keyhound merge REPORT...`: saved JSON reports and `keyhound audit` JSON Lines read back and combined
//! into one report, in any format, whose census counts a secret found in several repositories once
//! ([`keyhound::readback::merge`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use keyhound::exit_code::ExitCode as Outcome;
use keyhound::report::{summary, ReportContext};
use keyhound::rules::RuleSet;

use super::args::{format_parser, FormatArg};
use super::scan::write_report;

/// `keyhound merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// JSON reports (`--format json`) and JSON Lines files (`keyhound audit`).
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', value_parser = format_parser(), default_value = "text")]
    format: FormatArg,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    report_path: Option<PathBuf>,
    /// Exit code when there are findings (errors always exit 2).
    #[arg(long, default_value_t = 1)]
    exit_code: u8,
    /// No summary, error list or notes on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Runs `keyhound merge`: the merged report, and the exit code its findings and errors earn (an error
/// recorded in any report makes it 2).
pub fn run(args: MergeArgs) -> Result<ExitCode> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let label = path.display().to_string();
        for report in keyhound::readback::read(path)? {
            reports.push((label.clone(), report));
        }
    }
    let mut outcome = keyhound::readback::merge(reports)?;
    let rules = RuleSet::builtin()?;
    let ctx = ReportContext {
        rules: &rules,
        root: None,
        color: false,
        vcs: None,
    };
    let note = write_report(args.format.0, &outcome, &ctx, args.report_path.as_deref())?;
    outcome.notes.extend(note);
    if !args.quiet {
        for line in summary::messages(&outcome) {
            eprintln!("{line}");
        }
    }
    Ok(ExitCode::from(
        Outcome::of_outcome(&outcome).status(args.exit_code),
    ))
}
