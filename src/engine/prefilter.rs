//! The keyword prefilter: one Aho-Corasick automaton over the keywords of every rule. A pass over a blob
//! yields, for each keyword occurrence, the rules that keyword selects; only those rules' regexes run, and
//! only around the occurrence.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

/// Keyword automaton plus the rules each keyword selects.
#[derive(Debug)]
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern, the indices of the rules that listed it.
    rules_of_pattern: Vec<Vec<u32>>,
}

impl Prefilter {
    /// Builds the automaton over the (lowercased, deduplicated) keywords of `rules`.
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
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .expect("keyword automaton within size limits"),
            )
        };
        Prefilter {
            automaton,
            rules_of_pattern,
        }
    }

    /// Calls `hit(rule_index, keyword_start, keyword_end)` for every keyword occurrence in `haystack`, in
    /// increasing order of end position.
    pub fn for_each_hit(&self, haystack: &[u8], mut hit: impl FnMut(u32, usize, usize)) {
        let Some(ac) = &self.automaton else { return };
        for m in ac.find_overlapping_iter(haystack) {
            for &rule in &self.rules_of_pattern[m.pattern().as_usize()] {
                hit(rule, m.start(), m.end());
            }
        }
    }
}
