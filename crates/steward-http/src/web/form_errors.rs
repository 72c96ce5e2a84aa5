//! What a form says when its input cannot be saved, in the user's language (issue 17, bugs 4
//! and 5). The convention for every page:
//!
//! - A form whose input is worth keeping (a ticket, a reply, a resolution) answers a failed
//!   save by rendering its page again with status 422, the typed values and [`error_text`].
//! - A short admin form redirects back with `?error=<word>` ([`redirect_word`]); the page shows
//!   the catalogue's text for the word ([`text_of_word`]), so a link cannot put words in
//!   Steward's mouth, just as with notices.
//!
//! A field is named by its label (`field.<name>`), never by its internal name; a field with a
//! rule worth stating has `invalid.<name>`. English may add the app's own detail, which is
//! English; Chinese shows only catalogue text.

use steward_app::AppError;

use crate::i18n::Catalog;

/// The message for an error the user can fix, or `None` for any other (an error page).
pub fn error_text(t: &Catalog, err: &AppError) -> Option<String> {
    Some(match err {
        AppError::Invalid { field, message } => invalid_text(t, field, Some(message)),
        AppError::Conflict { field, .. } => conflict_text(t, *field),
        AppError::Stale { .. } => t.get("form.stale").to_owned(),
        AppError::IllegalTransition { .. } => t.get("form.transition").to_owned(),
        _ => return None,
    })
}

/// Whether the user can fix `err` by changing what they typed.
pub fn users_to_fix(err: &AppError) -> bool {
    redirect_word(err).is_some()
}

/// The word a redirect carries for `err`, or `None` when it is not the user's to fix.
pub fn redirect_word(err: &AppError) -> Option<String> {
    Some(match err {
        AppError::Invalid { field, .. } => format!("invalid.{field}"),
        AppError::Conflict { field: Some(field), .. } => format!("conflict.{field}"),
        AppError::Conflict { field: None, .. } => "conflict".to_owned(),
        AppError::Stale { .. } => "stale".to_owned(),
        AppError::IllegalTransition { .. } => "transition".to_owned(),
        _ => return None,
    })
}

/// The text for a word from [`redirect_word`]; nothing for a word it cannot have made.
pub fn text_of_word(t: &Catalog, word: &str) -> Option<String> {
    if !word.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.') {
        return None;
    }
    let known = |field: &str| t.lookup(&format!("field.{field}")).is_some();
    match word.split_once('.') {
        Some(("invalid", field)) if known(field) => Some(invalid_text(t, field, None)),
        Some(("conflict", field)) if known(field) => Some(conflict_text(t, Some(field))),
        None if word == "conflict" => Some(conflict_text(t, None)),
        None if word == "stale" => Some(t.get("form.stale").to_owned()),
        None if word == "transition" => Some(t.get("form.transition").to_owned()),
        _ => None,
    }
}

fn label<'a>(t: &'a Catalog, field: &str) -> &'a str {
    t.lookup(&format!("field.{field}")).unwrap_or_else(|| t.get("field.other"))
}

fn invalid_text(t: &Catalog, field: &str, detail: Option<&str>) -> String {
    if let Some(rule) = t.lookup(&format!("invalid.{field}")) {
        return rule.to_owned();
    }
    let template = match detail {
        Some(_) => t.get("form.invalid_detail"),
        None => t.get("form.invalid"),
    };
    template.replace("{field}", label(t, field)).replace("{detail}", detail.unwrap_or_default())
}

fn conflict_text(t: &Catalog, field: Option<&str>) -> String {
    t.get("form.conflict").replace("{field}", field.map_or_else(|| t.get("field.other"), |f| label(t, f)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalogs, Lang};

    #[test]
    fn fields_are_named_by_their_labels_in_each_language() {
        let catalogs = Catalogs::load().unwrap();
        let zh = catalogs.get(Lang::ZhCn);
        let en = catalogs.get(Lang::En);
        let missing = AppError::invalid("resolution_code", "a resolution code is required");
        let zh_text = error_text(zh, &missing).unwrap();
        assert!(!zh_text.contains("resolution_code") && !zh_text.contains("required"), "{zh_text}");
        assert!(zh_text.contains("解决代码"), "{zh_text}");
        let en_text = error_text(en, &missing).unwrap();
        assert!(!en_text.contains("resolution_code") && en_text.contains("resolution code"), "{en_text}");
        let word = redirect_word(&AppError::invalid("username", "no user `x`")).unwrap();
        assert!(text_of_word(zh, &word).unwrap().contains("用户名"));
    }

    #[test]
    fn a_word_from_a_link_shows_only_catalogue_text() {
        let catalogs = Catalogs::load().unwrap();
        let en = catalogs.get(Lang::En);
        assert_eq!(text_of_word(en, "Your account is locked, call 555"), None);
        assert_eq!(text_of_word(en, "invalid.not_a_field"), None);
        assert_eq!(text_of_word(en, "notice.saved"), None);
        assert!(text_of_word(en, "stale").is_some());
    }

    #[test]
    fn errors_that_are_not_the_users_get_no_form_message() {
        let catalogs = Catalogs::load().unwrap();
        assert_eq!(error_text(catalogs.get(Lang::En), &AppError::NotFound("incident")), None);
        assert_eq!(redirect_word(&AppError::Forbidden("no".into())), None);
    }
}
