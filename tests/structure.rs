//! The shape of the code, checked: the module import graph runs one way (each pipeline stage imports only
//! the stages `lib.rs` lists above it) and no function outside tests grows past a screen (80 lines).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rank of each top-level library module, read from the layering table in `src/lib.rs`'s docs: the
/// modules named in a row's first column share that row's rank, and a module may import only modules of
/// a lower rank. Reading the table (instead of a copy of it here) keeps the documentation true.
fn ranks() -> BTreeMap<String, usize> {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let table = lib
        .split("//! ```text\n")
        .nth(1)
        .and_then(|rest| rest.split("//! ```").next())
        .expect("src/lib.rs documents the layering in a ```text block");
    let mut ranks = BTreeMap::new();
    let mut row = 0;
    for line in table.lines() {
        let line = line.trim_start_matches("//!");
        // A row names its modules in the first column; a continuation line starts with spaces.
        if !line.starts_with(' ') || line.trim().is_empty() || line.starts_with("  ") {
            continue;
        }
        let first_column = line.trim_start().split("  ").next().unwrap();
        for module in first_column.split(',') {
            ranks.insert(module.trim().to_string(), row);
        }
        row += 1;
    }
    ranks
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's source files by top-level module (`src/engine/mod.rs` → `engine`); the binary's files
/// (`main.rs`, `cli/`) and `lib.rs` are not part of the layering.
fn library_files() -> BTreeMap<String, Vec<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut by_module: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        by_module.entry(module).or_default().push(file);
    }
    by_module
}

/// Source text before the unit-test module, which may import anything.
fn non_test_text(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[test]
fn imports_run_one_way() {
    let crate_path = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let ranks = ranks();
    let rank = |module: &str| ranks.get(module).copied();
    assert!(
        ranks.len() >= 8,
        "the layering table in src/lib.rs was not read: {ranks:?}"
    );
    let mut violations = Vec::new();
    for (module, files) in library_files() {
        let Some(own) = rank(&module) else {
            violations.push(format!(
                "module `{module}` is missing from the layering table"
            ));
            continue;
        };
        for file in files {
            let code = non_test_text(&file);
            // Doc links (`[`crate::engine::checksum`]`) are not imports.
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for cap in crate_path.captures_iter(&code) {
                let target = &cap[1];
                if target == module || matches!(target, "Error" | "Result") {
                    continue;
                }
                match rank(target) {
                    Some(r) if r < own => {}
                    _ => violations.push(format!("{}: {module} imports {target}", file.display())),
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "imports against the layering:\n{}",
        violations.join("\n")
    );
}

/// Functions longer than `limit` lines (signature to closing brace), outside `#[cfg(test)]` modules.
fn long_functions(file: &Path, limit: usize) -> Vec<String> {
    let fn_start =
        regex::Regex::new(r"^(\s*)(pub(\([a-z]+\))?\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)")
            .unwrap();
    let text = non_test_text(file);
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(cap) = fn_start.captures(lines[i]) {
            if !lines[i].trim_end().ends_with(';') {
                let close = format!("{}}}", &cap[1]);
                let end = (i..lines.len())
                    .find(|&j| {
                        lines[j].starts_with(&close) && lines[j].trim_end() == close.trim_end()
                    })
                    .unwrap_or(lines.len() - 1);
                if end - i + 1 > limit {
                    long.push(format!(
                        "{}:{} fn {} ({} lines)",
                        file.display(),
                        i + 1,
                        &cap[6],
                        end - i + 1
                    ));
                }
                i = end;
            }
        }
        i += 1;
    }
    long
}

#[test]
fn functions_fit_on_a_screen() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files.iter().flat_map(|f| long_functions(f, 80)).collect();
    assert!(
        long.is_empty(),
        "functions over 80 lines:\n{}",
        long.join("\n")
    );
}
