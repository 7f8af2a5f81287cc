//! Incremental history scans (`scan git --cache DIR`). The cache ([`crate::cache`]) holds, from the
//! last complete scan, every selected commit's record and every scanned blob's counters and findings
//! before placement. A scan under the same [`Key`] walks only the commits the records lack, scans only
//! the blobs and messages not scanned before, and then places every finding, cached or new, at every
//! (commit, path) that introduced it, exactly as a scan from scratch does: refs, HEAD facts, grouping,
//! path rules and every suppression that depends on the path or the ignore file are worked out anew each
//! time, so editing `.keyhoundignore` or a baseline needs no new scan. What the key covers (the build,
//! the rules, the allowlist, the size limit, the confidence floor, whether context is kept, the decode
//! depth) shapes a blob's findings; a change to any of them means a scan from scratch.
//!
//! A cache that cannot be used (missing, corrupt, of another build or format) only costs time: the scan
//! starts from scratch and says why in a note. A scan that met an error does not update the cache.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use git2::Oid;

use super::git::GitScanOptions;
use super::{Collected, Occurrences, Scanner};
use crate::cache::{self, BlobStat, Contents, Key, KnownBlob, Loaded};
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::outcome::{ScanError, ScanOutcome, ScanStats};
use crate::rules::compile::Identity;
use crate::sources::git::incremental::{IncrementalHistory, OidMap, Walked};
use crate::sources::git::{self, History, Selection};
use crate::sources::Progress;

impl Scanner {
    /// Scans history like [`Scanner::scan_git`] (every ref, or some refs; not a range), reusing the cache
    /// in `dir` and then updating it. The report is the one a scan from scratch gives; only the notes
    /// tell what came from the cache. An error when the cache directory cannot be made fails the scan
    /// before it starts; one when the cache cannot be written is a scan error (exit 2).
    pub fn scan_git_cached(
        &self,
        path: &Path,
        options: &GitScanOptions,
        progress: &Progress,
        dir: &Path,
    ) -> Result<ScanOutcome> {
        let started = Instant::now();
        if matches!(options.selection, Selection::Range { .. }) {
            return Err(Error::Git(
                "--cache covers whole histories (every ref, or --branch), not ranges".into(),
            ));
        }
        cache::create_private_dir(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let file = cache::file_for(dir, git::open(path)?.commondir());
        let key = self.cache_key();
        let (contents, mut notes) = self.load_cache(&file, &key);
        let source = IncrementalHistory {
            path: path.to_path_buf(),
            selection: options.selection.clone(),
            prior: Mutex::new(contents.walked),
            scanned: contents.blobs.keys().copied().collect(),
        };
        let (collected, enumerated) = self.collect(&source, progress, true)?;
        let mut history = enumerated.history.unwrap_or_default();
        let mut parts = Parts::new(collected, contents.blobs, &history);
        notes.push(parts.reuse_note(&history));
        let mut outcome = ScanOutcome {
            findings: std::mem::take(&mut parts.findings),
            errors: std::mem::take(&mut parts.errors),
            stats: std::mem::take(&mut parts.stats),
            notes: enumerated.notes,
            fingerprint_key: self.options.fingerprints.key_id().map(str::to_string),
        };
        let too_large = std::mem::take(&mut parts.too_large);
        if let Some(note) = self.too_large_note(&outcome.stats, too_large) {
            outcome.notes.push(note);
        }
        let occurrences = match options.all_occurrences {
            true => Occurrences::All,
            false => Occurrences::First,
        };
        self.place_history(&history, &parts.drafts, occurrences, &mut outcome);
        notes.push(save_cache(&file, &key, &mut history, &parts, &mut outcome));
        drop_later((history, parts, source));
        outcome.notes.extend(notes);
        outcome.finish(started);
        Ok(outcome)
    }

    /// The key of everything that shapes one blob's findings under this scanner.
    fn cache_key(&self) -> Key {
        let mut allowlist = Identity::default();
        self.suppressor.global.identity_into(&mut allowlist);
        let options = &self.options;
        Key::of(&[
            &self.engine.identity(),
            &allowlist.finish(),
            &options.max_file_size.to_le_bytes(),
            options.min_confidence.as_str().as_bytes(),
            &[u8::from(options.keep_context), u8::from(options.excerpts)],
        ])
    }

    /// The cache at `file` when it can be used, else nothing; with a note when it cannot.
    fn load_cache(&self, file: &Path, key: &Key) -> (Contents, Vec<String>) {
        let shown = file.display();
        match cache::load(file, key) {
            Loaded::Missing => (Contents::default(), Vec::new()),
            Loaded::Invalid(why) => {
                let note = format!("cache {shown} not used: {why}; scanned from scratch");
                (Contents::default(), vec![note])
            }
            Loaded::Valid(contents) if !self.fits(&contents) => {
                let note = format!(
                    "cache {shown} not used: its findings name rules this rule set does not have at \
                     their place; scanned from scratch"
                );
                (Contents::default(), vec![note])
            }
            Loaded::Valid(contents) => (contents, Vec::new()),
        }
    }

    /// True when every cached finding names a rule this scanner has at the same index.
    fn fits(&self, contents: &Contents) -> bool {
        let rules = self.engine.rules().rules();
        (contents.blobs.values().flat_map(|b| &b.drafts))
            .all(|f| rules.get(f.rule_index).is_some_and(|r| r.id == f.rule_id))
    }
}

/// What an incremental scan has once its source is done: what was scanned now and what the cache knew,
/// merged.
struct Parts {
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    stats: ScanStats,
    /// Every selected blob's findings before placement, new and cached.
    drafts: HashMap<Oid, Vec<Finding>>,
    /// Counters of the blobs scanned now.
    scanned: OidMap<BlobStat>,
    /// What the cache knew.
    known: OidMap<KnownBlob>,
    /// How many selected blobs the cache knew.
    reused: usize,
    /// Names of blobs skipped as too large, for the note that says so.
    too_large: Vec<String>,
}

impl Parts {
    /// Adds the cache's counters and findings of every selected blob not scanned now to what the
    /// workers collected.
    fn new(collected: Collected, known: OidMap<KnownBlob>, history: &History) -> Parts {
        let mut scanned: OidMap<BlobStat> = OidMap::default();
        for (id, stat) in collected.blobs.unwrap_or_default() {
            scanned.entry(id).or_default().add(&stat);
        }
        let mut stats = collected.stats;
        let mut drafts = collected.drafts;
        let mut too_large = collected.too_large;
        let mut reused = 0;
        for id in history.introductions.keys() {
            if scanned.contains_key(id) {
                continue;
            }
            if let Some(blob) = known.get(id) {
                reused += 1;
                add_stat(&mut stats, &blob.stat);
                if blob.stat.too_large > 0 && blob.stat.files == 0 {
                    too_large.push(format!("blob {id}"));
                }
                if !blob.drafts.is_empty() {
                    drafts.insert(*id, blob.drafts.clone());
                }
            }
        }
        Parts {
            findings: collected.findings,
            errors: collected.errors,
            stats,
            drafts,
            scanned,
            known,
            reused,
            too_large,
        }
    }

