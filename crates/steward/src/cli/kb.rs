//! `steward import kb FILE|FOLDER` and `steward export kb`: articles in from another tool and
//! out again; and `steward reindex`, the search index built anew. A file is JSON lines (`title`, `body` in Markdown, `lang`, `tags`, `category`,
//! `audience`, `state`); a folder holds Markdown files with front matter.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use steward_app::knowledge::ImportLine;
use steward_core::identity::Username;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A JSON-lines file, or a folder of `.md` files with front matter
    path: PathBuf,
    /// The user who owns the imported articles
    #[arg(long, default_value = "admin")]
    owner: String,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write here instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The articles of a path, each with where it came from (a line number or a file name); a
/// line or file that cannot be read at all is an error of its own.
/// Articles with where each came from, and what could not be read (where, why).
type Read = (Vec<(String, ImportLine)>, Vec<(String, String)>);

fn read(path: &Path) -> anyhow::Result<Read> {
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "md" || e == "markdown"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            match front_matter(&text, &stem) {
                Ok(line) => lines.push((name, line)),
                Err(e) => errors.push((name, e)),
            }
        }
    } else {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (i, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match serde_json::from_str::<ImportLine>(raw) {
                Ok(line) => lines.push((format!("line {}", i + 1), line)),
                Err(e) => errors.push((format!("line {}", i + 1), e.to_string())),
            }
        }
    }
    Ok((lines, errors))
}

/// A Markdown file with optional front matter (`---`, `key: value` lines, `---`). Hand-rolled
/// for this flat subset — five scalar keys and a tag list — rather than pulling in a YAML
/// parser; anything else in it is refused by name. The title falls back to the first `# `
/// heading, then the file name.
fn front_matter(text: &str, stem: &str) -> Result<ImportLine, String> {
    let mut line = ImportLine::default();
    let mut body = text;
    if let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) {
        let end = rest.find("\n---").ok_or("front matter without its closing ---")?;
        for l in rest[..end].lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (key, value) =
                l.split_once(':').ok_or_else(|| format!("front matter line `{l}` is not `key: value`"))?;
            let value = value.trim().trim_matches('"').to_owned();
            match key.trim() {
                "title" => line.title = value,
                "lang" => line.lang = Some(value),
                "category" => line.category = value,
                "audience" => line.audience = value,
                "state" => line.state = Some(value),
                "tags" => {
                    line.tags = value
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .split(',')
                        .map(|t| t.trim().trim_matches('"').to_owned())
                        .filter(|t| !t.is_empty())
                        .collect()
                }
                other => return Err(format!("unknown front matter key `{other}`")),
            }
        }
        body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    }
    if line.title.is_empty() {
        if let Some(h) = body.lines().find_map(|l| l.strip_prefix("# ")) {
            line.title = h.trim().to_owned();
        } else {
            line.title = stem.to_owned();
        }
    }
    line.body = body.to_owned();
    Ok(line)
}

pub async fn import(config: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let (lines, unreadable) = read(&args.path)?;
    for (place, e) in &unreadable {
        eprintln!("{place}: {e}");
    }
    if !unreadable.is_empty() {
        eprintln!("{} error(s); nothing imported", unreadable.len());
        return Ok(ExitCode::FAILURE);
    }
    let app = super::open(config).await?;
    let name = Username::parse(&args.owner).map_err(|e| anyhow::anyhow!("--owner: {e}"))?;
    let owner = app
        .store()
        .user_by_username(&name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--owner: no user `{}`", args.owner))?;
    let bar = ProgressBar::new(lines.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} articles written ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = app.knowledge().import(owner.id, lines, |n| bar.set_position(n as u64)).await?;
    bar.finish_and_clear();
    for (place, field, message) in &report.errors {
        eprintln!("{place}, field `{field}`: {message}");
    }
    if !report.errors.is_empty() {
        eprintln!("{} error(s); nothing imported", report.errors.len());
        return Ok(ExitCode::FAILURE);
    }
    println!("{} articles imported", report.created);
    Ok(ExitCode::SUCCESS)
}

pub async fn export(config: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let app = super::open(config).await?;
    let mut out = String::new();
    let mut after = 0;
    loop {
        let page = app.knowledge().export_page(after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for a in &page {
            out.push_str(&serde_json::to_string(&ImportLine::of(a))?);
            out.push('\n');
        }
    }
    match &args.output {
        Some(path) => std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{out}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `steward reindex`: the search index built anew, with a progress bar.
pub async fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let app = super::open(config).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} documents indexed ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let started = std::time::Instant::now();
    let written = app
        .search()
        .reindex(|n| bar.set_position(n))
        .await
        .map_err(|e| anyhow::anyhow!("{e} (is a server running on this data folder? stop it first)"))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{written} documents indexed in {secs:.1} s ({:.0} documents/s)",
        written as f64 / secs.max(0.001)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_its_fallbacks() {
        let l = front_matter(
            "---\ntitle: VPN\ntags: [vpn, \"网络\"]\naudience: requesters\n---\n\nReset it.\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            (l.title.as_str(), l.tags.len(), l.audience.as_str(), l.body.as_str()),
            ("VPN", 2, "requesters", "Reset it.\n")
        );
        assert_eq!(front_matter("# 打印机卡纸\n\n打开纸盒。", "p").unwrap().title, "打印机卡纸");
        assert_eq!(front_matter("plain", "file-name").unwrap().title, "file-name");
        assert!(front_matter("---\ncolour: red\n---\nx", "x").unwrap_err().contains("colour"));
        assert!(front_matter("---\ntitle: x\n", "x").is_err());
    }
}
