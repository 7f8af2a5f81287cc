//! The verifier list (`keyhound verifiers`): for every verifier, the rules it checks, the only hosts it
//! contacts, exactly what it sends (templates as written: `{secret}` is where the secret goes) and which
//! answers mean live or invalid. It describes verifiers; it never runs them.

use std::io::Write;

use serde::Serialize;

use crate::verify::spec::{Kind, Verifier};

/// What the list says about one verifier.
#[derive(Debug, Clone, Serialize)]
pub struct VerifierSummary<'a> {
    /// Provider id (`--verify-only`, `--no-verify-provider`).
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// The rules whose secrets it checks.
    pub rules: &'a [String],
    /// Where the second value a check needs comes from, if it needs one.
    pub companion: Option<String>,
    /// The only hosts it may contact.
    pub hosts: Vec<&'a str>,
    /// The request: method and URL, headers, body (templates as written).
    pub sends: Vec<String>,
    /// Answers that mean live.
    pub live: Vec<String>,
    /// Answers that mean invalid.
    pub invalid: Vec<String>,
    /// What the provider's answer says about the owner.
    pub identity: Option<&'a str>,
    /// The endpoint's documentation.
    pub docs: &'a str,
    /// Said with every result.
    pub note: Option<&'a str>,
}

impl<'a> From<&'a Verifier> for VerifierSummary<'a> {
    fn from(v: &'a Verifier) -> Self {
        VerifierSummary {
            id: &v.id,
            name: &v.name,
            rules: &v.rules,
            companion: v.companion.as_ref().map(|c| {
                let mut from = Vec::new();
                if !c.rules.is_empty() {
                    from.push(format!("a finding of {}", c.rules.join(" or ")));
                }
                if c.pattern.is_some() {
                    from.push("the text".to_string());
                }
                format!(
                    "{}: {} within {} lines of the secret (becomes {{companion}})",
                    c.what,
                    from.join(" or "),
                    c.within_lines
                )
            }),
            hosts: v.hosts.iter().map(|h| h.as_str()).collect(),
            sends: v.describe_request(),
            live: v.live.iter().map(|c| c.describe()).collect(),
            invalid: v.invalid.iter().map(|c| c.describe()).collect(),
            identity: v.identity.as_deref(),
            docs: &v.docs,
            note: v.note.as_deref(),
        }
    }
}

/// Writes the list as one JSON array.
pub fn write_json(verifiers: &[Verifier], out: &mut dyn Write) -> std::io::Result<()> {
    let list: Vec<VerifierSummary<'_>> = verifiers.iter().map(VerifierSummary::from).collect();
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}

/// Writes one block per verifier.
pub fn write_text(verifiers: &[Verifier], out: &mut dyn Write) -> std::io::Result<()> {
    for v in verifiers {
        let s = VerifierSummary::from(v);
        let kind = match v.kind {
            Kind::Http => "",
            Kind::AwsSigv4 => " (signed: AWS SigV4)",
            Kind::GcpJwt => " (signed: RS256 JWT grant)",
        };
        writeln!(out, "{} — {}{kind}", s.id, s.name)?;
        writeln!(out, "  rules:    {}", s.rules.join(", "))?;
        if let Some(c) = &s.companion {
            writeln!(out, "  needs:    {c}")?;
        }
        writeln!(out, "  hosts:    {}", s.hosts.join(", "))?;
        for (i, line) in s.sends.iter().enumerate() {
            let label = if i == 0 { "  sends:   " } else { "           " };
            writeln!(out, "{label} {line}")?;
        }
        writeln!(out, "  live:     {}", s.live.join(" | "))?;
        writeln!(out, "  invalid:  {}", s.invalid.join(" | "))?;
        if let Some(identity) = s.identity {
            writeln!(out, "  identity: {identity}")?;
        }
        if let Some(note) = s.note {
            writeln!(out, "  note:     {note}")?;
        }
        writeln!(out, "  docs:     {}", s.docs)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} verifiers. `--verify` sends each candidate secret to its provider as shown above; nothing else is sent anywhere.",
        verifiers.len()
    )
}
