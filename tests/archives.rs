//! Archives: secrets inside zip, jar, docx, tar.gz and gzip files are found and named by their inner path
//! (`a.zip!/conf/.env`, nested `a.zip!/b.jar!/x.properties`) in directory, history, range and staged
//! scans; bombs, damage, encryption and deep nesting are bounded errors (exit 2) that name the archive and
//! the bound, and the rest of the scan goes on. The archives are built here with the crates keyhound
//! reads them with.

use std::io::{Cursor, Write};

use flate2::Compression;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use crate::util::{github_token, Run, TestDir, TestRepo};

/// A zip of `(name, content)` entries, deflated (or stored).
fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, content) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A tar of `(name, content)` files.
fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *content).unwrap();
    }
    tar.into_inner().unwrap()
}

/// `bytes` gzipped, with `name` in the header when given.
fn gzip(bytes: &[u8], name: Option<&str>) -> Vec<u8> {
    let mut builder = flate2::GzBuilder::new();
    if let Some(name) = name {
        builder = builder.filename(name);
    }
    let mut gz = builder.write(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn token_line(seed: u64) -> Vec<u8> {
    format!("GITHUB_TOKEN={}\n", github_token(seed)).into_bytes()
}

/// A minimal Word document whose one paragraph holds `text`.
fn docx(text: &str) -> Vec<u8> {
    let types = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let doc = format!(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    zip_of(
        &[
            ("[Content_Types].xml", types),
            ("word/document.xml", doc.as_bytes()),
        ],
        true,
    )
}

/// The `(path, rule)` of every finding.
fn found(run: &Run) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = (run.findings().into_iter())
        .map(|(path, _, rule)| (path, rule))
        .collect();
    out.sort();
    out
}

fn github_at(paths: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = (paths.iter())
        .map(|p| (p.to_string(), "github-pat-classic".to_string()))
        .collect();
    out.sort();
    out
}

/// Every archive format, each with one secret inside.
fn write_archives(dir: &TestDir) {
    let env = token_line(1);
    dir.write("bundle.zip", zip_of(&[("conf/.env", &env)], true));
    let props = token_line(2);
    let jar = zip_of(&[("app.properties", &props)], true);
    dir.write(
        "outer.zip",
        zip_of(
            &[("README", b"nothing here\n"), ("lib/inner.jar", &jar)],
            true,
        ),
    );
    let app_env = token_line(3);
    let tar = tar_of(&[("etc/app.env", &app_env)]);
    dir.write("backup.tar.gz", gzip(&tar, None));
    dir.write(
        "report.docx",
        docx(&format!("Deploy token: {}", github_token(4))),
    );
    dir.write("notes.txt.gz", gzip(&token_line(5), Some("notes.txt")));
}

#[test]
fn secrets_inside_zip_jar_tar_gz_docx_and_gzip_are_found_at_their_inner_paths() {
    let dir = TestDir::new();
    write_archives(&dir);
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(
        found(&run),
        github_at(&[
            "bundle.zip!/conf/.env",
            "outer.zip!/lib/inner.jar!/app.properties",
            "backup.tar.gz!/etc/app.env",
            "report.docx!/word/document.xml",
            "notes.txt.gz!/notes.txt",
        ]),
        "{}",
        run.stderr()
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // the inner path is the finding's path in every format, and in its fingerprint
    let json = run.json();
    let fingerprints: std::collections::HashSet<&str> = (json["findings"].as_array().unwrap())
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), 5);
    for format in ["text", "sarif", "junit", "gitlab", "html"] {
        let out = dir
            .cmd(&["scan", "dir", ".", "--format", format, "--color", "never"])
            .run()
            .stdout();
        // SARIF's URIs percent-encode `!`
        let path = match format {
            "sarif" => "outer.zip%21/lib/inner.jar%21/app.properties",
            _ => "outer.zip!/lib/inner.jar!/app.properties",
        };
        assert!(out.contains(path), "{format}: {out}");
    }
}

#[test]
fn archives_in_history_ranges_and_the_index_are_scanned_inside() {
    let mut repo = TestRepo::new();
    let base = repo.commit(&[("src/main.rs", Some("fn main() {}\n"))], "base");
    let env = token_line(21);
    let zip = zip_of(&[("conf/.env", &env)], true);
    std::fs::write(repo.path().join("bundle.zip"), &zip).unwrap();
    let mut index = repo.repo.index().unwrap();
    index.add_path(std::path::Path::new("bundle.zip")).unwrap();
    index.write().unwrap();
    let staged = crate::util::TestCommand::new(&["scan", "staged", "--format", "json"])
        .current_dir(repo.path())
        .run();
    assert_eq!(found(&staged), github_at(&["bundle.zip!/conf/.env"]));
    assert_eq!(staged.code(), 1);
    repo.commit_index("add bundle", &[]);
    repo.pack_and_prune();
    let history = crate::util::TestCommand::new(&["scan", "git", ".", "--format", "json"])
        .current_dir(repo.path())
        .run();
    assert_eq!(found(&history), github_at(&["bundle.zip!/conf/.env"]));
    assert_eq!(history.code(), 1);
    let finding = &history.json()["findings"][0];
    assert_eq!(finding["git"]["summary"], "add bundle");
    let range = format!("{base}..HEAD");
    let ranged = crate::util::TestCommand::new(&["scan", "git", ".", "--range", &range])
        .current_dir(repo.path())
        .run();
    assert_eq!(ranged.code(), 1, "{}", ranged.stdout());
    assert!(ranged.stdout().contains("bundle.zip!/conf/.env"));
}

#[test]
fn a_compression_bomb_is_a_bounded_error_and_the_scan_goes_on() {
    let dir = TestDir::new();
    // gzip members concatenate: 200 of them, each a mebibyte of zeros in about a kilobyte
    let member = gzip(&vec![0u8; 1 << 20], Some("zeros.bin"));
    let bomb: Vec<u8> = member.repeat(200);
    dir.write("bomb.gz", &bomb);
    dir.write("packed.zip", zip_of(&[("inner/bomb.gz", &bomb)], false));
    dir.write("app.env", token_line(31));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(found(&run), github_at(&["app.env"]));
    // 200 MiB from 200 KiB: stopped at the bound on one entry's size, after reading 64 MiB
    let errors = run.json()["errors"].to_string();
    assert!(
        errors.contains("bomb.gz!/zeros.bin") && errors.contains("larger than 67108864 bytes"),
        "{errors}"
    );
    assert!(
        errors.contains("packed.zip!/inner/bomb.gz!/zeros.bin"),
        "{errors}"
    );
}

#[test]
fn damaged_encrypted_and_too_deeply_nested_archives_are_errors_naming_them() {
    let dir = TestDir::new();
    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend_from_slice(&[0x55; 200]);
    dir.write("broken.zip", &broken);
    // a stored entry flagged as encrypted (general purpose bit 0, local and central headers)
    let mut locked = zip_of(&[("secret.txt", b"hidden\n")], false);
    locked[6] |= 1;
    let central = locked.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    locked[central + 8] |= 1;
    dir.write("locked.zip", &locked);
    let mut deep = zip_of(&[("deep.env", &token_line(41))], false);
    for level in 0..5 {
        deep = zip_of(&[(&format!("level{level}.zip"), &deep)], false);
    }
    dir.write("deep.zip", &deep);
    dir.write("app.env", token_line(42));
    let run = dir.cmd(&["scan", "dir", ".", "--format", "json"]).run();
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let json = run.json();
    let errors: Vec<String> = (json["errors"].as_array().unwrap())
        .iter()
        .map(|e| format!("{}: {}", e["path"], e["message"]))
        .collect();
    let has = |what: &str| errors.iter().any(|e| e.contains(what));
    assert!(has("\"broken.zip\": \"damaged zip"), "{errors:?}");
    assert!(
        has("\"locked.zip!/secret.txt\": \"encrypted entry"),
        "{errors:?}"
    );
    assert!(has("nested more than 4 deep"), "{errors:?}");
    // the rest is scanned; the deep archive's bytes are read as they are (its entries are stored)
    let paths: Vec<String> = found(&run).into_iter().map(|(p, _)| p).collect();
    assert!(paths.contains(&"app.env".to_string()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("deep.zip!/level4.zip!/")),
        "{paths:?}"
    );
}
