//! The keyword prefilter: one Aho-Corasick automaton over the keywords of every rule. A pass over a blob
//! yields, for each keyword occurrence, the rules that keyword selects; only those rules' regexes run, and
//! only around the occurrence.
//!
//! The automaton is built the first time there is text to search, so a run that scans nothing (an empty
//! stdin) does not pay for it; and a cheap one (a contiguous NFA) serves the first few MiB, so a
//! pre-commit scan of a few files does not pay for the DFA, which is built once a scan has searched
//! [`DFA_AFTER`] bytes. Both find exactly the same keyword occurrences.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

/// Bytes searched with the NFA before the DFA, several times costlier to build and faster to run, is
/// built.
pub const DFA_AFTER: usize = 4 << 20;

/// Keyword automaton plus the rules each keyword selects.
#[derive(Debug)]
pub struct Prefilter {
    /// The lowercased, deduplicated keywords.
    patterns: Vec<String>,
    /// Built on first use.
    nfa: OnceLock<AhoCorasick>,
    /// Built once [`DFA_AFTER`] bytes have been searched.
    dfa: OnceLock<AhoCorasick>,
    /// Bytes searched so far.
    searched: AtomicUsize,
    /// For each automaton pattern, the indices of the rules that listed it.
    rules_of_pattern: Vec<Vec<u32>>,
}

impl Prefilter {
    /// Collects the (lowercased, deduplicated) keywords of `rules`; the automaton over them is built on
    /// first use.
    pub fn new(rules: &RuleSet) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut rules_of_pattern: Vec<Vec<u32>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                let pid = *index.entry(kw.clone()).or_insert_with(|| {
                    patterns.push(kw);
                    rules_of_pattern.push(Vec::new());
                    patterns.len() - 1
                });
                if !rules_of_pattern[pid].contains(&(i as u32)) {
                    rules_of_pattern[pid].push(i as u32);
                }
            }
        }
        Prefilter {
            patterns,
            nfa: OnceLock::new(),
            dfa: OnceLock::new(),
            searched: AtomicUsize::new(0),
            rules_of_pattern,
        }
    }

    /// The automaton for searching `len` more bytes: the DFA once it is built or due, the NFA before.
    fn automaton(&self, len: usize) -> &AhoCorasick {
        if let Some(dfa) = self.dfa.get() {
            return dfa;
        }
        if self.searched.fetch_add(len, Ordering::Relaxed) + len > DFA_AFTER {
            return self.dfa.get_or_init(|| self.build(AhoCorasickKind::DFA));
        }
        self.nfa
            .get_or_init(|| self.build(AhoCorasickKind::ContiguousNFA))
    }

    fn build(&self, kind: AhoCorasickKind) -> AhoCorasick {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&self.patterns)
            .expect("keyword automaton within size limits")
    }

    /// Calls `hit(rule_index, keyword_start, keyword_end)` for every keyword occurrence in `haystack`, in
    /// increasing order of end position.
    pub fn for_each_hit(&self, haystack: &[u8], mut hit: impl FnMut(u32, usize, usize)) {
        if haystack.is_empty() || self.patterns.is_empty() {
            return;
        }
        let ac = self.automaton(haystack.len());
        for m in ac.find_overlapping_iter(haystack) {
            for &rule in &self.rules_of_pattern[m.pattern().as_usize()] {
                hit(rule, m.start(), m.end());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfa_and_dfa_find_the_same_hits() {
        let rules = RuleSet::builtin().unwrap();
        let text =
            "password = hunter2\nAKIA token=ghp_abc xoxb- sk_live_ Bearer api_key\n".repeat(50);
        let hits = |p: &Prefilter| {
            let mut out = Vec::new();
            p.for_each_hit(text.as_bytes(), |r, s, e| out.push((r, s, e)));
            out
        };
        let fresh = Prefilter::new(&rules);
        let from_nfa = hits(&fresh);
        assert!(fresh.dfa.get().is_none() && fresh.nfa.get().is_some());
        fresh.searched.store(DFA_AFTER, Ordering::Relaxed);
        let from_dfa = hits(&fresh);
        assert!(fresh.dfa.get().is_some());
        assert!(from_nfa.len() > 100);
        assert_eq!(from_nfa, from_dfa);
    }
}
