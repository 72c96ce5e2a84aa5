//! Markdown of descriptions and comments rendered to safe HTML: pulldown-cmark renders,
//! ammonia removes anything that could run script or restyle the page (`javascript:` links,
//! event attributes) as a second line of defence.
//!
//! Render time is linear in size (`steward bench markdown`), because the HTML handed to the
//! sanitizer is never deep: its tree building is quadratic in depth (a comment of 65,000 `>`
//! was 65,000 nested quotes and took 6 s). So past [`MAX_DEPTH`] open elements, further
//! quotes, lists, emphasis and links keep their text but lose their tags; and raw HTML in the
//! Markdown is shown as typed, not interpreted (a pasted error page stays readable, and 64 KiB
//! of `<div><b>` cannot nest).

use pulldown_cmark::{Event, Options, Parser, Tag, html};

/// The deepest nesting of elements rendered; deeper ones are flattened into their parent.
pub const MAX_DEPTH: usize = 16;

pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, bounded(Parser::new_ext(markdown, options)));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into())
        .clean(&raw)
        .to_string()
}

/// Drops the start and end of every element opened deeper than [`MAX_DEPTH`], keeping what is
/// inside, and turns raw HTML into text. Table parts are never dropped alone (a row without
/// its table would be invalid), so a table deep down is flattened as a whole.
fn bounded<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // For each open element: whether its tags are kept.
    let mut open: Vec<bool> = Vec::new();
    let mut kept_depth = 0usize;
    // Inside a dropped table, its rows and cells go too.
    let mut dropped_tables = 0usize;
    events.filter_map(move |event| {
        let keep = match &event {
            Event::Html(raw) | Event::InlineHtml(raw) => return Some(Event::Text(raw.clone())),
            Event::Start(tag) => {
                let table_part = matches!(tag, Tag::TableHead | Tag::TableRow | Tag::TableCell);
                let keep = if table_part { dropped_tables == 0 } else { kept_depth < MAX_DEPTH };
                if matches!(tag, Tag::Table(_)) && !keep {
                    dropped_tables += 1;
                }
                open.push(keep);
                kept_depth += usize::from(keep);
                keep
            }
            Event::End(end) => {
                let keep = open.pop().unwrap_or(true);
                kept_depth -= usize::from(keep);
                if matches!(end, pulldown_cmark::TagEnd::Table) && !keep {
                    dropped_tables -= 1;
                }
                keep
            }
            _ => true,
        };
        keep.then_some(event)
    })
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, to_safe_html};

    #[test]
    fn renders_markdown_and_strips_danger() {
        let cases = [
            ("**bold** and `code`", "<p><strong>bold</strong> and <code>code</code></p>"),
            ("<script>alert(1)</script>hi", "&lt;script&gt;alert(1)&lt;/script&gt;hi"),
            ("[x](javascript:alert(1))", "<p><a rel=\"noopener noreferrer nofollow\">x</a></p>"),
            ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
            ("a <b>b</b>", "<p>a &lt;b&gt;b&lt;/b&gt;</p>"),
            (
                "[ok](https://example.com)",
                "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">ok</a></p>",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(to_safe_html(input).trim(), expected, "{input}");
        }
    }

    #[test]
    fn deep_nesting_is_flattened_not_lost() {
        let quotes = format!("{} deep", ">".repeat(500));
        let html = to_safe_html(&quotes);
        assert_eq!(html.matches("<blockquote>").count(), MAX_DEPTH);
        assert_eq!(html.matches("</blockquote>").count(), MAX_DEPTH);
        assert!(html.contains("deep"));
        let shallow = "> > quoted *twice*";
        assert_eq!(to_safe_html(shallow).matches("<blockquote>").count(), 2);
        // A table below the bound loses its tags as a whole, keeping its text.
        let table = format!(
            "{}| a | b |\n{}|---|---|\n{}| 1 | 2 |\n",
            ">".repeat(20),
            ">".repeat(20),
            ">".repeat(20)
        );
        let html = to_safe_html(&table);
        assert!(!html.contains("<tr>") && !html.contains("<td>"), "{html}");
        assert!(html.contains('1') && html.contains('2'), "{html}");
    }
}
