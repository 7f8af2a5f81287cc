//! Negative controls: freshly generated, well-formed fakes of a rule's secrets. A verifier is asked about
//! one before it is trusted with real secrets; a provider (or a verifier bug) that calls a value nobody ever
//! issued "live" is caught this way.
//!
//! A fake starts from one of the rule's own examples: its literal prefix (the longest keyword it starts
//! with) is kept, and every run of 8 or more letters and digits that mixes digits, lower and upper case
//! (a word such as `services` does not) is redrawn from system randomness, but for its first and last two
//! characters (formats such as `…AA` endings), digit for digit and letter for letter (hex stays hex). The
//! regex's literal words (`T3BlbkFJ`) are kept. The result must still be found by the rule's regex in the
//! example's text, or another draw is made.

use ring::rand::{SecureRandom, SystemRandom};

use crate::rules::Rule;

/// Draws before giving up on a rule whose shape the redraw keeps missing.
const ATTEMPTS: usize = 400;

/// A fake secret for `rule`, or `None` if the rule has no example to shape one from.
pub fn fake_secret(rule: &Rule) -> Option<String> {
    let regex = rule.regex()?;
    let rng = SystemRandom::new();
    for example in &rule.examples {
        let bytes = example.as_bytes();
        let Some(span) = regex
            .captures(bytes)
            .and_then(|caps| rule.secret_span(&caps))
        else {
            continue;
        };
        let secret = &example[span.clone()];
        let keep = prefix_len(secret, &rule.keywords);
        let literals = regex_literals(rule.regex_source().unwrap_or_default());
        for _ in 0..ATTEMPTS {
            let fake = restore_literals(secret, redraw(secret, keep, &rng)?, &literals);
            if fake == secret {
                continue;
            }
            let text = format!("{}{fake}{}", &example[..span.start], &example[span.end..]);
            let found = regex.captures_iter(text.as_bytes()).any(|caps| {
                rule.secret_span(&caps)
                    .is_some_and(|s| &text.as_bytes()[s] == fake.as_bytes())
            });
            if found {
                return Some(fake);
            }
        }
    }
    None
}

/// A fake email of a GCP service account that does not exist.
pub fn fake_service_account_email() -> Option<String> {
    let rng = SystemRandom::new();
    let mut noise = [0u8; 16];
    rng.fill(&mut noise).ok()?;
    let word: String = noise
        .iter()
        .map(|n| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[*n as usize % 36]))
        .collect();
    Some(format!(
        "kh-control-{}@kh-{}.iam.gserviceaccount.com",
        &word[..8],
        &word[8..]
    ))
}

/// The literal words (4+ letters and digits) of a regex, outside classes, repetitions and escapes:
/// `T3BlbkFJ` in an OpenAI key's pattern. A fake keeps them where its example has them.
fn regex_literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut class, mut braces, mut escaped) = (false, false, false);
    for ch in source.chars() {
        let plain = !class && !braces && !escaped;
        if plain && ch.is_ascii_alphanumeric() {
            word.push(ch);
            continue;
        }
        if word.len() >= 4 {
            out.push(std::mem::take(&mut word));
        }
        word.clear();
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => class = true,
            ']' => class = false,
            '{' if !class => braces = true,
            '}' if !class => braces = false,
            _ => {}
        }
    }
    if word.len() >= 4 {
        out.push(word);
    }
    out
}

/// `fake` with the regex's literal words put back where `secret` has them.
fn restore_literals(secret: &str, fake: String, literals: &[String]) -> String {
    let mut out = fake.into_bytes();
    for lit in literals {
        for (at, _) in secret.match_indices(lit.as_str()) {
            out[at..at + lit.len()].copy_from_slice(lit.as_bytes());
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Length of the longest keyword `secret` starts with (ASCII case-insensitive).
fn prefix_len(secret: &str, keywords: &[String]) -> usize {
    keywords
        .iter()
        .filter(|k| {
            secret.len() >= k.len()
                && secret.as_bytes()[..k.len()].eq_ignore_ascii_case(k.as_bytes())
        })
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
}

/// `secret` with its long alphanumeric runs after `keep` bytes redrawn, class for class.
fn redraw(secret: &str, keep: usize, rng: &SystemRandom) -> Option<String> {
    let mut out = secret.as_bytes().to_vec();
    let mut start = keep;
    while start < out.len() {
        if !out[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let end = (start..out.len())
            .find(|&i| !out[i].is_ascii_alphanumeric())
            .unwrap_or(out.len());
        let run = &out[start..end];
        let classes = [
            run.iter().any(u8::is_ascii_digit),
            run.iter().any(u8::is_ascii_lowercase),
            run.iter().any(u8::is_ascii_uppercase),
        ];
        if end - start >= 8 && classes.iter().filter(|c| **c).count() >= 2 {
            redraw_run(&mut out[start + 2..end - 2], rng)?;
        }
        start = end;
    }
    String::from_utf8(out).ok()
}

fn redraw_run(run: &mut [u8], rng: &SystemRandom) -> Option<()> {
    let lower_hex = run
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    let upper_hex = run
        .iter()
        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
    let mut noise = vec![0u8; run.len()];
    rng.fill(&mut noise).ok()?;
    for (b, n) in run.iter_mut().zip(noise) {
        let n = n as usize;
        *b = if b.is_ascii_digit() {
            b"0123456789"[n % 10]
        } else if lower_hex {
            b"abcdef"[n % 6]
        } else if upper_hex {
            b"ABCDEF"[n % 6]
        } else if b.is_ascii_lowercase() {
            b'a' + (n % 26) as u8
        } else {
            b'A' + (n % 26) as u8
        };
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redraws_runs_but_keeps_prefix_and_punctuation() {
        let rng = SystemRandom::new();
        let secret = "ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0";
        let fake = redraw(secret, 4, &rng).unwrap();
        assert_eq!(fake.len(), secret.len());
        assert!(fake.starts_with("ghp_R7") && fake.ends_with("o0"));
        assert_ne!(fake, secret);
        let hex = redraw("hex-0123456789abcdef0123456789abcdef", 4, &rng).unwrap();
        assert!(hex[4..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let url = redraw("https://hooks.slack.com/services/T0AB", 0, &rng).unwrap();
        assert_eq!(url, "https://hooks.slack.com/services/T0AB");
    }

    #[test]
    fn regex_literals_skip_classes_and_counts() {
        assert_eq!(
            regex_literals(r"(sk-proj-[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200})\bAAAA"),
            vec!["proj", "T3BlbkFJ", "AAAA"]
        );
    }

    #[test]
    fn fake_emails_differ() {
        let a = fake_service_account_email().unwrap();
        assert!(a.ends_with(".iam.gserviceaccount.com"));
        assert_ne!(a, fake_service_account_email().unwrap());
    }
}
