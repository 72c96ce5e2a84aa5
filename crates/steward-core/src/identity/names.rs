//! Validated names and passwords: holding one means it passed the rules.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

/// A sign-in name: 2–64 characters of lower-case letters, digits, `.`, `_`, `-` and `@`,
/// starting with a letter or digit. Input is lower-cased so `Alice` and `alice` are one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Username, NameError> {
        let name = input.trim().to_lowercase();
        let len = name.chars().count();
        if !(2..=64).contains(&len) {
            return Err(NameError("a username must be 2 to 64 characters long".into()));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(NameError("a username must start with a letter or digit".into()));
        }
        if let Some(bad) =
            name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        {
            return Err(NameError(format!(
                "a username may only hold letters, digits, '.', '_', '-' and '@' (found {bad:?})"
            )));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A team's display name: 1–80 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(input: &str) -> Result<TeamName, NameError> {
        let name = input.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(NameError("a team name must be 1 to 80 characters long".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(NameError("a team name may not contain control characters".into()));
        }
        Ok(TeamName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Longer inputs are refused so a client cannot make the server hash megabytes.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(input: &str) -> Result<Password, NameError> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(NameError(format!(
                "a password must be at least {} characters long",
                Self::MIN_CHARS
            )));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(NameError(format!("a password may not be longer than {} bytes", Self::MAX_BYTES)));
        }
        if input.trim().is_empty() {
            return Err(NameError("a password may not be only white space".into()));
        }
        Ok(Password(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let cases = [
            ("alice", Ok("alice")),
            ("  Bob.Smith@corp ", Ok("bob.smith@corp")),
            ("li_wei-2", Ok("li_wei-2")),
            ("a", Err("2 to 64")),
            ("_admin", Err("start with a letter")),
            ("王伟", Err("start with a letter")),
            ("wang王", Err("only hold")),
            ("a b", Err("only hold")),
        ];
        for (input, expected) in cases {
            match (Username::parse(input), expected) {
                (Ok(u), Ok(e)) => assert_eq!(u.as_str(), e),
                (Err(err), Err(e)) => assert!(err.0.contains(e), "{input}: {err}"),
                (got, e) => panic!("{input}: got {got:?}, expected {e:?}"),
            }
        }
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn passwords_and_team_names() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("          ").is_err());
        assert!(Password::parse(&"p".repeat(2000)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(TeamName::parse("  Service Desk ").unwrap().as_str(), "Service Desk");
        assert_eq!(TeamName::parse("数据库组").unwrap().as_str(), "数据库组");
        assert!(TeamName::parse("").is_err());
        assert!(TeamName::parse("a\u{0}b").is_err());
    }
}
