//! Human lifetimes such as `30d` or `12h`, as typed on the command line and in forms.

use jiff::SignedDuration;

/// The longest lifetime a credential may be given: a token that outlives its owner's memory of
/// it is a liability.
pub const MAX_LIFETIME_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LifetimeError(String);

/// Parses `90m`, `12h`, `30d` or `2w` into a duration between one minute and a year.
pub fn parse_lifetime(text: &str) -> Result<SignedDuration, LifetimeError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| LifetimeError(format!("`{text}` has no unit: use m, h, d or w (e.g. 30d)")))?;
    let (number, unit) = text.split_at(split);
    let n: i64 =
        number.parse().map_err(|_| LifetimeError(format!("`{text}` does not start with a number")))?;
    let minutes = match unit {
        "m" => n,
        "h" => n.saturating_mul(60),
        "d" => n.saturating_mul(24 * 60),
        "w" => n.saturating_mul(7 * 24 * 60),
        _ => {
            return Err(LifetimeError(format!("unknown unit `{unit}` in `{text}`: use m, h, d or w")));
        }
    };
    if minutes < 1 {
        return Err(LifetimeError("a lifetime must be at least one minute".into()));
    }
    if minutes > MAX_LIFETIME_DAYS * 24 * 60 {
        return Err(LifetimeError(format!("a lifetime may not exceed {MAX_LIFETIME_DAYS} days")));
    }
    Ok(SignedDuration::from_mins(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        let cases = [
            ("30d", Ok(30 * 24 * 60)),
            ("12h", Ok(12 * 60)),
            ("90m", Ok(90)),
            ("2w", Ok(14 * 24 * 60)),
            (" 1d ", Ok(24 * 60)),
            ("0m", Err("at least one minute")),
            ("30", Err("no unit")),
            ("d", Err("does not start with a number")),
            ("5y", Err("unknown unit")),
            ("400d", Err("may not exceed")),
            ("99999999999999999999d", Err("does not start with a number")),
        ];
        for (input, expected) in cases {
            let got = parse_lifetime(input).map(|d| d.as_mins());
            match (got, expected) {
                (Ok(m), Ok(e)) => assert_eq!(m, e, "{input}"),
                (Err(err), Err(e)) => assert!(err.to_string().contains(e), "{input}: {err}"),
                (got, e) => panic!("{input}: got {got:?}, expected {e:?}"),
            }
        }
    }
}
