//! One analyzer for Chinese and English in the same field: jieba cuts the text (search mode,
//! so 北京大学 also yields 北京 and 大学; Latin words come out whole), punctuation and spaces are
//! dropped, stop words of both languages removed, Latin words lower-cased and stemmed
//! (connections → connect). Chinese words pass the stemmer unchanged.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};
use tantivy_jieba::JiebaTokenizer;

/// The analyzer's name in the index.
pub const MIXED: &str = "steward_mixed";

/// Particles and question words that carry no meaning in a search (的, 了, 如何, …).
const CHINESE_STOP: &[&str] = &[
    "的",
    "了",
    "是",
    "在",
    "和",
    "与",
    "及",
    "或",
    "就",
    "都",
    "也",
    "还",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "着",
    "过",
    "被",
    "把",
    "让",
    "给",
    "对",
    "为",
    "从",
    "到",
    "向",
    "请",
    "我",
    "你",
    "他",
    "她",
    "它",
    "我们",
    "你们",
    "他们",
    "这",
    "那",
    "这个",
    "那个",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "为什么",
    "一个",
    "可以",
    "能",
    "会",
    "要",
    "有",
    "没有",
    "不",
    "没",
];

pub fn analyzer() -> TextAnalyzer {
    with(JiebaTokenizer::new())
}

/// The analyzer snippets are cut with: jieba's default mode, whose words never overlap (search
/// mode's 北京 · 大学 · 北京大学 do, and tantivy's snippet code expects tokens in order).
pub fn snippet_analyzer() -> TextAnalyzer {
    with(JiebaTokenizer::with_search_mode(false))
}

/// The words `text` highlights in a snippet: those of either mode.
pub fn highlight_words(text: &str) -> Vec<String> {
    let mut out = words(text);
    let mut a = snippet_analyzer();
    let mut stream = a.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

fn with(jieba: JiebaTokenizer) -> TextAnalyzer {
    let english =
        StopWordFilter::new(Language::English).unwrap_or_else(|| StopWordFilter::remove(Vec::new()));
    TextAnalyzer::builder(jieba)
        .filter(WordsOnly)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(english)
        .filter(StopWordFilter::remove(CHINESE_STOP.iter().map(|w| (*w).to_owned())))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzed words of `text`, as the index holds them.
pub fn words(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

/// Drops tokens with no letter or digit: jieba returns spaces and punctuation as tokens.
#[derive(Clone)]
struct WordsOnly;

impl TokenFilter for WordsOnly {
    type Tokenizer<T: Tokenizer> = WordsOnlyTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> WordsOnlyTokenizer<T> {
        WordsOnlyTokenizer(tokenizer)
    }
}

#[derive(Clone)]
struct WordsOnlyTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for WordsOnlyTokenizer<T> {
    type TokenStream<'a> = WordsOnlyStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        WordsOnlyStream(self.0.token_stream(text))
    }
}

struct WordsOnlyStream<S>(S);

impl<S: TokenStream> TokenStream for WordsOnlyStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            if self.0.token().text.chars().any(char::is_alphanumeric) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_in_one_stream() {
        assert_eq!(words("DB connections are timing out"), ["db", "connect", "time", "out"]);
        let zh = words("数据库连接池耗尽了，怎么办？");
        assert!(zh.contains(&"数据库".to_owned()) && zh.contains(&"连接池".to_owned()), "{zh:?}");
        assert!(!zh.contains(&"了".to_owned()) && !zh.iter().any(|w| w == "，"), "{zh:?}");
        let mixed = words("Outlook 密码提示 keeps asking");
        assert!(
            mixed.contains(&"outlook".to_owned())
                && mixed.contains(&"密码".to_owned())
                && mixed.contains(&"ask".to_owned()),
            "{mixed:?}"
        );
    }
}
