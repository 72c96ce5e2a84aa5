//! Impact × urgency → priority, through a configurable ITIL matrix.

use std::fmt;

use super::FieldError;

macro_rules! level {
    ($(#[$m:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u8);

        impl $name {
            pub fn new(value: i64) -> Result<$name, FieldError> {
                if (1..=$max).contains(&value) {
                    Ok($name(value as u8))
                } else {
                    Err(FieldError::new($field, format!("{} must be between 1 and {}, not {value}", $field, $max)))
                }
            }

            pub fn get(self) -> u8 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

level!(
    /// How widely a service is affected: 1 (many users / the business) to 3 (one user).
    Impact, "impact", 3
);
level!(
    /// How soon it must be handled: 1 (now) to 3 (can wait).
    Urgency, "urgency", 3
);
level!(
    /// 1 (critical) to 5 (planning).
    Priority, "priority", 5
);

/// `matrix[impact - 1][urgency - 1]` is the priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityMatrix([[u8; 3]; 3]);

impl Default for PriorityMatrix {
    /// The common ITIL default: priority = impact + urgency − 1.
    fn default() -> Self {
        PriorityMatrix([[1, 2, 3], [2, 3, 4], [3, 4, 5]])
    }
}

impl PriorityMatrix {
    /// Checks a configured matrix: 3×3, every cell a priority 1–5.
    pub fn parse(rows: &[Vec<i64>]) -> Result<PriorityMatrix, FieldError> {
        let bad = || {
            FieldError::new(
                "priority_matrix",
                "the priority matrix must be 3 rows of 3 priorities from 1 to 5",
            )
        };
        if rows.len() != 3 {
            return Err(bad());
        }
        let mut m = [[0u8; 3]; 3];
        for (i, row) in rows.iter().enumerate() {
            if row.len() != 3 {
                return Err(bad());
            }
            for (j, cell) in row.iter().enumerate() {
                m[i][j] = Priority::new(*cell).map_err(|_| bad())?.get();
            }
        }
        Ok(PriorityMatrix(m))
    }

    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        Priority(self.0[usize::from(impact.0) - 1][usize::from(urgency.0) - 1])
    }

    pub fn rows(&self) -> [[u8; 3]; 3] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_is_impact_plus_urgency_minus_one() {
        let m = PriorityMatrix::default();
        for i in 1..=3 {
            for u in 1..=3 {
                let p = m.priority(Impact::new(i).unwrap(), Urgency::new(u).unwrap());
                assert_eq!(i64::from(p.get()), i + u - 1);
            }
        }
    }

    #[test]
    fn levels_and_matrices_are_checked() {
        assert_eq!(Impact::new(0).unwrap_err().field, "impact");
        assert!(Impact::new(4).is_err());
        assert!(Urgency::new(-1).is_err());
        let custom = PriorityMatrix::parse(&[vec![1, 1, 2], vec![2, 3, 4], vec![3, 4, 5]]).unwrap();
        assert_eq!(custom.priority(Impact::new(1).unwrap(), Urgency::new(2).unwrap()).get(), 1);
        assert!(PriorityMatrix::parse(&[vec![1, 2, 3], vec![2, 3, 4]]).is_err());
        assert!(PriorityMatrix::parse(&[vec![1, 2, 3], vec![2, 3, 4], vec![3, 4, 6]]).is_err());
    }
}
