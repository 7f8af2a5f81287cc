//! Incremental scanning of file versions: what history scans remember between versions of a file. For
//! each lineage (the path a blob is first met at) it keeps the hashes of the lines already scanned there
//! without a match; a later version is scanned only around lines whose content is new at that path.
//! Lines that held a match are never remembered, so a secret is still found in every blob that contains
//! it (which is how a finding counts its commits).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Mutex, MutexGuard};

use crate::engine::{Engine, RawMatch, Scratch};

/// Lines of context scanned around each run of new lines, for rules that look past one line.
const CONTEXT_LINES: usize = 2;
/// Shards of the per-path line memory (threads scanning different paths rarely wait on each other).
const SHARDS: usize = 64;

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type LineSet = HashSet<u64, std::hash::BuildHasherDefault<PassThrough>>;

/// One line of a blob: its byte range (with its newline) and the hash of its bytes.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    hash: u64,
}

/// Per lineage, the hashes of the lines scanned there without a match; shared by the scanning threads.
pub(super) struct LineMemory {
    shards: Vec<Mutex<HashMap<u32, LineSet>>>,
}

impl LineMemory {
    pub(super) fn new() -> Self {
        LineMemory {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, lineage: u32) -> MutexGuard<'_, HashMap<u32, LineSet>> {
        self.shards[lineage as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Scans the parts of `bytes` whose lines are new in `lineage` (with context), appending matches to
    /// `out` with offsets into `bytes`, then remembers the lines that held no match. A blob mostly new
    /// is scanned whole; otherwise the runs of new lines are concatenated into `sparse` and scanned there.
    pub(super) fn scan(
        &self,
        engine: &Engine,
        lineage: u32,
        bytes: &[u8],
        scratch: &mut Scratch,
        sparse: &mut Vec<u8>,
        out: &mut Vec<RawMatch>,
    ) {
        let lines = split_lines(bytes);
        let new: Vec<bool> = {
            let shard = self.shard(lineage);
            match shard.get(&lineage) {
                Some(seen) => lines.iter().map(|l| !seen.contains(&l.hash)).collect(),
                None => vec![true; lines.len()],
            }
        };
        let n_new = new.iter().filter(|n| **n).count();
        if n_new == 0 {
            return;
        }
        let first = out.len();
        if n_new * 2 > lines.len() {
            engine.scan_any_path(bytes, scratch, out);
        } else {
            let regions = new_regions(&lines, &new);
            scan_regions(engine, bytes, &regions, scratch, sparse, out);
        }
        self.remember(lineage, &lines, &new, &out[first..]);
    }

    /// Remembers this version's lines, except those a match touched. A path's memory is bounded by a few
    /// versions' worth of lines: past that it restarts from this version (old lines rarely return).
    fn remember(&self, lineage: u32, lines: &[Line], new: &[bool], matches: &[RawMatch]) {
        let clean = |line: &Line| {
            !matches.iter().any(|m| {
                m.matched.start < line.end && line.start < m.matched.end.max(m.matched.start + 1)
            })
        };
        let mut shard = self.shard(lineage);
        let seen = shard.entry(lineage).or_default();
        if seen.len() > 2 * lines.len() + 1024 {
            seen.clear();
            seen.extend(lines.iter().filter(|l| clean(l)).map(|l| l.hash));
        } else {
            for (line, is_new) in lines.iter().zip(new) {
                if *is_new && clean(line) {
                    seen.insert(line.hash);
                }
            }
        }
    }
}

/// A fast 64-bit hash of one line's bytes.
fn line_hash(line: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ line.len() as u64;
    let mut chunks = line.chunks_exact(8);
    for c in &mut chunks {
        h ^= u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = h.wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 31)
}

/// The lines of `bytes`, each with its newline; a last line without one counts too.
fn split_lines(bytes: &[u8]) -> Vec<Line> {
    let mut lines = Vec::with_capacity(bytes.len() / 32 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        lines.push(Line {
            start,
            end: nl + 1,
            hash: line_hash(&bytes[start..nl + 1]),
        });
        start = nl + 1;
    }
    if start < bytes.len() {
        lines.push(Line {
            start,
            end: bytes.len(),
            hash: line_hash(&bytes[start..]),
        });
    }
    lines
}

/// The byte ranges of the runs of new lines, each widened by [`CONTEXT_LINES`], merged where they meet.
fn new_regions(lines: &[Line], new: &[bool]) -> Vec<Range<usize>> {
    let mut regions: Vec<Range<usize>> = Vec::new();
    for (i, _) in new.iter().enumerate().filter(|(_, n)| **n) {
        let first = i.saturating_sub(CONTEXT_LINES);
        let last = (i + CONTEXT_LINES).min(lines.len() - 1);
        let range = lines[first].start..lines[last].end;
        match regions.last_mut() {
            Some(r) if range.start <= r.end => r.end = r.end.max(range.end),
            _ => regions.push(range),
        }
    }
    regions
}

/// Scans `regions` of `bytes` concatenated in `sparse`, and appends the matches to `out` with offsets
/// mapped back into `bytes`. A match that spans two regions is not text of the file and is dropped.
fn scan_regions(
    engine: &Engine,
    bytes: &[u8],
    regions: &[Range<usize>],
    scratch: &mut Scratch,
    sparse: &mut Vec<u8>,
    out: &mut Vec<RawMatch>,
) {
    sparse.clear();
    // (offset in sparse, offset in bytes, length) per region
    let mut map: Vec<(usize, usize, usize)> = Vec::with_capacity(regions.len());
    for r in regions {
        map.push((sparse.len(), r.start, r.len()));
        sparse.extend_from_slice(&bytes[r.clone()]);
    }
    let back = |span: &Range<usize>| {
        let seg = map.partition_point(|(b, _, _)| *b <= span.start) - 1;
        let (b, o, len) = map[seg];
        (span.end <= b + len).then(|| span.start - b + o..span.end - b + o)
    };
    let mut local = Vec::new();
    engine.scan_any_path(sparse, scratch, &mut local);
    for mut m in local {
        let Some(matched) = back(&m.matched) else {
            continue; // spans two regions: not text of the file
        };
        let seg = map.partition_point(|(b, _, _)| *b <= m.matched.start) - 1;
        let (b, o, _) = map[seg];
        m.secret = m.secret.start - b + o..m.secret.end - b + o;
        m.matched = matched;
        m.related = std::mem::take(&mut m.related)
            .into_iter()
            .filter_map(|(rule, r)| Some((rule, back(&r)?)))
            .collect();
        out.push(m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn found(engine: &Engine, memory: &LineMemory, bytes: &[u8]) -> Vec<(String, Range<usize>)> {
        let (mut scratch, mut sparse, mut out) = (engine.scratch(), Vec::new(), Vec::new());
        memory.scan(engine, 7, bytes, &mut scratch, &mut sparse, &mut out);
        out.iter()
            .map(|m| (engine.rule(m.rule).id.clone(), m.secret.clone()))
            .collect()
    }

    #[test]
    fn later_versions_are_scanned_where_lines_are_new_with_offsets_into_the_whole_blob() {
        let rules = RuleSet::builtin().unwrap();
        let example = rules.get("github-pat-classic").unwrap().examples[0].to_string();
        let engine = Engine::new(rules);
        let memory = LineMemory::new();
        let body: String = (0..40).map(|i| format!("setting_{i} = {i}\n")).collect();
        assert_eq!(found(&engine, &memory, body.as_bytes()), vec![]);

        // v2 adds the example near the end: only that run is scanned, its offsets point into v2
        let v2 = format!("{body}{example}\n");
        let hits = found(&engine, &memory, v2.as_bytes());
        assert!(!hits.is_empty(), "{example}");
        for (_, span) in &hits {
            assert!(
                example.contains(&v2[span.clone()]),
                "{:?}",
                &v2[span.clone()]
            );
            assert!(span.start >= body.len());
        }
        // a line that held a match is not remembered: the next version still finds it
        let v3 = format!("# moved\n{v2}");
        let again = found(&engine, &memory, v3.as_bytes());
        let shifted: Vec<(String, Range<usize>)> = hits
            .into_iter()
            .map(|(r, s)| (r, s.start + 8..s.end + 8))
            .collect();
        assert_eq!(again, shifted);
    }

    #[test]
    fn runs_of_new_lines_widen_by_the_context_and_merge() {
        let lines: Vec<Line> = (0..20)
            .map(|i| Line {
                start: i * 10,
                end: i * 10 + 10,
                hash: i as u64,
            })
            .collect();
        let mut new = vec![false; 20];
        new[5] = true;
        new[8] = true; // within 2 × CONTEXT_LINES of line 5: one region
        new[19] = true;
        assert_eq!(new_regions(&lines, &new), vec![30..110, 170..200]);
    }
}
