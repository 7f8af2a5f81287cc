//! The keyword prefilter: one Aho-Corasick automaton over the keywords of every rule. A pass over a blob
//! yields, for each keyword occurrence, the rules that keyword selects; only those rules' regexes run, and
//! only around the occurrence. The automaton is built the first time there is text to search, so a run
//! that scans nothing (an empty stdin, a commit that stages no text) does not pay for it.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

/// Keyword automaton plus the rules each keyword selects.
#[derive(Debug)]
pub struct Prefilter {
    /// The lowercased, deduplicated keywords.
    patterns: Vec<String>,
    /// Built on first use; `None` when there are no keywords.
    automaton: OnceLock<Option<AhoCorasick>>,
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
            automaton: OnceLock::new(),
            rules_of_pattern,
        }
    }

    fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                (!self.patterns.is_empty()).then(|| {
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .kind(Some(AhoCorasickKind::DFA))
                        .build(&self.patterns)
                        .expect("keyword automaton within size limits")
                })
            })
            .as_ref()
    }

    /// Calls `hit(rule_index, keyword_start, keyword_end)` for every keyword occurrence in `haystack`, in
    /// increasing order of end position.
    pub fn for_each_hit(&self, haystack: &[u8], mut hit: impl FnMut(u32, usize, usize)) {
        if haystack.is_empty() {
            return;
        }
        let Some(ac) = self.automaton() else { return };
        for m in ac.find_overlapping_iter(haystack) {
            for &rule in &self.rules_of_pattern[m.pattern().as_usize()] {
                hit(rule, m.start(), m.end());
            }
        }
    }
}
