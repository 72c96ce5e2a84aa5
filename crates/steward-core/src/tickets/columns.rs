//! The columns a person's queue shows, in their order (issue 17, "queue power").

use crate::identity::UnknownValue;

macro_rules! columns {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        /// One column of the incident queue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum QueueColumn { $($variant),+ }

        impl QueueColumn {
            pub const ALL: &'static [QueueColumn] = &[$(QueueColumn::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(QueueColumn::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<QueueColumn, UnknownValue> {
                match input.trim() {
                    $($text => Ok(QueueColumn::$variant),)+
                    other => Err(UnknownValue {
                        what: "column",
                        value: other.chars().take(64).collect(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

columns! {
    Number => "number",
    Title => "title",
    Priority => "priority",
    State => "state",
    Team => "team",
    Assignee => "assignee",
    Requester => "requester",
    Category => "category",
    Service => "service",
    Created => "created",
    Updated => "updated",
    Sla => "sla",
}

impl QueueColumn {
    /// What a queue shows until its reader chooses.
    pub const DEFAULT: &'static [QueueColumn] = &[
        QueueColumn::Number,
        QueueColumn::Title,
        QueueColumn::Priority,
        QueueColumn::State,
        QueueColumn::Team,
        QueueColumn::Assignee,
        QueueColumn::Updated,
        QueueColumn::Sla,
    ];

    /// A chosen list, in order: each column once, and the number always (it is the link
    /// to the ticket, and what a reader quotes).
    pub fn parse_list<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<QueueColumn>, UnknownValue> {
        let mut out = Vec::new();
        for name in names {
            let column = QueueColumn::parse(name)?;
            if !out.contains(&column) {
                out.push(column);
            }
        }
        if !out.contains(&QueueColumn::Number) {
            out.insert(0, QueueColumn::Number);
        }
        Ok(out)
    }

    /// Every column in the order a chooser shows them: the chosen ones in their order, then the
    /// others.
    pub fn in_chooser_order(chosen: &[QueueColumn]) -> Vec<QueueColumn> {
        chosen
            .iter()
            .copied()
            .chain(QueueColumn::ALL.iter().copied().filter(|c| !chosen.contains(c)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_list_keeps_its_order_drops_repeats_and_always_has_the_number() {
        let list = QueueColumn::parse_list(["sla", "title", "sla", "requester"]).unwrap();
        assert_eq!(list, [QueueColumn::Number, QueueColumn::Sla, QueueColumn::Title, QueueColumn::Requester]);
        let err = QueueColumn::parse_list(["title", "salary"]).unwrap_err();
        assert_eq!(err.value, "salary");
        assert!(err.expected.contains("requester"));
        let all = QueueColumn::in_chooser_order(&list);
        assert_eq!(all.len(), QueueColumn::ALL.len());
        assert_eq!(&all[..4], &list[..]);
        for c in QueueColumn::ALL {
            assert_eq!(QueueColumn::parse(c.as_str()), Ok(*c));
        }
    }
}
