//! The decisions taken on a blob's candidates together, after each was judged alone: composite rules
//! paired with their companions, companion-only matches dropped, overlaps resolved (one secret, one
//! finding) and generic matches over failed look-alikes dropped. Each changes verdicts in place.

use std::ops::Range;

use super::overlap::{self, Contender};
use super::verdict::{Candidate, Reject};
use super::{Engine, Pass};

impl Engine {
    /// Settles the candidates one pass found in `bytes`, in this order: composites pair before overlaps
    /// are resolved, so an unpaired composite match does not hide the lower-confidence match it overlaps
    /// (a lone client_secret is still a generic secret).
    pub(super) fn settle(&self, pass: Pass<'_>, bytes: &[u8], found: &mut [Candidate]) {
        found.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
        self.pair_composites(bytes, found);
        // companions have done their job; a rule checking its own examples still sees its matches
        for c in found.iter_mut() {
            if c.is_kept() && self.rule(c.rule).companion_only && pass.only != Some(c.rule) {
                c.drop_for(Reject::CompanionOnly);
            }
        }
        self.settle_overlaps(pass, found);
        self.drop_look_alikes(found);
    }

    /// Sorts `found` by position and drops kept candidates that overlap a kept candidate of strictly
    /// higher confidence, or have the very span of an earlier one of equal confidence.
    pub(super) fn settle_overlaps(&self, pass: Pass<'_>, found: &mut [Candidate]) {
        found.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
        let kept: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_kept()).collect();
        if kept.len() < 2 {
            return;
        }
        let contenders: Vec<Contender<usize>> = kept
            .iter()
            .map(|&i| {
                let rule = self.rule(found[i].rule);
                Contender {
                    span: found[i].secret.clone(),
                    rank: rule.confidence as u8,
                    order: (i, 0),
                    can_beat: pass.can_hide(rule),
                }
            })
            .collect();
        for (k, by) in overlap::beaten_by(&contenders).into_iter().enumerate() {
            if let Some(j) = by {
                let by = found[kept[j]].rule;
                found[kept[k]].drop_for(Reject::Overlapped { by });
            }
        }
    }

    /// Keeps a composite rule's candidate only when each of its companion rules has a kept candidate
    /// within that companion's line distance, and records the nearest one of each.
    fn pair_composites(&self, bytes: &[u8], found: &mut [Candidate]) {
        if !found
            .iter()
            .any(|c| c.is_kept() && !self.requires[c.rule].is_empty())
        {
            return;
        }
        let lines_apart = |a: usize, b: usize| {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            memchr::memchr_iter(b'\n', &bytes[lo..hi]).count()
        };
        let kept: Vec<(usize, Range<usize>)> = found
            .iter()
            .filter(|c| c.is_kept())
            .map(|c| (c.rule, c.secret.clone()))
            .collect();
        for c in found.iter_mut().filter(|c| c.is_kept()) {
            let start = c.secret.start;
            for &(companion, within) in &self.requires[c.rule] {
                let nearest = kept
                    .iter()
                    .filter(|(r, _)| *r == companion)
                    .map(|(_, span)| span.clone())
                    .min_by_key(|span| lines_apart(span.start, start));
                match nearest {
                    Some(span) if lines_apart(span.start, start) <= within => {
                        c.related.push((companion, span));
                    }
                    _ => {
                        c.related.clear();
                        c.drop_for(Reject::Unpaired { companion });
                        break;
                    }
                }
            }
        }
    }

    /// Drops generic candidates over text a structured rule recognised but rejected on its checksum: a
    /// failed look-alike is not left to the generic rules to report.
    fn drop_look_alikes(&self, found: &mut [Candidate]) {
        let failed: Vec<(usize, Range<usize>)> = found
            .iter()
            .filter(|c| matches!(c.verdict, Err(Reject::Checksum(_))))
            .map(|c| (c.rule, c.secret.clone()))
            .collect();
        if failed.is_empty() {
            return;
        }
        for c in found.iter_mut() {
            if !c.is_kept() || !self.rule(c.rule).generic {
                continue;
            }
            let hit = failed
                .iter()
                .find(|(_, r)| r.start < c.secret.end && c.secret.start < r.end);
            if let Some(&(of, _)) = hit {
                c.drop_for(Reject::FailedLookAlike { of });
            }
        }
    }
}
