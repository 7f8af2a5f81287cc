//! Fuzz harnesses: each takes arbitrary bytes and drives public keyhound entry points with them. A
//! harness may see an error returned; it must never see a panic, an abort or a hang.
//!
//! The libFuzzer targets in `fuzz_targets/` are one line each over these functions, and the bounded pass
//! in the root package's `cargo test` (`tests/fuzz.rs`) includes this file and runs the same functions
//! over seeded pseudo-random and mutated inputs, so both exercise exactly the same code.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use keyhound::config::Config;
use keyhound::engine::{decode, Engine};
use keyhound::rules::RuleSet;
use keyhound::scan::git::GitScanOptions;
use keyhound::scan::{Occurrences, ScanOptions, Scanner};
use keyhound::sources::git::Selection;
use keyhound::sources::{Enumerate, Enumerated, Item, Origin, Progress, SinkFactory, Source};
use keyhound::suppress::Suppressor;

/// A scanner over the built-in rules with decoding two layers deep, built once per process.
fn builtin_scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let rules = RuleSet::builtin().expect("built-in rules load");
        scanner(
            Engine::new(rules).with_decode_depth(2),
            Suppressor::default(),
        )
    })
}

fn scanner(engine: Engine, suppressor: Suppressor) -> Scanner {
    let options = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    Scanner::new(engine, suppressor, options)
}

/// One in-memory file as a scan source.
struct OneFile<'a> {
    path: &'a str,
    bytes: &'a [u8],
}

impl Source for OneFile<'_> {
    fn enumerate(
        &self,
        _: &Enumerate<'_>,
        sinks: &SinkFactory<'_>,
    ) -> keyhound::Result<Enumerated> {
        let origin = Origin::Path(self.path.to_string());
        sinks().accept(Item::Blob {
            origin,
            bytes: self.bytes,
        });
        Ok(Enumerated::default())
    }
}

/// Runs `scanner` over `bytes` as the file `path`: the whole pipeline of one scan.
fn scan_bytes(scanner: &Scanner, path: &str, bytes: &[u8]) {
    let source = OneFile { path, bytes };
    let _ = scanner.scan(&source, &Progress::default(), Occurrences::First);
}

/// The rule/config loaders: the input as a keyhound rule file, as a whole `.keyhound.toml` or gitleaks
/// config (chosen by its content, as the CLI does), and through the Go-regex translation. Whatever loads
/// is compiled and run over the input itself.
pub fn loaders(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = RuleSet::from_sources([("fuzz.toml", text)]) {
        for rule in rules.rules() {
            let _ = rule.check_patterns();
        }
        scan_bytes(
            &scanner(Engine::new(rules), Suppressor::default()),
            "fuzz.toml",
            data,
        );
    }
    let _ = regex::Regex::new(&keyhound::config::gitleaks::go_regex_to_rust(text));
    let Ok(config) = Config::parse(Path::new(".keyhound.toml"), text.to_string()) else {
        return;
    };
    let mut rules =
        RuleSet::from_sources([("rules/github.toml", include_str!("../../rules/github.toml"))])
            .expect("github rules load");
    if config.apply_to_rules(&mut rules).is_err() {
        return;
    }
    let Ok(global) = config.allowlist() else {
        return;
    };
    let suppressor = Suppressor {
        global,
        ..Suppressor::default()
    };
    scan_bytes(&scanner(Engine::new(rules), suppressor), "app/.env", data);
}

/// The engine over arbitrary bytes: built-in rules, base64/hex/percent decoding two layers deep, and
/// finding creation (location, redaction, fingerprints).
pub fn engine(data: &[u8]) {
    let scanner = builtin_scanner();
    scan_bytes(scanner, "src/config/app.env", data);
}

/// The archive reader on arbitrary bytes: expanded under small bounds (every entry handed on must lie
/// within them), then scanned as a file through the whole pipeline under the bounds every scan applies.
pub fn archive(data: &[u8]) {
    use keyhound::sources::archive::{expand, Limits};
    let limits = Limits {
        depth: 3,
        entries: 200,
        entry_bytes: 1 << 20,
        total_bytes: 4 << 20,
        ratio: 100,
    };
    let (mut entries, mut bytes) = (0usize, 0u64);
    expand(data, limits, &mut |_path, content| {
        assert!(content.len() as u64 <= limits.entry_bytes);
        entries += 1;
        bytes += content.len() as u64;
    });
    assert!(entries <= limits.entries && bytes <= limits.total_bytes);
    scan_bytes(builtin_scanner(), "upload/bundle.zip", data);
}

/// The decoders alone, two layers deep. Every run found lies inside its input and decodes to something.
pub fn decode(data: &[u8]) {
    for outer in decode::find_encoded(data) {
        assert!(outer.span.start < outer.span.end && outer.span.end <= data.len());
        assert!(!outer.decoded.is_empty());
        for inner in decode::find_encoded(&outer.decoded) {
            assert!(inner.span.end <= outer.decoded.len());
        }
    }
}

