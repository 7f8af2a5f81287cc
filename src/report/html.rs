//! The HTML report: one self-contained page (`--format html`) with the summary, the census (each
//! distinct secret with where and how to rotate it), every finding with a masked excerpt of its code,
//! and filters by provider, confidence and path. The page loads nothing: its style and script are
//! inline, and a Content-Security-Policy allows exactly those two (by SHA-256 hash) and nothing else
//! (no other script, style, image, font, frame or connection). Everything that comes from the scanned
//! repository (paths, rule text, commit messages, authors, excerpts) is written through
//! [`escape::html`], and the script reads it back only as text (`textContent`, attributes), never as
//! markup. Secrets are redacted unless `--show-secrets`; excerpts are always masked
//! ([`crate::finding::excerpt`]).

use std::io::{self, Write};
use std::sync::LazyLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::census::{Census, Secret};
use crate::finding::{Excerpt, Finding, GitProvenance, VerifyStatus};
use crate::outcome::ScanOutcome;

use super::escape::html as esc;
use super::{Report, ReportContext, ROTATE_ADVICE};

/// The page's style sheet, inlined.
const CSS: &str = include_str!("html/report.css");
/// The page's script (filters; it records script errors and policy violations in `#kh-status`).
const JS: &str = include_str!("html/report.js");

/// The page's Content-Security-Policy: nothing but its own inline style and script, by hash.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = |text: &str| {
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    };
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src 'none'; \
         base-uri 'none'; form-action 'none'",
        hash(CSS),
        hash(JS)
    )
});

/// The HTML report.
#[derive(Debug, Clone, Copy)]
pub struct Html;

impl Report for Html {
    fn name(&self) -> &'static str {
        "html"
    }

    fn about(&self) -> &'static str {
        "one self-contained page: census, findings with masked code, filters"
    }

    fn shows_code(&self) -> bool {
        true
    }

    fn write(
        &self,
        outcome: &ScanOutcome,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let census = Census::of(outcome);
        write_head(ctx, out)?;
        write_summary(outcome, &census, out)?;
        write_census(&census, out)?;
        write_findings(outcome, &census, out)?;
        write_messages(outcome, out)?;
        write!(
            out,
            "</main>\n<footer>Written by keyhound {}. {} This page loads nothing from the \
             network.</footer>\n<output id=\"kh-status\" hidden></output>\n\
             <script>{JS}</script>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION"),
            if outcome.findings.iter().any(|f| f.secret.is_some()) {
                "Secrets are shown in full (--show-secrets); code excerpts stay masked."
            } else {
                "Secrets are redacted."
            }
        )
    }
}

/// The document's head and the page header (tool, and the repository for history scans).
fn write_head(ctx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>keyhound report</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<header class=\"top\">\n<h1>keyhound report</h1>\n",
        *CONTENT_SECURITY_POLICY
    )?;
    if let Some(vcs) = &ctx.vcs {
        let parts: Vec<String> = [
            vcs.repository_uri.as_deref(),
            vcs.branch.as_deref(),
            vcs.revision_id.as_deref().map(|r| &r[..r.len().min(12)]),
        ]
        .into_iter()
        .flatten()
        .map(esc)
        .collect();
        if !parts.is_empty() {
            writeln!(out, "<p>{}</p>", parts.join(" · "))?;
        }
    }
    writeln!(out, "</header>\n<main>")
}

/// The census headline and the scan's counters; a warning when the scan is incomplete.
fn write_summary(outcome: &ScanOutcome, census: &Census, out: &mut dyn Write) -> io::Result<()> {
    let s = &outcome.stats;
    writeln!(
        out,
        "<section id=\"summary\">\n<p class=\"headline\">{}</p>\n<ul class=\"counts\">\
         <li><b>{}</b> finding{}</li><li><b>{}</b> files scanned</li><li><b>{}</b> suppressed</li>\
         <li><b>{}</b> skipped</li><li><b>{}</b> error{}</li></ul>",
        esc(&census.headline()),
        s.findings,
        plural(s.findings),
        s.files_scanned,
        s.suppressed,
        s.skipped(),
        s.errors,
        plural(s.errors),
    )?;
    if !outcome.errors.is_empty() {
        writeln!(
            out,
            "<p class=\"warn\">Incomplete scan: {} input{} could not be read (listed below). \
             What was not read may hold more secrets.</p>",
            outcome.errors.len(),
            plural(outcome.errors.len() as u64)
        )?;
    }
    writeln!(out, "</section>")
}

