//! The surveys' pages: the mailed links (`links.rs`), the portal's answers (`portal.rs`), the
//! satisfaction report and the leaderboard (`reports.rs`).

pub mod links;
pub mod portal;
pub mod reports;

/// The stars one can give, with each one's words.
pub const STARS: [(i64, &str); 5] = [
    (1, "survey.star_1"),
    (2, "survey.star_2"),
    (3, "survey.star_3"),
    (4, "survey.star_4"),
    (5, "survey.star_5"),
];

/// The NPS scale, 0–10.
pub const SCALE: [i64; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