/// The git reader on a mutated repository: a small repository (packed and loose objects, a staged file)
/// is copied and damaged as the input says, then scanned as history (all refs, and a range) and as
/// staged changes. Errors are expected; panics, aborts and hangs are bugs.
///
/// The first byte picks the damage: 0 flips/truncates bytes of the repository's files (pack, index,
/// loose objects, refs, the index), 1 writes the rest as a tree object stored under an id the input
/// chooses (bytes 1..21) and commits it, 2 commits the rest as a raw commit object.
pub fn git(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    copy_tree(base_repo(), work.path());
    let git_dir = work.path().join(".git");
    match mode % 3 {
        0 => damage_files(&git_dir, rest),
        1 => {
            if rest.len() < 20 {
                return;
            }
            let tree = git2::Oid::from_bytes(&rest[..20]).expect("20 bytes");
            write_loose(&git_dir, "tree", &tree.to_string(), &rest[20..]);
            let body = format!(
                "tree {tree}\nauthor F <f@example.invalid> 1700000000 +0000\n\
                 committer F <f@example.invalid> 1700000000 +0000\n\nfuzz\n"
            );
            commit_raw(work.path(), body.as_bytes());
        }
        _ => commit_raw(work.path(), rest),
    }
    let scanner = builtin_scanner();
    let progress = Progress::default();
    for selection in [
        Selection::AllRefs,
        Selection::Range {
            include: "HEAD".into(),
            exclude: Some("HEAD~1".into()),
        },
    ] {
        let options = GitScanOptions {
            selection,
            all_occurrences: false,
        };
        let _ = scanner.scan_git(work.path(), &options, &progress);
    }
    let _ = scanner.scan_staged(work.path());
}

/// Flips or truncates bytes of the files under `git_dir`: each 4-byte group is (file, offset high,
/// offset low, value); a value of 0 truncates the file at the offset.
fn damage_files(git_dir: &Path, ops: &[u8]) {
    let mut files = Vec::new();
    list_files(git_dir, &mut files);
    files.sort();
    for op in ops.chunks_exact(4) {
        let file = &files[op[0] as usize % files.len()];
        let mut bytes = std::fs::read(file).expect("read repo file");
        if bytes.is_empty() {
            continue;
        }
        let at = usize::from(u16::from_be_bytes([op[1], op[2]])) % bytes.len();
        match op[3] {
            0 => bytes.truncate(at),
            v => bytes[at] ^= v,
        }
        std::fs::write(file, bytes).expect("write repo file");
    }
}

/// Writes `body` as the loose object `id` (whatever its real hash), zlib-wrapped in stored blocks.
fn write_loose(git_dir: &Path, kind: &str, id: &str, body: &[u8]) {
    let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
    raw.extend_from_slice(body);
    let mut z = vec![0x78, 0x01];
    let mut chunks = raw.chunks(0xffff).peekable();
    if raw.is_empty() {
        z.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let len = chunk.len() as u16;
        z.push(u8::from(chunks.peek().is_none()));
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let dir = git_dir.join("objects").join(&id[..2]);
    std::fs::create_dir_all(&dir).expect("object dir");
    std::fs::write(dir.join(&id[2..]), z).expect("write object");
}

/// Writes `body` as a commit object and points `main` (HEAD) at it.
fn commit_raw(work: &Path, body: &[u8]) {
    let repo = git2::Repository::open(work).expect("open copy");
    let odb = repo.odb().expect("odb");
    let id = odb
        .write(git2::ObjectType::Commit, body)
        .expect("write commit");
    let main = repo.path().join("refs/heads/main");
    std::fs::write(main, format!("{id}\n")).expect("write ref");
}

/// The pristine repository the git harness damages, built once per process with libgit2: two commits
/// in a pack, one loose commit on top, and a staged file with a token in it.
fn base_repo() -> &'static Path {
    static REPO: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &REPO
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let root = dir.path().join("repo");
            build_base_repo(&root).expect("build base repository");
            (dir, root)
        })
        .1
}

fn build_base_repo(root: &Path) -> Result<(), git2::Error> {
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    let repo = git2::Repository::init_opts(root, &init)?;
    let sig = git2::Signature::new(
        "Fuzz",
        "fuzz@example.invalid",
        &git2::Time::new(1_700_000_000, 0),
    )?;
    let token = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5");
    let files: [&[(&str, String)]; 3] = [
        &[
            ("app.env", format!("GITHUB_TOKEN={token}\n")),
            ("src/main.rs", "fn main() {}\n".into()),
        ],
        &[
            ("app.env", "GITHUB_TOKEN=\n".into()),
            ("docs/a.md", "aGVsbG8gd29ybGQgaGVsbG8=\n".into()),
        ],
        &[("src/main.rs", "// password = \"Tr0ub4dor&3xK9!q\"\n".into())],
    ];
    let mut parent: Option<git2::Oid> = None;
    for (n, commit_files) in files.iter().enumerate() {
        let mut index = repo.index()?;
        for (path, text) in commit_files.iter() {
            std::fs::create_dir_all(root.join(path).parent().expect("parent")).ok();
            std::fs::write(root.join(path), text).ok();
            index.add_path(Path::new(path))?;
        }
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let parents: Vec<git2::Commit> = parent
            .iter()
            .map(|p| repo.find_commit(*p))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        parent = Some(repo.commit(
            Some("HEAD"),
            &sig,
            &sig,
            &format!("commit {n}"),
            &tree,
            &refs,
        )?);
        if n == 1 {
            // Pack everything so far, then drop the loose copies.
            let mut pack = repo.packbuilder()?;
            let mut walk = repo.revwalk()?;
            walk.push_head()?;
            pack.insert_walk(&mut walk)?;
            pack.write(&repo.path().join("objects/pack"), 0o644)?;
            for entry in std::fs::read_dir(repo.path().join("objects")).expect("objects") {
                let path = entry.expect("entry").path();
                if path.file_name().is_some_and(|n| n.len() == 2) {
                    std::fs::remove_dir_all(path).ok();
                }
            }
        }
    }
    std::fs::write(root.join("staged.env"), format!("token: {token}\n")).ok();
    let mut index = repo.index()?;
    index.add_path(Path::new("staged.env"))?;
    index.write()?;
    Ok(())
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            list_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
            let mut perms = std::fs::metadata(&target).expect("stat").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).expect("chmod");
        }
    }
}