/// One card per distinct secret: provider, redacted value, where it is, and how to rotate it.
fn write_census(census: &Census, out: &mut dyn Write) -> io::Result<()> {
    if census.secrets.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section id=\"census\">\n<h2>Secrets to rotate</h2>")?;
    for s in &census.secrets {
        let live = s.verification == Some(VerifyStatus::Live);
        writeln!(
            out,
            "<article class=\"card secret{}\">\n<h3>{}{} <code>{}</code> <span class=\"tag {}\">{}</span></h3>\n<dl>",
            if live { " live" } else { "" },
            if live { "<span class=\"tag live\">LIVE</span> " } else { "" },
            esc(s.provider.as_deref().unwrap_or("Unknown provider")),
            esc(&s.redacted),
            s.confidence.as_str(),
            s.confidence.as_str(),
        )?;
        dd(out, "Rules", &s.rules.join(", "))?;
        dd(out, "Where", &locations(s))?;
        if let Some(first) = &s.first_introduced {
            let short = &first.commit[..first.commit.len().min(12)];
            dd(
                out,
                "First",
                &format!("{short} by {}, {}", first.author_name, first.date),
            )?;
        }
        let state = if s.in_working_tree {
            "still in the working tree"
        } else {
            "only in history"
        };
        dd(out, "Status", state)?;
        if !s.refs.is_empty() {
            dd(out, "Refs", &s.refs.join(", "))?;
        }
        writeln!(out, "</dl>")?;
        write_rotate(s, out)?;
        writeln!(out, "</article>")?;
    }
    writeln!(out, "</section>")
}

/// Where and how to rotate `s`, with a link to its provider's console (https addresses only).
fn write_rotate(s: &Secret, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<p class=\"rotate\"><b>Rotate:</b> {}",
        esc(s.rotate.as_deref().unwrap_or(ROTATE_ADVICE))
    )?;
    if let Some(console) = s.console.as_deref().filter(|c| c.starts_with("https://")) {
        write!(
            out,
            " <a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">Open the console</a>",
            esc(console)
        )?;
    }
    writeln!(out, "</p>")
}

/// `a.env:3, b.env:7 (+2 more)`.
fn locations(s: &Secret) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = (s.locations.iter().take(SHOWN))
        .map(|l| format!("{}:{}", l.path, l.line))
        .collect();
    match s.locations.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        more => format!("{} (+{more} more)", shown.join(", ")),
    }
}

/// The filters (built and shown by the script), then one card per finding.
fn write_findings(outcome: &ScanOutcome, census: &Census, out: &mut dyn Write) -> io::Result<()> {
    if outcome.findings.is_empty() {
        return writeln!(
            out,
            "<section id=\"findings\">\n<h2>Findings</h2>\n<p>No findings.</p>\n</section>"
        );
    }
    let mut provider: Vec<&str> = vec![""; outcome.findings.len()];
    for s in &census.secrets {
        for &i in &s.findings {
            provider[i] = s.provider.as_deref().unwrap_or("");
        }
    }
    writeln!(
        out,
        "<section id=\"findings\">\n<h2>Findings</h2>\n<form id=\"filters\" class=\"filters\" hidden>\
         <label>Provider <select id=\"f-provider\"><option value=\"\">All providers</option></select></label>\
         <label>Confidence <select id=\"f-confidence\"><option value=\"low\">Any</option>\
         <option value=\"medium\">Medium and high</option><option value=\"high\">High only</option></select></label>\
         <label>Path contains <input id=\"f-path\" type=\"search\" autocomplete=\"off\"></label>\
         <p id=\"f-shown\" class=\"shown\" aria-live=\"polite\"></p></form>"
    )?;
    for (f, provider) in outcome.findings.iter().zip(provider) {
        write_finding(f, provider, out)?;
    }
    writeln!(out, "</section>")
}

