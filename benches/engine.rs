//! Engine throughput on a generated corpus: source-like text with a sprinkling of keywords and a few
//! planted tokens. Reports MB/s for the full built-in rule set.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyhound::engine::Engine;
use keyhound::rules::RuleSet;

fn corpus(bytes: usize) -> Vec<u8> {
    let lines = [
        "fn handle(request: &Request) -> Result<Response, Error> {",
        "    let token = request.header(\"Authorization\").ok_or(Error::Unauthorized)?;",
        "    // The password policy requires twelve characters.",
        "    let key = cache.get(&user_id).map(|entry| entry.value.clone());",
        "    for (index, item) in items.iter().enumerate() { total += item.price * item.qty; }",
        "    config.secret_name = format!(\"{}-credentials\", service);",
        "    log::debug!(\"processed {} records in {:?}\", count, elapsed);",
        "}",
        "const API_VERSION: &str = \"2024-06-01\";",
    ];
    let mut out = Vec::with_capacity(bytes + 256);
    let mut i = 0usize;
    while out.len() < bytes {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        out.push(b'\n');
        if i % 5000 == 4999 {
            out.extend_from_slice(b"GITHUB_TOKEN=ghp_R7tX2mQ9vLk4Wz8NpB3cYs6DfHa1JuE5gKo0\n");
        }
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = corpus(8 << 20);
    let engine = Engine::new(RuleSet::builtin().expect("built-in rules"));
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.bench_function("scan_8MiB_source_like", |b| {
        let mut scratch = engine.scratch();
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            engine.scan("src/lib.rs", &data, &mut scratch, &mut out);
            out.len()
        })
    });
    group.finish();
    c.bench_function("load_and_build_builtin_rules", |b| {
        b.iter(|| Engine::new(RuleSet::builtin().expect("built-in rules")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
