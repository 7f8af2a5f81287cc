//! `keyhound explain PATH[:LINE[-LINE]]`, and the printing `scan dir|stdin --explain` shares with it:
//! every candidate in a file, with the rule and keyword that reached it and the verdict of each stage.
//! The file is scanned exactly as `keyhound scan dir PATH` scans it (the same config and ignore files,
//! found the same way, and the same flags); the library explains, this prints.

use std::io::Write;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use keyhound::baseline::Baseline;
use keyhound::report::{escape::terminal, summary};
use keyhound::scan::explain::{apply_baseline, on_lines};
use keyhound::scan::Scanner;

use super::args::{Keep, ScanningArgs};
use super::scan::{read_baseline, scan_dirs};

/// `keyhound explain`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The file (or directory) to explain, with one line (`app.env:3`) or a range (`app.env:3-9`).
    #[arg(value_name = "PATH[:LINE[-LINE]]", value_parser = parse_target)]
    target: Target,
    /// Apply this baseline file, as `scan --baseline` does.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Print secrets in full instead of redacted.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    scanning: ScanningArgs,
}

/// A path and, optionally, the lines to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    path: PathBuf,
    lines: Option<RangeInclusive<usize>>,
}

/// `PATH`, `PATH:LINE` or `PATH:FIRST-LAST` (lines from 1). A whole argument that names an existing
/// file is a path, even with a colon in it.
fn parse_target(s: &str) -> Result<Target, String> {
    let whole = Target {
        path: PathBuf::from(s),
        lines: None,
    };
    let Some((path, lines)) = s.rsplit_once(':') else {
        return Ok(whole);
    };
    if whole.path.exists() || path.is_empty() {
        return Ok(whole);
    }
    let number = |n: &str| match n.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "`{lines}` is not a line number (from 1) or a range FIRST-LAST"
        )),
    };
    let range = match lines.split_once('-') {
        Some((a, b)) => number(a)?..=number(b)?,
        None => number(lines)?..=number(lines)?,
    };
    if range.is_empty() {
        return Err(format!("`{lines}`: the range ends before it starts"));
    }
    Ok(Target {
        path: PathBuf::from(path),
        lines: Some(range),
    })
}

/// Runs `keyhound explain`: prints the explanations on stdout and the scan's errors and notes on
/// stderr; exits 2 when the file could not be read, else 0.
pub fn run(args: ExplainArgs) -> Result<ExitCode> {
    let Target { path, lines } = args.target;
    let keep = Keep {
        explain: true,
        ..Keep::default()
    };
    let scanned = scan_dirs(std::slice::from_ref(&path), false, &args.scanning, keep)?;
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    if let Some(baseline) = &baseline {
        baseline.check_key(&scanned.outcome)?; // as `scan --baseline` refuses a baseline of another key
    }
    let mut out = std::io::stdout().lock();
    let shown = print(
        &scanned.scanner,
        lines.clone(),
        baseline.as_ref(),
        args.show_secrets,
        &mut out,
    )?;
    if shown == 0 {
        let at = lines.map_or(String::new(), |l| {
            format!(" on lines {}-{}", l.start(), l.end())
        });
        let why = if scanned.outcome.stats.files_scanned == 0 {
            "it was not scanned (ignored by .gitignore, a symbolic link, or unreadable)"
        } else {
            "no rule's keyword appears there, or no rule's pattern matches"
        };
        writeln!(
            out,
            "no candidate in {}{at}: {why}",
            terminal(&path.display().to_string())
        )?;
    }
    if !args.scanning.quiet {
        let mut err = std::io::stderr().lock();
        for line in summary::messages(&scanned.outcome) {
            let _ = writeln!(err, "{line}");
        }
    }
    Ok(ExitCode::from(if scanned.outcome.errors.is_empty() {
        0
    } else {
        2
    }))
}

/// Writes what `scanner` explained (on `lines`, with `baseline`'s verdicts), one block per
/// candidate, then a count; returns how many candidates it wrote.
pub fn print(
    scanner: &Scanner,
    lines: Option<RangeInclusive<usize>>,
    baseline: Option<&Baseline>,
    show_secrets: bool,
    out: &mut dyn Write,
) -> Result<usize> {
    let mut list = scanner.take_explanations();
    if let Some(lines) = &lines {
        on_lines(&mut list, lines);
    }
    if let Some(baseline) = baseline {
        apply_baseline(&mut list, baseline);
    }
    for e in &list {
        write!(out, "{}", e.render(show_secrets))?;
    }
    let reported = list.iter().filter(|e| e.reported()).count();
    if !list.is_empty() {
        writeln!(
            out,
            "keyhound: explained {} candidate{}: {reported} reported, {} dropped",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list.len() - reported
        )?;
    }
    Ok(list.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(s: &str) -> Result<(String, Option<(usize, usize)>), String> {
        parse_target(s).map(|t| {
            let lines = t.lines.map(|l| (*l.start(), *l.end()));
            (t.path.display().to_string(), lines)
        })
    }

    #[test]
    fn paths_lines_and_ranges() {
        assert_eq!(target("no/such.env"), Ok(("no/such.env".into(), None)));
        assert_eq!(
            target("no/such.env:3"),
            Ok(("no/such.env".into(), Some((3, 3))))
        );
        assert_eq!(
            target("no/such.env:3-9"),
            Ok(("no/such.env".into(), Some((3, 9))))
        );
        assert!(target("no/such.env:0").unwrap_err().contains("line number"));
        assert!(target("no/such.env:x").is_err());
        assert!(target("no/such.env:9-3")
            .unwrap_err()
            .contains("ends before"));
        // an existing file whose name holds a colon is a path
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("a:3");
        std::fs::write(&odd, "x").unwrap();
        let name = odd.display().to_string();
        assert_eq!(target(&name), Ok((name.clone(), None)));
    }
}
