use std::collections::HashMap;

use super::*;

fn parse_all(lines: &[&str]) -> (Miner, Vec<TemplateId>) {
    let mut miner = Miner::default();
    let ids: Vec<TemplateId> = lines.iter().map(|l| miner.parse(l).template).collect();
    let ids = ids.into_iter().map(|id| miner.resolve(id)).collect();
    (miner, ids)
}

#[test]
fn same_shape_lines_share_a_template_with_variables() {
    let (mut miner, ids) = parse_all(&[
        "Connection from 10.0.0.1 port 22",
        "Connection from 10.0.0.2 port 2222",
        "Disk /dev/sda1 is 91% full",
    ]);
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    assert_eq!(miner.text(ids[0]), "Connection from <*>.<*>.<*>.<*> port <*>");
    assert_eq!(miner.variables("Connection from 10.0.0.9 port 80"), ["10.0.0.9", "80"]);
    assert_eq!(miner.lookup("Connection from 1.2.3.4 port 5"), Some(ids[0]));
    assert_eq!(miner.lookup("Something never seen"), None);
}

#[test]
fn words_that_vary_enough_become_variables_and_templates_merge() {
    let mut miner = Miner::default();
    let first = miner.parse("Invalid user admin from 1.2.3.4");
    assert!(first.new);
    assert!(!miner.parse("Invalid user admin from 1.2.3.5").new);
    let users = ["oracle", "test", "webmaster"];
    let ids: Vec<_> =
        users.iter().map(|u| miner.parse(&format!("Invalid user {u} from 9.9.9.9")).template).collect();
    // The fourth distinct name makes the position a variable: one template for all.
    let survivor = miner.resolve(first.template);
    assert!(ids.iter().all(|id| miner.resolve(*id) == survivor));
    assert_eq!(miner.text(survivor), "Invalid user <*> from <*>.<*>.<*>.<*>");
    let changes = miner.take_changes();
    assert!(
        changes.iter().any(|c| matches!(c, Change::Merged { into, .. } if *into == survivor)),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c, Change::Renamed { template, .. } if *template == survivor)),
        "{changes:?}"
    );
    assert_eq!(miner.templates().count(), 1);
}

#[test]
fn few_distinct_words_and_enum_states_stay_constant() {
    let (_, ids) = parse_all(&[
        "authentication failure; rhost=1.2.3.4 user=root",
        "authentication failure; rhost=1.2.3.5 user=guest",
        "task moved from NEW to RUNNING",
        "task moved from RUNNING to SUCCEEDED",
        "task moved from SUCCEEDED to KILLED",
        "task moved from KILLED to NEW",
    ]);
    assert_ne!(ids[0], ids[1]);
    let states: std::collections::HashSet<_> = ids[2..].iter().collect();
    assert_eq!(states.len(), 4);
}

#[test]
fn a_seeded_template_keeps_its_text_and_takes_new_lines() {
    let mut miner = Miner::default();
    let id = miner.seed("Invalid user <*> from <*>.<*>.<*>.<*>");
    assert_eq!(miner.text(id), "Invalid user <*> from <*>.<*>.<*>.<*>");
    let line = miner.parse("Invalid user bob from 10.1.2.3");
    assert!(!line.new);
    assert_eq!(miner.resolve(line.template), id);
    assert_eq!(miner.text(id), "Invalid user <*> from <*>.<*>.<*>.<*>");
}

#[test]
fn bad_input_is_just_text() {
    let mut miner = Miner::default();
    let long = "x".repeat(1 << 20);
    let a = miner.parse(&long);
    assert_eq!(miner.parse(&long).template, a.template);
    let empty = miner.parse("");
    assert_eq!(miner.parse("   \t").template, empty.template);
    let garbage = String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x41, 0x20, 0x80]).into_owned();
    miner.parse(&garbage);
    miner.parse("中文 日志 服务 已启动 端口 8080");
    let zh = miner.parse("中文 日志 服务 已启动 端口 9090").template;
    assert_eq!(miner.text(zh), "中文 日志 服务 已启动 端口 <*>");
}

/// A Loghub-2k sample's (content, ground-truth event) rows; `None` without the samples.
pub(crate) fn loghub(system: &str) -> Option<Vec<(String, String)>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/loghub").join(system);
    let text = std::fs::read_to_string(dir.join(format!("{system}_2k.log_structured.csv"))).ok()?;
    let mut reader = text.lines();
    let header: Vec<&str> = reader.next()?.split(',').collect();
    let content = header.iter().position(|h| *h == "Content")?;
    let event = header.iter().position(|h| *h == "EventId")?;
    Some(
        reader
            .map(|line| {
                let f = split_csv(line);
                (f[content].clone(), f[event].clone())
            })
            .collect(),
    )
}

/// Grouping accuracy on the Loghub-2k samples (ground truth included): the share of lines
/// whose predicted group holds exactly the lines of their true group.
fn grouping_accuracy(system: &str) -> Option<f64> {
    let rows = loghub(system)?;
    let lines: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
    let (_, predicted) = parse_all(&lines);
    let mut truth_groups: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut predicted_groups: HashMap<TemplateId, Vec<usize>> = HashMap::new();
    for (i, (_, e)) in rows.iter().enumerate() {
        truth_groups.entry(e.as_str()).or_default().push(i);
        predicted_groups.entry(predicted[i]).or_default().push(i);
    }
    let right = (0..rows.len())
        .filter(|&i| truth_groups[rows[i].1.as_str()] == predicted_groups[&predicted[i]])
        .count();
    Some(right as f64 / rows.len() as f64)
}

/// Enough CSV for Loghub's files: quoted fields with doubled quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                fields.last_mut().unwrap().push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[test]
fn loghub_grouping_accuracy_meets_the_target_with_one_configuration() {
    let systems = ["Apache", "BGL", "HDFS", "Hadoop", "Linux", "OpenSSH", "Spark", "Zookeeper"];
    let scores: Vec<(&str, f64)> = systems.iter().filter_map(|s| Some((*s, grouping_accuracy(s)?))).collect();
    assert_eq!(scores.len(), systems.len(), "the Loghub samples are in ../shared/data/loghub");
    let mean = scores.iter().map(|(_, g)| g).sum::<f64>() / scores.len() as f64;
    eprintln!("{scores:?} mean {mean:.4}");
    assert!(mean >= 0.95, "mean GA {mean:.4}: {scores:?}");
    assert!(scores.iter().all(|(_, g)| *g >= 0.85), "{scores:?}");
}
