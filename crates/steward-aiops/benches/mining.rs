//! Parse-and-match of steady-state lines on one core (issue 22's target: ≥ 1,000,000 lines/s).
//!
//! The stream is built from the Loghub-2k samples in `../shared/data/loghub`: the miner first
//! learns the 16,000 sample lines, then parses 200,000 lines made from them with fresh variable
//! values (every digit replaced at random), so each is a known shape with new values.
//!
//! `cargo bench -p steward-aiops --bench mining`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steward_aiops::Miner;

fn samples() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/loghub");
    let mut lines = Vec::new();
    for system in ["Apache", "BGL", "HDFS", "Hadoop", "Linux", "OpenSSH", "Spark", "Zookeeper"] {
        let text = std::fs::read_to_string(root.join(system).join(format!("{system}_2k.log_structured.csv")))
            .expect("the Loghub samples in ../shared/data/loghub");
        let mut rows = text.lines();
        let header: Vec<&str> = rows.next().unwrap().split(',').collect();
        let content = header.iter().position(|h| *h == "Content").unwrap();
        // The content column comes before the last two (EventId, EventTemplate); a quoted
        // content with commas is rejoined from the fields around it.
        for row in rows {
            let fields: Vec<&str> = row.split(',').collect();
            let body = fields[content..fields.len() - 2].join(",");
            lines.push(body.trim_matches('"').replace("\"\"", "\""));
        }
    }
    lines
}

/// A small xorshift: fresh digits without a dependency.
fn fresh(lines: &[String], count: usize) -> Vec<String> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..count)
        .map(|i| {
            lines[i % lines.len()]
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        char::from(b'0' + (state % 10) as u8)
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

fn steady_state(c: &mut Criterion) {
    let samples = samples();
    let stream = fresh(&samples, 200_000);
    let mut miner = Miner::default();
    for line in &samples {
        miner.parse(line);
    }
    let mut group = c.benchmark_group("mining");
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.sample_size(20);
    group.bench_function("parse steady-state lines", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for line in &stream {
                sum += u64::from(miner.parse(line).template);
            }
            sum
        })
    });
    group.finish();
}

criterion_group!(benches, steady_state);
criterion_main!(benches);
