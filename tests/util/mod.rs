//! A small harness for CLI tests: a temporary directory per test and a command builder for the binary.

#![allow(dead_code)]

pub mod http_server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory that is removed when dropped.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `rel`, creating parent directories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// A `keyhound` command running in this directory.
    pub fn cmd(&self, args: &[&str]) -> TestCommand {
        TestCommand::new(args).current_dir(self.path())
    }
}

/// A `keyhound` invocation.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl TestCommand {
    pub fn new(args: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyhound"));
        cmd.args(args)
            .env_remove("NO_COLOR")
            .env_remove("KEYHOUND_FINGERPRINT_KEY")
            .env_remove("KEYHOUND_FINGERPRINT_KEY_FILE");
        TestCommand { cmd, stdin: None }
    }

    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    pub fn run(mut self) -> Run {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self.cmd.spawn().expect("spawn keyhound");
        if let Some(input) = self.stdin.take() {
            child.stdin.take().unwrap().write_all(&input).unwrap();
        }
        Run(child.wait_with_output().expect("wait for keyhound"))
    }
}

/// The result of a run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exit code")
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }
    /// `(path, line, rule_id)` of every finding in a JSON report on stdout.
    pub fn findings(&self) -> Vec<(String, u64, String)> {
        let doc = self.json();
        doc["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["rule_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// A random-looking string of `n` characters from `alphabet`, seeded so tests are repeatable.
pub fn random_token(seed: u64, n: usize, alphabet: &[u8]) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A GitHub classic token with a valid CRC32 checksum.
pub fn github_token(seed: u64) -> String {
    github_token_from(&random_token(seed, 30, ALNUM))
}

/// A GitHub classic token with a valid CRC32 checksum over `body` (30 alphanumerics).
pub fn github_token_from(body: &str) -> String {
    format!(
        "ghp_{body}{}",
        keyhound::engine::checksum::base62(crc32(body.as_bytes()), 6)
    )
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A git repository in a temp dir, built commit by commit with libgit2 (no `.git` fixtures committed).
pub struct TestRepo {
    pub dir: TestDir,
    pub repo: git2::Repository,
    time: i64,
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = TestDir::new();
        let repo = git2::Repository::init(dir.path()).expect("git init");
        TestRepo {
            dir,
            repo,
            time: 1_700_000_000,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (Some) or deletes (None) files, stages everything, commits on HEAD; returns the commit id.
    pub fn commit(&mut self, files: &[(&str, Option<&str>)], message: &str) -> git2::Oid {
        self.stage(files);
        self.commit_index(message, &[])
    }

    /// Writes or deletes files in the work tree and the index, without committing.
    pub fn stage(&self, files: &[(&str, Option<&str>)]) {
        let mut index = self.repo.index().unwrap();
        for (path, content) in files {
            match content {
                Some(text) => {
                    self.dir.write(path, text);
                    index.add_path(Path::new(path)).unwrap();
                }
                None => {
                    let _ = std::fs::remove_file(self.dir.path().join(path));
                    index.remove_path(Path::new(path)).unwrap();
                }
            }
        }
        index.write().unwrap();
    }

    /// Commits the index with HEAD (if any) and `extra_parents` as parents.
    pub fn commit_index(&mut self, message: &str, extra_parents: &[git2::Oid]) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        self.time += 60;
        let sig = git2::Signature::new(
            "Ada Lovelace",
            "ada@example.org",
            &git2::Time::new(self.time, 0),
        )
        .unwrap();
        let mut parents = Vec::new();
        if let Ok(head) = self.repo.head() {
            parents.push(head.peel_to_commit().unwrap());
        }
        for p in extra_parents {
            parents.push(self.repo.find_commit(*p).unwrap());
        }
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)
            .unwrap()
    }

    /// Points HEAD at a new branch `name` starting at `at`, and checks it out.
    pub fn branch(&self, name: &str, at: git2::Oid) {
        let commit = self.repo.find_commit(at).unwrap();
        self.repo.branch(name, &commit, true).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
        self.repo
            .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .unwrap();
    }
}

impl TestRepo {
    /// Packs every object reachable from HEAD into one pack and deletes the loose objects, as `git gc`
    /// would, so that history scans go through the pack reader.
    pub fn pack_and_prune(&self) {
        let mut pb = self.repo.packbuilder().unwrap();
        let mut walk = self.repo.revwalk().unwrap();
        walk.push_glob("refs/*").unwrap();
        pb.insert_walk(&mut walk).unwrap();
        let objects = self.repo.path().join("objects");
        pb.write(&objects.join("pack"), 0o644).unwrap();
        for entry in std::fs::read_dir(&objects).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.len() == 2 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                std::fs::remove_dir_all(p).unwrap();
            }
        }
    }
}
