//! The cache of incremental history scans (`scan git --cache DIR`): one file per repository in a
//! directory the user names, holding what a complete scan learned, so that the next scan reads only
//! what is new. It keeps every selected commit's record (parents, facts, the files and message it
//! introduced: [`Walked`]) and, per blob and message scanned, its counters and its findings before they
//! were placed at a path ([`KnownBlob`]).
//!
//! A cache must never hide a finding. The file starts with a magic number, the format version, the
//! [`Key`] of everything that shapes a blob's findings (engine build, rules, allowlist, options), the
//! body's length and its CRC-32; a file that fails any check is not used ([`Loaded::Invalid`] says why)
//! and the scan starts from scratch. Files are written to a temporary name and renamed, so a killed scan
//! leaves the old file or the new one, never half of one. Findings hold secrets: the directory is made
//! mode 0700 and the files 0600.
//!
//! This module stores and checks; it knows neither how a scan uses what it loads nor which options make
//! the key (the scanner decides both).

use std::io::Write;
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::{Excerpt, Finding, RelatedPart};
use crate::rules::Confidence;
use crate::sources::git::incremental::{OidMap, Walked, WalkedCommit};
use crate::sources::git::CommitMeta;

/// The version of the file layout; a file of another version is not read.
pub const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"keyhound";
const KIND: &[u8; 8] = b"history\0";
/// Magic, kind, format, key, body length, CRC-32.
const HEADER_LEN: usize = 8 + 8 + 4 + 32 + 8 + 4;

/// Everything that shapes what scanning one blob finds: a cache made under another key is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl Key {
    /// The key of these parts (each is length-prefixed, so no two lists of parts share a key).
    pub fn of(parts: &[&[u8]]) -> Key {
        let mut h = Sha256::new();
        for part in parts {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        Key(h.finalize().into())
    }
}

/// Counters of one scanned blob or message (an archive's: of all its entries), added to a scan's counters
/// when it is reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStat {
    /// Files scanned: 1, or an archive's entries (0 when it was skipped).
    pub files: u32,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files that looked binary and whose text was scanned.
    pub binary: u32,
    /// Files larger than the size limit, not scanned.
    pub too_large: u32,
    /// Findings silenced by the allowlist or inline markers.
    pub suppressed: u32,
}

impl BlobStat {
    /// Adds another part's counters (an archive's entries are counted one by one).
    pub fn add(&mut self, other: &BlobStat) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.binary += other.binary;
        self.too_large += other.too_large;
        self.suppressed += other.suppressed;
    }
}

/// What is known of one scanned blob or message.
#[derive(Debug, Clone, Default)]
pub struct KnownBlob {
    /// Its counters.
    pub stat: BlobStat,
    /// Its findings before placement (no path, fingerprint or provenance).
    pub drafts: Vec<Finding>,
}

/// What a cache file held.
#[derive(Debug, Default)]
pub struct Contents {
    /// Every commit the last complete scan selected.
    pub walked: Walked,
    /// Every blob and message it scanned.
    pub blobs: OidMap<KnownBlob>,
}

/// The result of reading a cache file.
#[derive(Debug)]
pub enum Loaded {
    /// There is none yet.
    Missing,
    /// It cannot be used, for this reason; the scan starts from scratch.
    Invalid(String),
    /// It is whole and was made under the same key.
    Valid(Contents),
}

/// The cache file of the repository whose git directory is `git_dir`, in `dir`: named by a hash of
/// the directory's canonical path, so that one cache directory can serve several repositories.
pub fn file_for(dir: &Path, git_dir: &Path) -> PathBuf {
    let canonical = git_dir
        .canonicalize()
        .unwrap_or_else(|_| git_dir.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("history-{name}.khc"))
}

/// Reads the cache file at `path`, made under `key`.
pub fn load(path: &Path, key: &Key) -> Loaded {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Invalid(format!("cannot be read ({e})")),
    };
    match decode(&bytes, key) {
        Ok(contents) => Loaded::Valid(contents),
        Err(why) => Loaded::Invalid(why),
    }
}

