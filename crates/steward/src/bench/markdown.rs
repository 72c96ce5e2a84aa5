//! `steward bench markdown`: renders adversarial Markdown (nested quotes, lists, emphasis,
//! links, tables, code spans, raw HTML) at growing sizes up to the 64 KiB a comment may hold,
//! and shows the time per KiB, which stays flat when rendering is linear in size.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use steward_app::markdown::to_safe_html;

#[derive(Args, Debug)]
pub struct MarkdownBench {
    /// Renders per input; the fastest counts
    #[arg(long, default_value_t = 3)]
    repeats: usize,
}

/// An input of about `size` bytes of one adversarial shape.
fn input(shape: &str, size: usize) -> String {
    let fill = |unit: &str| unit.repeat(size / unit.len());
    match shape {
        "nested quotes" => format!("{} x", fill(">")),
        "nested lists" => format!("{}x", fill("- ")),
        "emphasis" => format!("{}a{}", fill("*").split_at(size / 2).0, fill("_").split_at(size / 2).0),
        "open links" => format!("{}x", fill("[")),
        "link chains" => fill("[a](b "),
        "table" => {
            let columns = 64;
            let row = format!("{}|\n", "| x ".repeat(columns));
            let head = format!("{}{}|\n", row, "|---".repeat(columns));
            format!("{head}{}", row.repeat(size.saturating_sub(head.len()) / row.len()))
        }
        "code spans" => fill("`a``"),
        "raw html" => fill("<div><b>"),
        _ => String::new(),
    }
}

const SHAPES: [&str; 8] = [
    "nested quotes",
    "nested lists",
    "emphasis",
    "open links",
    "link chains",
    "table",
    "code spans",
    "raw html",
];
const SIZES: [usize; 4] = [8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024];

pub fn markdown(args: MarkdownBench) -> anyhow::Result<ExitCode> {
    println!("render time of adversarial Markdown, fastest of {} (µs per KiB)", args.repeats);
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8}",
        "shape", "8 KiB", "16 KiB", "32 KiB", "64 KiB", "64 KiB ms", "64/8"
    );
    let mut worst_ratio: f64 = 0.0;
    for shape in SHAPES {
        let mut per_kib = Vec::new();
        let mut last = Duration::ZERO;
        for size in SIZES {
            let text = input(shape, size);
            let best = (0..args.repeats.max(1))
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(to_safe_html(std::hint::black_box(&text)));
                    started.elapsed()
                })
                .min()
                .unwrap_or_default();
            per_kib.push(best.as_secs_f64() * 1e6 / (text.len() as f64 / 1024.0));
            last = best;
        }
        let ratio = per_kib[3] / per_kib[0];
        worst_ratio = worst_ratio.max(ratio);
        println!(
            "{shape:<14} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>8.2}",
            per_kib[0],
            per_kib[1],
            per_kib[2],
            per_kib[3],
            last.as_secs_f64() * 1e3,
            ratio
        );
    }
    println!(
        "worst growth of time per KiB from 8 to 64 KiB: {worst_ratio:.2}x (1 = linear; quadratic would be 8x)"
    );
    Ok(ExitCode::SUCCESS)
}
