//! The gates one regex match passes to be kept, in order, each answering with the reason it says no:
//! the rule's whole-match allowlist and `also_match`, the checksum, then the captured secret's
//! emptiness, entropy, randomness, published-example, placeholder, reference, not-a-secret-value (or,
//! for the weak-password rules, the weak-password policy) and allowlist checks.
//! Each gate runs at most once per candidate; the randomness estimate, the costliest, only when a gate
//! asks for it, and at most once.

use std::cell::OnceCell;

use super::checksum;
use super::filter;
use super::literal::Literal;
use super::password;
use super::published;
use super::verdict::{Reject, Score};
use crate::randomness::{self, shannon};
use crate::rules::Rule;

/// Judges one match of `rule`: `whole` is the text of the whole regex match, `secret` the captured
/// secret, and `written` how the secret was written (a quoted literal is never code). The checksum runs
/// first so that a failed checksum is always the reason given, whatever else
/// fails: a structured rule's failed look-alike must be known as such (see
/// [`Reject::FailedLookAlike`]).
pub fn judge(rule: &Rule, whole: &[u8], secret: &[u8], written: Literal) -> Result<Score, Reject> {
    if rule.allowlist.allows_match(whole) {
        return Err(Reject::AllowlistedMatch);
    }
    if !rule.also_match.iter().all(|r| r.is_match(whole)) {
        return Err(Reject::NoAlsoMatch);
    }
    let mut verified = false;
    if let Some(check) = rule.checksum {
        if !checksum::verify(check, secret) {
            return Err(Reject::Checksum(check));
        }
        verified = check.covers_whole_secret();
    }
    judge_secret(rule, secret, written, verified)
}

/// The gates on the captured secret alone. `verified`: a checksum over the whole secret passed, so it
/// is not a placeholder whatever words chance put in it.
fn judge_secret(
    rule: &Rule,
    secret: &[u8],
    written: Literal,
    verified: bool,
) -> Result<Score, Reject> {
    if secret.is_empty() {
        return Err(Reject::Empty);
    }
    let entropy = shannon(secret);
    if let Some(min) = rule.min_entropy.filter(|&min| entropy < min) {
        return Err(Reject::Entropy {
            value: entropy,
            min,
        });
    }
    // estimated at most once per secret, and only when a gate asks for it
    let guess = OnceCell::new();
    let per_char = || *guess.get_or_init(|| randomness::estimate(secret).per_char);
    if let Some(min) = rule.min_randomness.filter(|&min| per_char() < min) {
        return Err(Reject::Randomness {
            score: per_char(),
            min,
        });
    }
    if let Some(source) = published::lookup(secret) {
        return Err(Reject::Published(source));
    }
    if !verified && filter::is_placeholder(secret) {
        return Err(Reject::Placeholder);
    }
    if filter::is_reference(secret) {
        return Err(Reject::Reference);
    }
    if rule.weak_password {
        if written == Literal::Expression {
            return Err(Reject::NotAPassword(password::NotAPassword::Code));
        }
        if let Some(kind) = password::not_a_password(secret) {
            return Err(Reject::NotAPassword(kind));
        }
    } else if rule.generic {
        if let Some(kind) = filter::not_a_secret_value(secret, per_char, written.quote()) {
            return Err(Reject::NotASecretValue(kind));
        }
    }
    if rule.allowlist.allows_secret(secret) {
        return Err(Reject::AllowlistedSecret);
    }
    Ok(Score {
        entropy,
        randomness: guess.get().copied(),
    })
}