/// Checks the header and the checksum, then decodes the body.
fn decode(bytes: &[u8], key: &Key) -> Result<Contents, String> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC || &bytes[8..16] != KIND {
        return Err("not a keyhound history cache".into());
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let format = word(16);
    if format != FORMAT {
        return Err(format!(
            "written in format {format}, this keyhound reads format {FORMAT}"
        ));
    }
    if bytes[20..52] != key.0 {
        return Err(
            "made by another keyhound build, or with other rules, allowlist or options".into(),
        );
    }
    let len = u64::from_le_bytes(bytes[52..60].try_into().expect("8 bytes"));
    let body = &bytes[HEADER_LEN..];
    if body.len() as u64 != len {
        return Err(format!(
            "truncated or padded: {} body bytes, the header says {len}",
            body.len()
        ));
    }
    if crc32fast::hash(body) != word(60) {
        return Err("checksum mismatch: the file is corrupt".into());
    }
    let body: Body = postcard::from_bytes(body).map_err(|e| format!("corrupt body ({e})"))?;
    body.into_contents()
}

/// Writes `walked` and `blobs` (each blob's counters and findings before placement) to `path` under
/// `key`: into a temporary file (mode 0600) beside it, then renamed over it. Creates the directory (mode
/// 0700) when it is missing.
pub fn save(
    path: &Path,
    key: &Key,
    walked: &Walked,
    blobs: &[(Oid, BlobStat, &[Finding])],
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let body = Body::of(walked, blobs).map_err(std::io::Error::other)?;
    let body = postcard::to_stdvec(&body)
        .map_err(|e| std::io::Error::other(format!("encoding the cache: {e}")))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(KIND);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&key.0);
    header.extend_from_slice(&(body.len() as u64).to_le_bytes());
    header.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = private_file(&temp).and_then(|mut f| {
        f.write_all(&header)?;
        f.write_all(&body)?;
        f.flush()
    });
    match written.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Creates `dir` (and its parents) when missing; a directory it creates is readable by its owner only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates (or truncates) `path` for writing, readable and writable by its owner only.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Bytes written as one run (a length, then the bytes), not element by element.
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

/// Length of a stored object id.
const ID_LEN: usize = 20;

/// The file's body. Object ids are stored once each, in `ids` (20 bytes apiece): the commits' in their
/// order, then the blobs' and messages' in theirs, then parents outside the records; everything else
/// names them by position.
#[derive(Serialize, Deserialize)]
struct Body {
    paths: Vec<String>,
    ids: Bytes,
    commits: Vec<StoredCommit>,
    blobs: Vec<BlobStat>,
    /// Per blob (by position in `blobs`) with findings, its findings before placement.
    drafts: Vec<(u32, Vec<StoredFinding>)>,
}

#[derive(Serialize, Deserialize)]
struct StoredCommit {
    /// Positions in `ids`.
    parents: Vec<u32>,
    author_name: String,
    author_email: String,
    date: String,
    summary: String,
    /// Position in `blobs`.
    message: Option<u32>,
    /// Path (position in `paths`) and blob (position in `blobs`).
    changes: Vec<(u32, u32)>,
    submodules: u32,
}

/// A finding before placement, with its secret (hence the file's mode).
#[derive(Serialize, Deserialize)]
struct StoredFinding {
    /// Empty, or the path of an archive entry inside the blob.
    path: String,
    rule_index: u64,
    rule_id: String,
    rule_name: String,
    description: Option<String>,
    confidence: Confidence,
    span: [u64; 4],
    redacted: String,
    entropy: f64,
    decoded: Option<String>,
    related: Vec<StoredPart>,
    context: Bytes,
    excerpt: Option<(u64, Vec<String>)>,
    secret: Bytes,
}

#[derive(Serialize, Deserialize)]
struct StoredPart {
    rule_id: String,
    line: u64,
    column: u64,
    redacted: String,
    secret: Bytes,
}

/// Assigns positions to object ids and to paths as the body is written.
#[derive(Default)]
struct Positions {
    ids: Vec<u8>,
    of: OidMap<u32>,
}

impl Positions {
    fn add(&mut self, id: &Oid) -> u32 {
        let next = self.of.len() as u32;
        *self.of.entry(*id).or_insert_with(|| {
            let bytes = id.as_bytes();
            let mut raw = [0u8; ID_LEN];
            raw[..bytes.len().min(ID_LEN)].copy_from_slice(&bytes[..bytes.len().min(ID_LEN)]);
            self.ids.extend_from_slice(&raw);
            next
        })
    }
}

