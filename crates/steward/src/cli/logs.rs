//! `steward logs parse FILE|-`: template mining over a file, for evaluations and for users' own
//! logs. One message per line (the body only: no header is parsed), written as CSV
//! `line,template_id,template` in input order, with `<*>` for variables. The miner learns from
//! the whole input first, so every line is reported under its final template.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use clap::Subcommand;
use steward_aiops::Miner;

#[derive(Subcommand, Debug)]
pub enum LogsCommand {
    /// Parse log lines into templates (`-` reads stdin); CSV on stdout
    Parse { file: std::path::PathBuf },
}

pub fn run(command: LogsCommand) -> anyhow::Result<ExitCode> {
    match command {
        LogsCommand::Parse { file } => {
            let input: Box<dyn BufRead> = if file.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                match std::fs::File::open(&file) {
                    Ok(f) => Box::new(std::io::BufReader::new(f)),
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return Ok(ExitCode::from(2));
                    }
                }
            };
            let mut out = BufWriter::new(std::io::stdout().lock());
            match parse(input, &mut out) {
                Ok(()) => {}
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    return Ok(ExitCode::from(1));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse(mut input: impl BufRead, out: &mut impl Write) -> std::io::Result<()> {
    let mut miner = Miner::default();
    let mut ids = Vec::new();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            raw.pop();
        }
        // Invalid UTF-8 is kept as replacement characters rather than refused.
        ids.push(miner.parse(&String::from_utf8_lossy(&raw)).template);
    }
    writeln!(out, "line,template_id,template")?;
    for (i, id) in ids.into_iter().enumerate() {
        let id = miner.resolve(id);
        writeln!(out, "{},{},{}", i + 1, id, csv_field(miner.text(id)))?;
    }
    out.flush()
}

fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_come_out_in_order_under_their_final_template() {
        let input = "Invalid user a from 1.1.1.1\nx, \"y\" 1\r\nInvalid user b from 2.2.2.2\nInvalid user c from 1.1.1.1\nInvalid user d from 1.1.1.1\n";
        let mut out = Vec::new();
        super::parse(input.as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "line,template_id,template");
        assert_eq!(lines[1], "1,0,Invalid user <*> from <*>.<*>.<*>.<*>");
        assert_eq!(lines[2], "2,1,\"x, \"\"y\"\" <*>\"");
        assert!(lines[3..].iter().all(|l| l.ends_with(",0,Invalid user <*> from <*>.<*>.<*>.<*>")));
    }
}
