//! A simple sentiment tag for survey verbatims, in English and Chinese.
//!
//! Hand-rolled on purpose: the crates that exist score English only (VADER ports) or need a
//! model file; a service desk's verbatims are short and the tag is a filter, not a verdict.
//! So: a short list of words and phrases per language, matched longest first; an English word
//! after a negation ("not", "never", "n't") counts the other way, as do Chinese phrases that
//! carry their negation in them ("不满意", "不好").

use crate::words::word_enum;

word_enum! {
    Sentiment, "sentiment" {
        Positive => "positive",
        Neutral => "neutral",
        Negative => "negative",
    }
}

const EN_POSITIVE: &[&str] = &[
    "good",
    "great",
    "excellent",
    "fast",
    "quick",
    "quickly",
    "helpful",
    "help",
    "helped",
    "friendly",
    "thanks",
    "thank",
    "love",
    "awesome",
    "perfect",
    "easy",
    "happy",
    "satisfied",
    "resolved",
    "solved",
    "amazing",
    "professional",
    "polite",
    "smooth",
    "efficient",
    "recommend",
    "best",
    "nice",
    "responsive",
];
const EN_NEGATIVE: &[&str] = &[
    "bad",
    "slow",
    "terrible",
    "awful",
    "useless",
    "rude",
    "unhelpful",
    "worst",
    "hate",
    "poor",
    "broken",
    "annoying",
    "frustrating",
    "frustrated",
    "angry",
    "disappointed",
    "unhappy",
    "waiting",
    "waited",
    "ignored",
    "late",
    "confusing",
    "difficult",
    "horrible",
    "problem",
];
const EN_NEGATIONS: &[&str] = &[
    "not", "no", "never", "hardly", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
    "cant", "cannot", "couldnt", "wouldnt", "shouldnt", "havent", "hasnt", "hadnt",
];

// Longer phrases first is not needed here: matching below always takes the longest phrase
// starting at a position, across both lists.
const ZH_POSITIVE: &[&str] = &[
    "满意",
    "很好",
    "非常好",
    "不错",
    "好评",
    "感谢",
    "谢谢",
    "辛苦",
    "专业",
    "及时",
    "迅速",
    "快速",
    "高效",
    "耐心",
    "热情",
    "方便",
    "解决了",
    "给力",
    "点赞",
    "靠谱",
    "推荐",
    "赞",
    "棒",
    "快",
];
const ZH_NEGATIVE: &[&str] = &[
    "不满意",
    "不好",
    "不行",
    "太慢",
    "很慢",
    "慢",
    "差",
    "糟糕",
    "失望",
    "投诉",
    "没解决",
    "未解决",
    "没有解决",
    "敷衍",
    "态度差",
    "等了",
    "推诿",
    "麻烦",
    "不专业",
    "不及时",
    "不方便",
    "无法",
    "烂",
    "生气",
    "垃圾",
    "一直没",
];

/// The tag of `text`: more positive than negative matches → positive, and so on.
pub fn sentiment(text: &str) -> Sentiment {
    let score = english(text) + chinese(text);
    match score.cmp(&0) {
        std::cmp::Ordering::Greater => Sentiment::Positive,
        std::cmp::Ordering::Less => Sentiment::Negative,
        std::cmp::Ordering::Equal => Sentiment::Neutral,
    }
}

fn english(text: &str) -> i32 {
    let lower = text.to_lowercase().replace(['\'', '’'], "");
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).collect();
    let mut score = 0;
    for (i, w) in words.iter().enumerate() {
        let value = if EN_POSITIVE.contains(w) {
            1
        } else if EN_NEGATIVE.contains(w) && !EN_NEGATIONS.contains(w) {
            -1
        } else {
            continue;
        };
        // "not good", "wasn't very helpful": a negation up to two words before turns it.
        let negated = words[i.saturating_sub(2)..i].iter().any(|p| EN_NEGATIONS.contains(p));
        score += if negated { -value } else { value };
    }
    score
}

fn chinese(text: &str) -> i32 {
    let chars: Vec<char> = text.chars().collect();
    let mut score = 0;
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 6)].iter().collect();
        let longest =
            |list: &[&str]| list.iter().filter(|p| rest.starts_with(**p)).map(|p| p.chars().count()).max();
        match (longest(ZH_POSITIVE), longest(ZH_NEGATIVE)) {
            (Some(p), Some(n)) if n >= p => {
                score -= 1;
                i += n;
            }
            (Some(p), _) => {
                score += 1;
                i += p;
            }
            (None, Some(n)) => {
                score -= 1;
                i += n;
            }
            (None, None) => i += 1,
        }
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_and_negation() {
        assert_eq!(sentiment("Great, fast and friendly. Thanks!"), Sentiment::Positive);
        assert_eq!(sentiment("Slow and nobody answered, terrible"), Sentiment::Negative);
        assert_eq!(sentiment("It was not helpful"), Sentiment::Negative);
        assert_eq!(sentiment("wasn't very good"), Sentiment::Negative);
        assert_eq!(sentiment("The laptop arrived on Tuesday"), Sentiment::Neutral);
        // Words that merely end in "nt" negate nothing.
        assert_eq!(sentiment("The agent was friendly"), Sentiment::Positive);
        assert_eq!(sentiment("Excellent, fast"), Sentiment::Positive);
        assert_eq!(sentiment("It didn't help"), Sentiment::Negative);
    }

    #[test]
    fn chinese_phrases_longest_first() {
        assert_eq!(sentiment("非常满意，处理很及时，谢谢"), Sentiment::Positive);
        assert_eq!(sentiment("很不满意，等了三天"), Sentiment::Negative);
        // "不错" is praise although it starts with 不; "不满意" is not "满意".
        assert_eq!(sentiment("还不错"), Sentiment::Positive);
        assert_eq!(sentiment("不满意"), Sentiment::Negative);
        assert_eq!(sentiment("笔记本周二到的"), Sentiment::Neutral);
        assert_eq!(sentiment("VPN 还是连不上，太慢了"), Sentiment::Negative);
    }
}
