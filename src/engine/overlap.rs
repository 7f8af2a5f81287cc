//! One secret, one finding: the overlap resolver every stage uses (the engine on matches in one blob,
//! history scans on findings at one path). A span loses to any overlapping span of strictly higher
//! rank (confidence), and to an equal span of equal rank that comes first. Sorting makes it
//! O(n log n) rather than comparing every pair.

use std::ops::Range;

/// One span taking part in overlap resolution.
#[derive(Debug, Clone)]
pub struct Contender<K> {
    /// Where it is; two spans overlap when `a.start < b.end && b.start < a.end`, so an empty span only
    /// overlaps a span that strictly contains its position.
    pub span: Range<K>,
    /// Higher wins (the rule's confidence).
    pub rank: u8,
    /// Among equal spans of equal rank, the lowest wins.
    pub order: (usize, usize),
    /// False for a span that may lose but must not beat others (a match of a path-restricted rule when
    /// the path is not known yet).
    pub can_beat: bool,
}

/// For each contender, the index of one contender that beats it, or `None` when it stays.
///
/// A contender is beaten by any contender that can beat, overlaps it and has a strictly higher rank,
/// or has the same span, the same rank and a lower `order`. Beaten contenders still beat others (the
/// rule is per pair, not a tournament).
pub fn beaten_by<K: Ord + Copy>(items: &[Contender<K>]) -> Vec<Option<usize>> {
    let mut result = vec![None; items.len()];
    // Strictly higher rank: for each rank present, the beaters of higher rank sorted by start, with a
    // running maximum of their ends. A span [s, e) is overlapped by one of them exactly when, among those
    // starting before e, the largest end is past s.
    let mut ranks: Vec<u8> = items.iter().map(|c| c.rank).collect();
    ranks.sort_unstable();
    ranks.dedup();
    for &rank in &ranks {
        let mut higher: Vec<usize> = (0..items.len())
            .filter(|&j| items[j].can_beat && items[j].rank > rank)
            .collect();
        if higher.is_empty() {
            continue;
        }
        higher.sort_by_key(|&j| items[j].span.start);
        let mut best: Vec<usize> = Vec::with_capacity(higher.len());
        for (n, &j) in higher.iter().enumerate() {
            let keep_prev = n > 0 && items[best[n - 1]].span.end >= items[j].span.end;
            best.push(if keep_prev { best[n - 1] } else { j });
        }
        for (i, item) in items.iter().enumerate().filter(|(_, c)| c.rank == rank) {
            let before_end = higher.partition_point(|&j| items[j].span.start < item.span.end);
            if before_end > 0 {
                let j = best[before_end - 1];
                if item.span.start < items[j].span.end {
                    result[i] = Some(j);
                }
            }
        }
    }
    equal_spans(items, &mut result);
    result
}

/// Same span, same rank: the contender of lowest `order` among those that can beat wins.
fn equal_spans<K: Ord + Copy>(items: &[Contender<K>], result: &mut [Option<usize>]) {
    let mut by_span: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].span.start < items[i].span.end)
        .collect();
    by_span.sort_by_key(|&i| (items[i].span.start, items[i].span.end, items[i].rank));
    for group in by_span.chunk_by(|&a, &b| {
        let (x, y) = (&items[a], &items[b]);
        x.span == y.span && x.rank == y.rank
    }) {
        let Some(&winner) = group
            .iter()
            .filter(|&&i| items[i].can_beat)
            .min_by_key(|&&i| items[i].order)
        else {
            continue;
        };
        for &i in group {
            if items[i].order > items[winner].order && result[i].is_none() {
                result[i] = Some(winner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(span: Range<usize>, rank: u8, order: usize) -> Contender<usize> {
        Contender {
            span,
            rank,
            order: (order, 0),
            can_beat: true,
        }
    }

    /// The pairwise definition the resolver must agree with.
    fn naive(items: &[Contender<usize>]) -> Vec<bool> {
        (0..items.len())
            .map(|i| {
                let m = &items[i];
                items.iter().enumerate().any(|(j, o)| {
                    j != i
                        && o.can_beat
                        && o.span.start < m.span.end
                        && m.span.start < o.span.end
                        && (o.rank > m.rank
                            || (o.rank == m.rank && o.span == m.span && o.order < m.order))
                })
            })
            .collect()
    }

    #[test]
    fn higher_rank_wins_and_equal_spans_keep_the_first() {
        let items = [
            c(0..10, 0, 0),
            c(5..8, 2, 1),
            c(20..30, 1, 2),
            c(20..30, 1, 3),
        ];
        let got = beaten_by(&items);
        assert_eq!(got, vec![Some(1), None, None, Some(2)]);
    }

    #[test]
    fn empty_spans_overlap_only_when_strictly_inside() {
        let items = [c(0..0, 0, 0), c(0..5, 2, 1), c(3..3, 0, 2)];
        assert_eq!(beaten_by(&items), vec![None, None, Some(1)]);
    }

    #[test]
    fn agrees_with_the_pairwise_definition() {
        // a small deterministic generator: every mix of spans, ranks and beat flags
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n) as usize
        };
        for _ in 0..2000 {
            let len = 1 + next(12);
            let items: Vec<Contender<usize>> = (0..len)
                .map(|k| {
                    let start = next(20);
                    Contender {
                        span: start..start + next(6),
                        rank: next(3) as u8,
                        order: (next(4), k),
                        can_beat: next(4) != 0,
                    }
                })
                .collect();
            let got: Vec<bool> = beaten_by(&items).iter().map(Option::is_some).collect();
            assert_eq!(got, naive(&items), "{items:?}");
            for (i, b) in beaten_by(&items).into_iter().enumerate() {
                if let Some(j) = b {
                    let (m, o) = (&items[i], &items[j]);
                    assert!(o.can_beat && o.span.start < m.span.end && m.span.start < o.span.end);
                }
            }
        }
    }
}
