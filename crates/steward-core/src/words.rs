//! `word_enum!`: an enum of words as stored and shown through the API (a ticket's state, an
//! article's audience, …), with `ALL`, `as_str`, `parse` (a `FieldError` naming the field and
//! listing the words) and `Display`. One definition for every area.

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($v:ident => $t:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $t),+ }
            }

            pub fn parse(s: &str) -> Result<$name, $crate::tickets::FieldError> {
                match s.trim() {
                    $($t => Ok($name::$v),)+
                    other => Err($crate::tickets::FieldError::new($field, format!(
                        "unknown {} `{}`: expected one of {}",
                        $field, other.chars().take(40).collect::<String>(), [$($t),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use word_enum;
