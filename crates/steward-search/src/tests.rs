//! The index answers in both languages, forgives typos and unfinished words, and never shows a
//! document to someone who holds none of its reader tokens.

use super::*;

fn doc(kind: Kind, id: i64, title: &str, body: &str, readers: &[&str]) -> Doc {
    Doc {
        key: Doc::key_of(kind, id),
        kind: Some(kind),
        id,
        number: format!("N{id}"),
        title: title.into(),
        body: body.into(),
        readers: readers.iter().map(|r| (*r).to_owned()).collect(),
        state: "new".into(),
        created: id * 1000,
        ..Doc::default()
    }
}

fn search(index: &SearchIndex, text: &str, readers: &[&str]) -> Vec<i64> {
    let readers: Vec<String> = readers.iter().map(|r| (*r).to_owned()).collect();
    let r = Request {
        text: text.into(),
        readers,
        staff: true,
        fuzzy: true,
        prefix: true,
        limit: 10,
        ..Request::default()
    };
    index.search(&r).unwrap().hits.iter().map(|h| h.id).collect()
}

#[test]
fn chinese_english_typos_and_prefixes_are_found() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .write(
            &[],
            &[
                doc(Kind::Incident, 1, "数据库连接池耗尽", "订单服务报错：无法获取连接", &["staff"]),
                doc(
                    Kind::Incident,
                    2,
                    "DB connection pool exhausted",
                    "Orders fail with timeouts",
                    &["staff"],
                ),
                doc(Kind::Article, 3, "Reset the VPN password", "Use the self-service <portal>.", &["staff"]),
                doc(Kind::Incident, 4, "Printer jams on floor 3", "Tray 2", &["staff"]),
            ],
            7,
        )
        .unwrap();
    assert_eq!(index.cursor().unwrap(), Some(7));
    assert_eq!(search(&index, "连接池", &["staff"]), [1]);
    assert_eq!(search(&index, "connections", &["staff"]), [2], "stemmed");
    assert_eq!(search(&index, "conection", &["staff"]), [2], "one typo");
    assert_eq!(search(&index, "passw", &["staff"]), [3], "a prefix while typing");
    assert_eq!(search(&index, "N4", &["staff"]), [4], "by number");
    assert!(search(&index, "", &["staff"]).is_empty());
    assert!(search(&index, "的 了", &["staff"]).is_empty(), "stop words alone find nothing");
    let readers = vec!["staff".to_owned()];
    let r = Request { text: "portal".into(), readers, limit: 5, ..Request::default() };
    let hit = &index.search(&r).unwrap().hits[0];
    assert!(
        hit.snippet_html.contains("<b>portal</b>") && hit.snippet_html.contains("&lt;"),
        "{}",
        hit.snippet_html
    );
    // Overlapping words (search mode cuts 数据库连接池 into 数据 · 数据库 · 连接池 …) make snippets too.
    let article = doc(
        Kind::Article,
        5,
        "数据库连接池耗尽时怎么办",
        "订单服务数据库连接池耗尽，重启订单服务释放连接。",
        &["staff"],
    );
    index.write(&[], &[article], 8).unwrap();
    let r = Request {
        text: "数据库连接池".into(),
        readers: vec!["staff".into()],
        limit: 5,
        ..Request::default()
    };
    let hit = index.search(&r).unwrap().hits.into_iter().find(|h| h.id == 5).unwrap();
    assert!(hit.title_html.contains("<b>连接池</b>") && hit.snippet_html.contains("<b>"), "{hit:?}");
    let long = "连接 ".repeat(5_000);
    assert_eq!(search(&index, &long, &["staff"]), [1, 5], "a long query is cut, not refused");
}

#[test]
fn readers_filters_and_replacement() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .write(
            &[],
            &[
                doc(Kind::Incident, 1, "VPN down", "", &["team:1", "requester:9"]),
                doc(Kind::Incident, 2, "VPN slow", "", &["team:2", "requester:8"]),
                doc(Kind::PublishedArticle, 3, "VPN guide", "", &["requesters"]),
            ],
            1,
        )
        .unwrap();
    assert_eq!(search(&index, "vpn", &["requester:9", "requesters"]).len(), 2);
    assert!(!search(&index, "vpn", &["requester:9"]).contains(&2), "never someone else's ticket");
    assert!(search(&index, "vpn", &[]).is_empty(), "no tokens, no hits");
    let mut updated = doc(Kind::Incident, 1, "Email down", "", &["team:1"]);
    updated.state = "resolved".into();
    index.write(&[Doc::key_of(Kind::PublishedArticle, 3)], &[updated], 2).unwrap();
    assert!(search(&index, "vpn", &["team:1", "requesters"]).is_empty(), "replaced and removed");
    let readers = vec!["team:1".to_owned(), "team:2".to_owned()];
    let states = vec!["resolved".to_owned()];
    let r = Request {
        text: "email vpn".into(),
        readers: readers.clone(),
        states,
        limit: 5,
        ..Request::default()
    };
    assert_eq!(index.search(&r).unwrap().hits.len(), 1);
    let r = Request {
        text: "vpn".into(),
        readers: readers.clone(),
        created_from: Some(2_000),
        limit: 5,
        ..Request::default()
    };
    assert_eq!(index.search(&r).unwrap().hits[0].id, 2);
    let r =
        Request { text: "vpn".into(), readers, kinds: vec![Kind::Problem], limit: 5, ..Request::default() };
    assert!(index.search(&r).unwrap().hits.is_empty());
}

#[test]
fn the_index_on_disk_keeps_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.cursor().unwrap(), None);
        index.write(&[], &[doc(Kind::Ci, 1, "db01", "mysql", &["cmdb"])], 42).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((index.cursor().unwrap(), index.len()), (Some(42), 1));
    index.clear().unwrap();
    assert_eq!(index.len(), 0);
}