/// One finding's card; its provider, confidence and path are data attributes the filters read.
fn write_finding(f: &Finding, provider: &str, out: &mut dyn Write) -> io::Result<()> {
    let live = (f.verification.as_ref()).is_some_and(|v| v.status == VerifyStatus::Live);
    writeln!(
        out,
        "<article class=\"card finding{}\" data-provider=\"{}\" data-confidence=\"{}\" data-path=\"{}\">\n\
         <h3>{}{} <span class=\"rule-id\">[{}]</span> <span class=\"tag {}\">{}</span></h3>\n\
         <p class=\"mono path\">{}:{}:{}</p>\n<dl>",
        if live { " live" } else { "" },
        esc(provider),
        f.confidence.as_str(),
        esc(&f.path),
        if live { "<span class=\"tag live\">LIVE</span> " } else { "" },
        esc(&f.rule_name),
        esc(&f.rule_id),
        f.confidence.as_str(),
        f.confidence.as_str(),
        esc(&f.path),
        f.line,
        f.column,
    )?;
    dd_code(out, "Secret", f.secret.as_deref().unwrap_or(&f.redacted))?;
    if let Some(d) = &f.description {
        dd(out, "About", d)?;
    }
    for r in f.related.iter().chain(&f.also_related) {
        dd(
            out,
            "Paired with",
            &format!("{} at line {} ({})", r.rule_id, r.line, r.redacted),
        )?;
    }
    if let Some(d) = &f.decoded {
        dd(
            out,
            "Decoded",
            &format!("{d}: the secret is inside encoded text here"),
        )?;
    }
    if let Some(g) = &f.git {
        write_git(g, out)?;
    }
    if let Some(v) = &f.verification {
        let who = v
            .identity
            .as_deref()
            .map(|i| format!(": {i}"))
            .unwrap_or_default();
        dd(out, "Verified", &format!("{}{who}", v.status.as_str()))?;
    }
    dd(out, "Entropy", &format!("{:.2}", f.entropy))?;
    dd_code(out, "Fingerprint", &f.fingerprint)?;
    writeln!(out, "</dl>")?;
    if let Some(e) = &f.excerpt {
        write_excerpt(e, f.line, f.end_line, out)?;
    }
    writeln!(out, "</article>")
}

/// A history scan's facts about the commit that introduced a finding.
fn write_git(g: &GitProvenance, out: &mut dyn Write) -> io::Result<()> {
    let short = &g.commit[..g.commit.len().min(12)];
    dd(out, "Commit", &format!("{short} {}", g.summary))?;
    dd(
        out,
        "Author",
        &format!("{} <{}>, {}", g.author_name, g.author_email, g.date),
    )?;
    let history = format!(
        "in {} commit(s); {}",
        g.commits,
        if g.present_at_head {
            "still present at HEAD"
        } else {
            "only in history (not at HEAD)"
        }
    );
    dd(out, "History", &history)?;
    if !g.refs.is_empty() {
        dd(out, "Refs", &g.refs.join(", "))?;
    }
    Ok(())
}

/// The excerpt as numbered lines, the secret's lines (`line..=end_line`) highlighted.
fn write_excerpt(e: &Excerpt, line: usize, end_line: usize, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<pre class=\"code\">")?;
    for (i, text) in e.lines.iter().enumerate() {
        let n = e.first_line + i;
        let hit = if (line..=end_line).contains(&n) {
            " hit"
        } else {
            ""
        };
        write!(
            out,
            "<span class=\"l{hit}\"><span class=\"n\">{n}</span>{}</span>",
            esc(text)
        )?;
    }
    writeln!(out, "</pre>")
}

/// The inputs that could not be read and the scan's notes.
fn write_messages(outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
    if !outcome.errors.is_empty() {
        writeln!(
            out,
            "<section id=\"errors\">\n<h2>Not scanned</h2>\n<ul class=\"plain\">"
        )?;
        for e in &outcome.errors {
            writeln!(
                out,
                "<li><span class=\"mono path\">{}</span>: {}</li>",
                esc(&e.path),
                esc(&e.message)
            )?;
        }
        writeln!(out, "</ul>\n</section>")?;
    }
    if !outcome.notes.is_empty() {
        writeln!(
            out,
            "<section id=\"notes\">\n<h2>Notes</h2>\n<ul class=\"plain\">"
        )?;
        for n in &outcome.notes {
            writeln!(out, "<li>{}</li>", esc(n))?;
        }
        writeln!(out, "</ul>\n</section>")?;
    }
    Ok(())
}

/// One `<dt>`/`<dd>` pair of text.
fn dd(out: &mut dyn Write, term: &str, text: &str) -> io::Result<()> {
    writeln!(out, "<dt>{term}</dt><dd>{}</dd>", esc(text))
}

/// One `<dt>`/`<dd>` pair of code.
fn dd_code(out: &mut dyn Write, term: &str, text: &str) -> io::Result<()> {
    writeln!(out, "<dt>{term}</dt><dd><code>{}</code></dd>", esc(text))
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
