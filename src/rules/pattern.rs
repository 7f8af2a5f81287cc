//! A regex of a rule or allowlist, compiled when it is loaded or on first use. Rules a user writes are
//! compiled when they are loaded, so a regex that cannot compile is a load error naming its file and
//! rule. Built-in rules are compiled on first use, so start-up does not pay for the hundreds of regexes
//! a scan never reaches; `tests/rules.rs` compiles every one of them (see [`Pattern::check`]).

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

/// A regex over bytes and its source.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    /// Unicode-aware classes (`\w`, `.` over UTF-8) or bytes-and-ASCII ones.
    unicode: bool,
    compiled: OnceLock<Regex>,
}

impl Pattern {
    /// What decides what the pattern matches: its class mode and its source (for cache keys).
    pub fn identity(&self) -> String {
        format!("{}:{}", if self.unicode { "u" } else { "b" }, self.source)
    }

    /// Compiles `source` now. `unicode` selects Unicode-aware classes; rules' main regexes run without
    /// them (ASCII classes over bytes), allowlists and path regexes with them.
    pub fn new(source: &str, unicode: bool) -> Result<Self, regex::Error> {
        let pattern = Pattern::lazy(source, unicode);
        let regex = pattern.build()?;
        pattern
            .compiled
            .set(regex)
            .expect("a fresh pattern is not compiled yet");
        Ok(pattern)
    }

    /// A pattern compiled the first time it is used: only for built-in rules, whose regexes tests
    /// compile. Using one that does not compile panics.
    pub fn lazy(source: &str, unicode: bool) -> Self {
        Pattern {
            source: source.to_string(),
            unicode,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled regex (compiled now if it was not yet).
    pub fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            self.build().unwrap_or_else(|e| {
                panic!("built-in regex `{}` does not compile: {e}", self.source)
            })
        })
    }

    /// Compiles the pattern if it was not yet, reporting an error instead of panicking.
    pub fn check(&self) -> Result<&Regex, regex::Error> {
        if let Some(regex) = self.compiled.get() {
            return Ok(regex);
        }
        let regex = self.build()?;
        Ok(self.compiled.get_or_init(|| regex))
    }

    /// True when the regex matches somewhere in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        self.regex().is_match(haystack)
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn build(&self) -> Result<Regex, regex::Error> {
        RegexBuilder::new(&self.source)
            .unicode(self.unicode)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eager_reports_errors_lazy_defers_them() {
        assert!(Pattern::new("(abc", true).is_err());
        let lazy = Pattern::lazy("(abc", true);
        assert!(lazy.check().is_err());
        let ok = Pattern::lazy("a+b", false);
        assert!(ok.is_match(b"xaab"));
        assert_eq!(ok.as_str(), "a+b");
    }
}
