//! English and Simplified Chinese message catalogues for the web UI.
//!
//! Catalogues are flat TOML files (`i18n/en.toml`, `i18n/zh-CN.toml`) embedded in the binary.
//! The language comes from `?lang=` (which is then remembered in a cookie), the cookie, the
//! browser's `Accept-Language`, and finally English.

use std::collections::BTreeMap;

use anyhow::Context;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::cookie;

pub const LANG_COOKIE: &str = "steward_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "zh-cn" | "zh" | "zh-hans" | "zh-hans-cn" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The language of a request: `?lang=`, then the cookie, then `Accept-Language`.
    pub fn of_request(headers: &HeaderMap, query: Option<&str>) -> Lang {
        query_lang(query)
            .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::parse))
            .or_else(|| {
                let accept = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
                accept.split(',').find_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            })
            .unwrap_or(Lang::En)
    }
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs.iter().find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::parse(v))
}

/// One language's messages.
#[derive(Debug)]
pub struct Catalog {
    messages: BTreeMap<String, String>,
}

impl Catalog {
    fn parse(source: &str) -> anyhow::Result<Catalog> {
        Ok(Catalog { messages: toml::from_str(source)? })
    }

    /// The message for `key`; a missing key shows itself, and a test keeps that from shipping.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.messages.get(key).map_or(key, String::as_str)
    }

    /// The message for `key`, if the catalogue has one.
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }
}

#[derive(Debug)]
pub struct Catalogs {
    en: Catalog,
    zh_cn: Catalog,
}

impl Catalogs {
    pub fn load() -> anyhow::Result<Catalogs> {
        Ok(Catalogs {
            en: Catalog::parse(include_str!("../i18n/en.toml")).context("i18n/en.toml")?,
            zh_cn: Catalog::parse(include_str!("../i18n/zh-CN.toml")).context("i18n/zh-CN.toml")?,
        })
    }

    pub fn get(&self, lang: Lang) -> &Catalog {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }
}

/// Remembers a `?lang=` choice in a cookie so the next pages keep the language.
pub async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = query_lang(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let value = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let c = Catalogs::load().unwrap();
        let en: Vec<_> = c.en.keys().collect();
        let zh: Vec<_> = c.zh_cn.keys().collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(
            only_en.is_empty() && only_zh.is_empty(),
            "only in en: {only_en:?}; only in zh-CN: {only_zh:?}"
        );
    }

    /// Every notice a form can show has its message in the catalogue.
    #[test]
    fn every_notice_has_a_message() {
        let c = Catalogs::load().unwrap();
        for notice in crate::web::Notice::ALL {
            let key = format!("notice.{}", notice.as_str());
            assert!(c.en.lookup(&key).is_some(), "{key} is missing");
        }
    }

    /// Every `t.get("...")` in the templates names a key that exists.
    #[test]
    fn templates_use_known_keys() {
        let c = Catalogs::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.get(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(c.en.messages.contains_key(key), "{}: unknown message key `{key}`", path.display());
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} message keys found in templates");
    }

    /// The navigation's labels, which the layout looks up by variable, exist too.
    #[test]
    fn navigation_uses_known_keys() {
        let c = Catalogs::load().unwrap();
        for link in crate::web::navigation() {
            assert!(
                c.en.messages.contains_key(link.label),
                "{}: unknown message key `{}`",
                link.id,
                link.label
            );
        }
    }

    #[test]
    fn language_negotiation() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of_request(&h, None), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN,zh;q=0.9,en;q=0.8"));
        assert_eq!(Lang::of_request(&h, None), Lang::ZhCn);
        h.insert(header::COOKIE, HeaderValue::from_static("steward_lang=en"));
        assert_eq!(Lang::of_request(&h, None), Lang::En);
        assert_eq!(Lang::of_request(&h, Some("a=1&lang=zh-CN")), Lang::ZhCn);
        assert_eq!(Lang::of_request(&h, Some("lang=fr")), Lang::En);
    }
}