impl Body {
    /// The body for `walked` and `blobs`, keeping only the paths the commits name. Fails when a commit
    /// names a blob `blobs` lacks (its counters would be lost).
    fn of(walked: &Walked, blobs: &[(Oid, BlobStat, &[Finding])]) -> Result<Body, String> {
        let mut ids = Positions::default();
        for c in &walked.commits {
            ids.add(&c.id);
        }
        let first_blob = ids.of.len() as u32;
        let mut blob_at = OidMap::default();
        for (i, (id, _, _)) in blobs.iter().enumerate() {
            ids.add(id);
            blob_at.insert(*id, i as u32);
        }
        if ids.of.len() as u32 - first_blob != blobs.len() as u32 {
            return Err("a blob is also a commit, or listed twice".into());
        }
        let blob = |id: &Oid| {
            (blob_at.get(id).copied()).ok_or_else(|| format!("blob {id} has no counters"))
        };
        let mut renumber: Vec<Option<u32>> = vec![None; walked.paths.len()];
        let mut paths = Vec::new();
        let mut commits = Vec::with_capacity(walked.commits.len());
        for c in &walked.commits {
            let mut changes = Vec::with_capacity(c.changes.len());
            for (p, b) in &c.changes {
                let p = *renumber[*p as usize].get_or_insert_with(|| {
                    paths.push(walked.paths[*p as usize].clone());
                    paths.len() as u32 - 1
                });
                changes.push((p, blob(b)?));
            }
            commits.push(StoredCommit {
                parents: c.parents.iter().map(|p| ids.add(p)).collect(),
                author_name: c.meta.author_name.clone(),
                author_email: c.meta.author_email.clone(),
                date: c.meta.date.clone(),
                summary: c.meta.summary.clone(),
                message: c.message.as_ref().map(blob).transpose()?,
                changes,
                submodules: c.submodules,
            });
        }
        let drafts = (blobs.iter().enumerate())
            .filter(|(_, (_, _, d))| !d.is_empty())
            .map(|(i, (_, _, d))| (i as u32, d.iter().map(StoredFinding::of).collect()))
            .collect();
        Ok(Body {
            paths,
            ids: Bytes(ids.ids),
            commits,
            blobs: blobs.iter().map(|(_, stat, _)| *stat).collect(),
            drafts,
        })
    }

    /// What the body says, checked: every position in range, every object id well formed.
    fn into_contents(self) -> Result<Contents, String> {
        let corrupt = |what: &str| format!("corrupt body ({what})");
        if !self.ids.0.len().is_multiple_of(ID_LEN) {
            return Err(corrupt("object ids"));
        }
        let ids: Vec<Oid> = (self.ids.0.chunks_exact(ID_LEN))
            .map(|raw| Oid::from_bytes(raw).map_err(|_| corrupt("an object id")))
            .collect::<Result<_, _>>()?;
        let (n, m) = (self.commits.len(), self.blobs.len());
        if ids.len() < n + m {
            return Err(corrupt("fewer object ids than commits and blobs"));
        }
        let id = |i: u32| {
            ids.get(i as usize)
                .copied()
                .ok_or_else(|| corrupt("an id position"))
        };
        let blob = |i: u32| match (i as usize) < m {
            true => Ok(ids[n + i as usize]),
            false => Err(corrupt("a blob position")),
        };
        let path_count = self.paths.len();
        let mut commits = Vec::with_capacity(n);
        for (i, c) in self.commits.into_iter().enumerate() {
            if c.changes.iter().any(|(p, _)| *p as usize >= path_count) {
                return Err(corrupt("a path position"));
            }
            commits.push(WalkedCommit {
                id: ids[i],
                parents: c.parents.iter().map(|p| id(*p)).collect::<Result<_, _>>()?,
                meta: CommitMeta {
                    id: ids[i].to_string(),
                    author_name: c.author_name,
                    author_email: c.author_email,
                    date: c.date,
                    summary: c.summary,
                },
                message: c.message.map(blob).transpose()?,
                changes: (c.changes.iter())
                    .map(|(p, b)| Ok((*p, blob(*b)?)))
                    .collect::<Result<_, String>>()?,
                submodules: c.submodules,
            });
        }
        let mut blobs: OidMap<KnownBlob> = OidMap::default();
        blobs.reserve(m);
        for (i, stat) in self.blobs.into_iter().enumerate() {
            let known = KnownBlob {
                stat,
                drafts: Vec::new(),
            };
            blobs.insert(ids[n + i], known);
        }
        for (i, drafts) in self.drafts {
            let known = blobs
                .get_mut(&blob(i)?)
                .ok_or_else(|| corrupt("a draft's blob"))?;
            known.drafts = drafts
                .into_iter()
                .map(StoredFinding::into_finding)
                .collect();
        }
        Ok(Contents {
            walked: Walked {
                paths: self.paths,
                commits,
                ..Walked::default()
            },
            blobs,
        })
    }
}

