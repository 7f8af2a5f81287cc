//! Which commits a history scan covers, from what the user typed: `--range` in git's notation, or
//! `--since-commit`, `--branch` and `--all-refs`. Produces a [`Selection`]; resolving the revisions is
//! the git source's job, not this module's.
//!
//! `--range` follows git (`git help revisions`): `A..B` is what `B` has and `A` has not; an omitted end
//! means `HEAD` (`..B` is `HEAD..B`, `A..` is `A..HEAD`). `A...B`, git's symmetric difference (the
//! commits either side has and the other has not), is refused rather than read as something else; so is
//! anything else that is not one `A..B`.

use super::git::Selection;

/// Why a `--range` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// No `..` at all.
    #[error("`{0}` is not a range: --range takes A..B (for example origin/main..HEAD)")]
    NotARange(String),
    /// `A...B`.
    #[error(
        "`{0}` is git's symmetric difference (A...B), which keyhound does not scan; for what B adds \
         since it left A, use `$(git merge-base A B)..B`, or A..B for what B has and A has not"
    )]
    SymmetricDifference(String),
    /// Four or more dots, or more than one `..`.
    #[error("`{0}` is not a range: --range takes one A..B (two dots)")]
    Malformed(String),
    /// `..` alone names no revision.
    #[error("`..` names no revision: --range takes A..B (either side may be left out, not both)")]
    Empty,
}

/// The commit `HEAD`, which an omitted end of a range stands for.
const HEAD: &str = "HEAD";

/// Parses `--range` the way git reads `A..B` (see the module doc).
pub fn parse_range(text: &str) -> Result<Selection, RangeError> {
    let Some(at) = text.find("..") else {
        return Err(RangeError::NotARange(text.to_string()));
    };
    let (a, rest) = (&text[..at], &text[at + 2..]);
    let dots = 2 + rest.bytes().take_while(|&b| b == b'.').count();
    let b = &rest[dots - 2..];
    match dots {
        2 if !b.contains("..") => {}
        3 if !b.contains("..") => return Err(RangeError::SymmetricDifference(text.to_string())),
        _ => return Err(RangeError::Malformed(text.to_string())),
    }
    if a.is_empty() && b.is_empty() {
        return Err(RangeError::Empty);
    }
    let side = |s: &str| if s.is_empty() { HEAD } else { s }.to_string();
    Ok(Selection::Range {
        include: side(b),
        exclude: Some(side(a)),
    })
}

/// What a history scan covers, from its flags (which the CLI makes mutually exclusive): a range, the
/// commits after `since` up to `HEAD`, the commits reachable from `refs`, or, when none is given (or
/// `--all-refs` is), every commit reachable from every ref.
pub fn select(range: Option<Selection>, since: Option<String>, refs: Vec<String>) -> Selection {
    if let Some(range) = range {
        range
    } else if let Some(since) = since {
        Selection::Range {
            include: HEAD.into(),
            exclude: Some(since),
        }
    } else if !refs.is_empty() {
        Selection::Refs(refs)
    } else {
        Selection::AllRefs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Selections compared by their debug form (the git source's type need not be comparable).
    fn show(selection: Selection) -> String {
        format!("{selection:?}")
    }

    fn range(include: &str, exclude: &str) -> String {
        show(Selection::Range {
            include: include.into(),
            exclude: Some(exclude.into()),
        })
    }

    fn parsed(text: &str) -> String {
        show(parse_range(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn two_dots_as_git_reads_them() {
        assert_eq!(parsed("origin/main..HEAD"), range("HEAD", "origin/main"));
        assert_eq!(parsed("a1b2c3..feature/x"), range("feature/x", "a1b2c3"));
        assert_eq!(parsed("v1.2.0..v1.3.0"), range("v1.3.0", "v1.2.0"));
        // An omitted end is HEAD, on either side.
        assert_eq!(parsed("..feature"), range("feature", "HEAD"));
        assert_eq!(parsed("main.."), range("HEAD", "main"));
        assert_eq!(parsed("HEAD~3..HEAD^"), range("HEAD^", "HEAD~3"));
    }

    #[test]
    fn symmetric_difference_is_refused_clearly() {
        let err = parse_range("main...feature").map(show).unwrap_err();
        assert_eq!(
            err,
            RangeError::SymmetricDifference("main...feature".into())
        );
        assert!(err.to_string().contains("merge-base"), "{err}");
        assert!(matches!(
            parse_range("...feature"),
            Err(RangeError::SymmetricDifference(_))
        ));
    }

    #[test]
    fn malformed_ranges_are_refused() {
        for text in ["a....b", "a.....b", "a..b..c", "a...b..c", "...."] {
            let refused = parse_range(text).map(show);
            assert_eq!(refused, Err(RangeError::Malformed(text.into())), "{text}");
        }
        let refused = |text: &str| parse_range(text).map(show).unwrap_err();
        assert_eq!(refused(".."), RangeError::Empty);
        assert_eq!(refused("main"), RangeError::NotARange("main".into()));
        assert_eq!(refused(""), RangeError::NotARange(String::new()));
        assert_eq!(refused("a.b"), RangeError::NotARange("a.b".into()));
    }

    #[test]
    fn select_prefers_range_then_since_then_refs() {
        let b_not_a = parse_range("a..b").ok();
        assert_eq!(
            show(select(b_not_a, Some("c".into()), vec!["d".into()])),
            range("b", "a")
        );
        assert_eq!(
            show(select(None, Some("c".into()), vec![])),
            range("HEAD", "c")
        );
        assert_eq!(
            show(select(None, None, vec!["main".into()])),
            show(Selection::Refs(vec!["main".into()]))
        );
        assert_eq!(show(select(None, None, vec![])), show(Selection::AllRefs));
    }
}
