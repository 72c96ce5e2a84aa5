//! Routing: the team a new ticket goes to when whoever raises it names none (a requester never
//! can). The most specific rule wins: the subcategory's team, then the category's, then the
//! intake team's — the service desk that takes whatever nothing else routes.

use crate::ids::{CategoryId, TeamId};

/// `team_of` gives the team a category routes to, if any.
pub fn routed_team(
    category: Option<CategoryId>,
    subcategory: Option<CategoryId>,
    team_of: impl Fn(CategoryId) -> Option<TeamId>,
    intake: Option<TeamId>,
) -> Option<TeamId> {
    subcategory.and_then(&team_of).or_else(|| category.and_then(&team_of)).or(intake)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETWORK: CategoryId = CategoryId(1);
    const WIFI: CategoryId = CategoryId(2);
    const EMAIL: CategoryId = CategoryId(3);

    fn team_of(c: CategoryId) -> Option<TeamId> {
        match c {
            NETWORK => Some(TeamId(10)),
            WIFI => Some(TeamId(11)),
            _ => None,
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let desk = Some(TeamId(1));
        assert_eq!(routed_team(Some(NETWORK), Some(WIFI), team_of, desk), Some(TeamId(11)));
        assert_eq!(routed_team(Some(NETWORK), None, team_of, desk), Some(TeamId(10)));
        assert_eq!(routed_team(Some(EMAIL), None, team_of, desk), desk);
        assert_eq!(routed_team(None, None, team_of, desk), desk);
        assert_eq!(routed_team(Some(EMAIL), None, team_of, None), None);
    }

    #[test]
    fn a_subcategory_without_a_team_falls_back_to_its_category() {
        assert_eq!(routed_team(Some(NETWORK), Some(EMAIL), team_of, None), Some(TeamId(10)));
    }
}