impl StoredFinding {
    fn of(f: &Finding) -> StoredFinding {
        let part = |p: &RelatedPart| StoredPart {
            rule_id: p.rule_id.clone(),
            line: p.line as u64,
            column: p.column as u64,
            redacted: p.redacted.clone(),
            secret: Bytes(p.secret_bytes.clone()),
        };
        StoredFinding {
            path: f.path.clone(),
            rule_index: f.rule_index as u64,
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            description: f.description.clone(),
            confidence: f.confidence,
            span: [f.line, f.column, f.end_line, f.end_column].map(|n| n as u64),
            redacted: f.redacted.clone(),
            entropy: f.entropy,
            decoded: f.decoded.clone(),
            related: f.related.iter().chain(&f.also_related).map(part).collect(),
            context: Bytes(f.context.clone()),
            excerpt: (f.excerpt.as_ref()).map(|e| (e.first_line as u64, e.lines.clone())),
            secret: Bytes(f.secret_bytes.clone()),
        }
    }

    fn into_finding(self) -> Finding {
        let mut parts = self.related.into_iter().map(|p| RelatedPart {
            rule_id: p.rule_id,
            line: p.line as usize,
            column: p.column as usize,
            redacted: p.redacted,
            secret_bytes: p.secret.0,
        });
        let [line, column, end_line, end_column] = self.span.map(|n| n as usize);
        Finding {
            rule_id: self.rule_id,
            rule_name: self.rule_name,
            description: self.description,
            confidence: self.confidence,
            path: self.path,
            repository: None,
            line,
            column,
            end_line,
            end_column,
            redacted: self.redacted,
            secret: None,
            entropy: self.entropy,
            fingerprint: String::new(),
            secret_id: String::new(),
            decoded: self.decoded,
            related: parts.next(),
            also_related: parts.collect(),
            git: None,
            verification: None,
            context: self.context.0,
            excerpt: self.excerpt.map(|(first_line, lines)| Excerpt {
                first_line: first_line as usize,
                lines,
            }),
            secret_bytes: self.secret.0,
            rule_index: self.rule_index as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Walked, Oid, BlobStat) {
        let id = Oid::hash_object(git2::ObjectType::Blob, b"x").unwrap();
        let commit_id = Oid::hash_object(git2::ObjectType::Commit, b"c").unwrap();
        let outside = Oid::hash_object(git2::ObjectType::Commit, b"p").unwrap();
        let commit = WalkedCommit {
            id: commit_id,
            parents: vec![outside],
            meta: CommitMeta {
                id: commit_id.to_string(),
                author_name: "A".into(),
                author_email: "a@example.org".into(),
                date: "2023-11-14T22:13:20+00:00".into(),
                summary: "s".into(),
            },
            message: Some(id),
            changes: vec![(1, id)],
            submodules: 2,
        };
        let walked = Walked {
            paths: vec!["unused".into(), "a.env".into()],
            commits: vec![commit],
            ..Walked::default()
        };
        let stat = BlobStat {
            files: 1,
            bytes: 10,
            binary: 1,
            too_large: 0,
            suppressed: 3,
        };
        (walked, id, stat)
    }

    #[test]
    fn parts_of_a_key_do_not_run_together() {
        assert_ne!(Key::of(&[b"ab", b"c"]), Key::of(&[b"a", b"bc"]));
        assert_eq!(Key::of(&[b"a"]), Key::of(&[b"a"]));
    }

    #[test]
    fn a_saved_cache_loads_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/h.khc");
        let key = Key::of(&[b"k"]);
        let (walked, blob, stat) = sample();
        save(&path, &key, &walked, &[(blob, stat, &[])]).unwrap();
        let Loaded::Valid(back) = load(&path, &key) else {
            panic!("not loaded");
        };
        // Only the paths the commits name are kept, renumbered.
        assert_eq!(back.walked.paths, vec!["a.env".to_string()]);
        let (c, orig) = (&back.walked.commits[0], &walked.commits[0]);
        assert_eq!(c.changes, vec![(0, blob)]);
        assert_eq!(
            (c.id, &c.parents, c.submodules),
            (orig.id, &orig.parents, 2)
        );
        assert_eq!(c.message, Some(blob));
        assert_eq!(c.meta.id, orig.meta.id);
        assert_eq!(back.blobs[&blob].stat, stat);
        match load(&path, &Key::of(&[b"other"])) {
            Loaded::Invalid(why) => assert!(why.contains("other rules"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            load(&dir.path().join("none"), &key),
            Loaded::Missing
        ));
        // A commit naming a blob without counters is not written.
        assert!(save(&path, &key, &walked, &[]).is_err());
    }
}