    /// What came from the cache and what was read now.
    fn reuse_note(&self, history: &History) -> String {
        let (reused, walked, dropped) = history
            .walked()
            .map(|w| (w.reused, w.commits.len() - w.reused, w.dropped))
            .unwrap_or_default();
        let mut note = format!(
            "cache: {reused} commits and {} blobs reused; {walked} commits walked and {} blobs and \
             messages scanned now",
            self.reused,
            self.scanned.len()
        );
        if dropped > 0 {
            note.push_str(&format!(
                "; {dropped} cached commits no longer selected were dropped"
            ));
        }
        note
    }

    /// True when the cache already says all this scan knows: nothing was walked, scanned or dropped.
    fn unchanged(&self, walked: &Walked) -> bool {
        walked.reused == walked.commits.len() && walked.dropped == 0 && self.scanned.is_empty()
    }

    /// Every selected blob's counters (scanned now or known) and findings before placement.
    fn selected_blobs<'a>(&'a self, history: &History) -> Vec<(Oid, BlobStat, &'a [Finding])> {
        let stat = |id: &Oid| {
            (self.scanned.get(id).copied()).or_else(|| self.known.get(id).map(|b| b.stat))
        };
        (history.introductions.keys())
            .filter_map(|id| {
                let drafts = self.drafts.get(id).map(Vec::as_slice).unwrap_or_default();
                Some((*id, stat(id)?, drafts))
            })
            .collect()
    }
}

/// Frees `big` on a thread of its own: the records of a large history take a good part of a warm
/// scan's time to free, and nothing waits for that (a process that exits first leaves it to the system).
fn drop_later<T: Send + 'static>(big: T) {
    let spawned = std::thread::Builder::new().spawn(move || drop(big));
    drop(spawned);
}

/// Adds one blob's counters to a scan's.
fn add_stat(stats: &mut ScanStats, stat: &BlobStat) {
    stats.files_scanned += u64::from(stat.files);
    stats.bytes_scanned += stat.bytes;
    stats.binary_as_text += u64::from(stat.binary);
    stats.skipped_too_large += u64::from(stat.too_large);
    stats.suppressed += u64::from(stat.suppressed);
}

/// Writes the cache for this scan's history and blobs, unless the scan met an error (then what it saw
/// is incomplete and the old cache stays). Returns the note saying what happened; a failed write is a
/// scan error.
fn save_cache(
    file: &Path,
    key: &Key,
    history: &mut History,
    parts: &Parts,
    outcome: &mut ScanOutcome,
) -> String {
    let shown = file.display();
    if !outcome.errors.is_empty() {
        return format!("cache {shown} not updated: the scan is incomplete");
    }
    let Some(walked) = history.take_walked() else {
        return format!("cache {shown} not updated: the walk kept no records");
    };
    if parts.unchanged(&walked) {
        return format!("cache {shown} is up to date");
    }
    let blobs = parts.selected_blobs(history);
    match cache::save(file, key, &walked, &blobs) {
        Ok(()) => format!(
            "cache {shown} written ({} commits, {} blobs and messages; mode 0600: it holds the \
             secrets found)",
            walked.commits.len(),
            blobs.len()
        ),
        Err(e) => {
            outcome.errors.push(ScanError {
                path: shown.to_string(),
                message: format!("writing the cache: {e}"),
            });
            format!("cache {shown} not written")
        }
    }
}
