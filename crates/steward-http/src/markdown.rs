//! Markdown of descriptions and comments rendered to safe HTML: pulldown-cmark renders,
//! ammonia removes anything that could run script or restyle the page (raw HTML, `javascript:`
//! links, event attributes).

use pulldown_cmark::{Options, Parser, html};

pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown_and_strips_danger() {
        let cases = [
            ("**bold** and `code`", "<p><strong>bold</strong> and <code>code</code></p>"),
            ("<script>alert(1)</script>hi", "hi"),
            ("[x](javascript:alert(1))", "<p><a rel=\"noopener noreferrer nofollow\">x</a></p>"),
            ("<img src=x onerror=alert(1)>", "<img src=\"x\">"),
            (
                "[ok](https://example.com)",
                "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">ok</a></p>",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(to_safe_html(input).trim(), expected, "{input}");
        }
    }
}
