//! The text report: the census first ("N distinct secrets to rotate", one line each, live ones first,
//! with where to rotate), then one block per finding. Colour only when asked (a terminal). The summary, errors and
//! notes are messages, not part of the report: see [`super::summary`]. Every string that can come from
//! the scanned repository (paths, rule text, commit subjects, authors, provider answers) is escaped with
//! [`terminal`].

use std::io::Write;

use crate::census::{Census, Secret};
use crate::finding::{GitProvenance, Verification, VerifyStatus};
use crate::outcome::ScanOutcome;

use super::escape::terminal;
use super::{Report, ReportContext};

/// The text report.
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl Report for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn about(&self) -> &'static str {
        "one block per finding, for people"
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        write(outcome, ctx, out)
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `LIVE: octocat (github, checked 2026-11-30T02:00:00+00:00)`, `invalid (github, ...)`,
/// `unknown: no verifier for rule x`.
fn verification_line(v: &Verification, style: &Style) -> String {
    let status = match v.status {
        VerifyStatus::Live => style.paint("1;31", "LIVE"),
        other => other.as_str().to_string(),
    };
    let mut line = status;
    if let Some(identity) = &v.identity {
        line.push_str(&format!(": {}", terminal(identity)));
    }
    let mut about: Vec<String> = v
        .verifier
        .iter()
        .map(|s| terminal(s).into_owned())
        .collect();
    if let Some(at) = &v.checked_at {
        about.push(format!("checked {at}"));
    }
    if !about.is_empty() {
        line.push_str(&format!(" ({})", about.join(", ")));
    }
    if let Some(note) = &v.note {
        line.push_str(&format!("; {}", terminal(note)));
    }
    line
}

/// Writes one block per finding.
fn write(
    outcome: &ScanOutcome,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let style = Style { on: ctx.color };
    let census = Census::of(outcome);
    write_census(&census, &style, out)?;
    for f in &outcome.findings {
        let live = f
            .verification
            .as_ref()
            .is_some_and(|v| v.status == VerifyStatus::Live);
        writeln!(
            out,
            "{}{} {} {}",
            if live {
                style.paint("1;41", "LIVE") + " "
            } else {
                String::new()
            },
            style.paint("1;31", "Finding:"),
            style.paint("1", &terminal(&f.rule_name)),
            style.paint("2", &format!("[{}]", terminal(&f.rule_id)))
        )?;
        writeln!(
            out,
            "  Secret:      {}",
            style.paint("33", &terminal(f.secret.as_deref().unwrap_or(&f.redacted)))
        )?;
        writeln!(
            out,
            "  Location:    {}:{}:{}",
            style.paint("36", &terminal(&f.path)),
            f.line,
            f.column
        )?;
        for r in f.related.iter().chain(&f.also_related) {
            writeln!(
                out,
                "  Paired with: {} at line {} ({})",
                terminal(&r.rule_id),
                r.line,
                terminal(&r.redacted)
            )?;
        }
        if let Some(d) = &f.decoded {
            writeln!(
                out,
                "  Decoded:     {} (the secret is inside encoded text at this location)",
                terminal(d)
            )?;
        }
        if let Some(g) = &f.git {
            write_git(g, out)?;
        }
        if let Some(v) = &f.verification {
            writeln!(out, "  Verified:    {}", verification_line(v, &style))?;
        }
        writeln!(
            out,
            "  Confidence:  {}   Entropy: {:.2}",
            f.confidence.as_str(),
            f.entropy
        )?;
        writeln!(out, "  Fingerprint: {}", terminal(&f.fingerprint))?;
        writeln!(out)?;
    }
    Ok(())
}

/// The census: the headline, then each secret on a line (live ones first and marked) with its
/// locations and where to rotate it. Nothing when there are no secrets.
fn write_census(census: &Census, style: &Style, out: &mut dyn Write) -> std::io::Result<()> {
    if census.secrets.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", style.paint("1", &census.headline()))?;
    for (n, s) in census.secrets.iter().enumerate() {
        let live = s.verification == Some(VerifyStatus::Live);
        writeln!(
            out,
            "  {:>2}. {}{} {} [{}] in {}",
            n + 1,
            if live {
                style.paint("1;41", "LIVE") + " "
            } else {
                String::new()
            },
            terminal(s.provider.as_deref().unwrap_or("Unknown provider")),
            style.paint("33", &terminal(&s.redacted)),
            terminal(&s.rules.join(", ")),
            terminal(&census_where(s))
        )?;
        if let Some(rotate) = &s.rotate {
            let console = s
                .console
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            writeln!(
                out,
                "      rotate: {}",
                terminal(&format!("{rotate}{console}"))
            )?;
        }
    }
    writeln!(out)
}

/// `2 locations (a.env:3, b.env:7), first in 1a2b3c4d5e6f 2026-01-02T..., still in the working tree;
/// refs: main, v1.0`.
fn census_where(s: &Secret) -> String {
    let shown: Vec<String> = (s.locations.iter().take(3))
        .map(|l| format!("{}:{}", l.path, l.line))
        .collect();
    let more = s.locations.len().saturating_sub(shown.len());
    let mut text = format!(
        "{} location{} ({}{})",
        s.locations.len(),
        if s.locations.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if more > 0 {
            format!(", +{more} more")
        } else {
            String::new()
        }
    );
    if let Some(first) = &s.first_introduced {
        let short = &first.commit[..first.commit.len().min(12)];
        text.push_str(&format!(", first in {short} {}", first.date));
    }
    text.push_str(if s.in_working_tree {
        ", still in the working tree"
    } else {
        ", only in history"
    });
    if !s.refs.is_empty() {
        text.push_str(&format!("; refs: {}", s.refs.join(", ")));
    }
    text
}

/// The lines a history scan adds: the introducing commit, its author, and where the secret still is.
fn write_git(g: &GitProvenance, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "  Commit:      {} ({})",
        terminal(&g.commit[..g.commit.len().min(12)]),
        terminal(&g.summary)
    )?;
    writeln!(
        out,
        "  Author:      {} <{}>, {}",
        terminal(&g.author_name),
        terminal(&g.author_email),
        terminal(&g.date)
    )?;
    writeln!(
        out,
        "  History:     in {} commit(s); {}",
        g.commits,
        if g.present_at_head {
            "still present at HEAD"
        } else {
            "only in history (not at HEAD)"
        }
    )?;
    if !g.refs.is_empty() {
        writeln!(out, "  Refs:        {}", terminal(&g.refs.join(", ")))?;
    }
    Ok(())
}
