//! Reads that join two tables into one row give each side its own columns: the ids, instants
//! and names that come back belong to the record they claim to (a probe found API logout
//! revoking the token numbered like the caller's user id).

use jiff::{SignedDuration, Timestamp};
use steward_core::identity::{ScopeSet, TeamName};
use steward_store::{NewToken, Store};
use steward_test_support::TestDb;

use crate::users::new_user;

/// Three users, then tokens so that no token has its owner's id and one token has another
/// user's id; the users were made a day before the tokens.
async fn desk(store: &Store) -> Vec<(steward_core::identity::User, Vec<steward_core::identity::ApiToken>)> {
    let day_ago = Timestamp::now() - SignedDuration::from_hours(24);
    let mut tx = store.begin().await.unwrap();
    let mut users = Vec::new();
    for name in ["ann", "bob", "cy"] {
        users.push(tx.insert_user(day_ago, &new_user(name)).await.unwrap());
    }
    let mut out: Vec<_> = users.iter().map(|u| (u.clone(), Vec::new())).collect();
    for (owner, n) in [(2, 0), (2, 1), (0, 2), (1, 3)] {
        let new = NewToken {
            user_id: users[owner].id,
            name: format!("t{n}"),
            token_hash: format!("hash-{n}"),
            scopes: ScopeSet::parse("read").unwrap(),
            expires_at: Timestamp::now() + SignedDuration::from_hours(24),
            created_by: None,
        };
        let token = tx.insert_token(Timestamp::now(), &new).await.unwrap();
        out[owner].1.push(token);
    }
    tx.commit().await.unwrap();
    out
}

#[tokio::test]
async fn a_live_token_and_its_owner_are_read_each_from_its_own_columns() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let desk = desk(&store).await;
    for (user, tokens) in &desk {
        for (n, token) in tokens.iter().enumerate() {
            assert_ne!(token.id.get(), user.id.get(), "the fixture keeps token and user ids apart");
            let hash = format!("hash-{}", token.name.trim_start_matches('t'));
            let (live, owner) = store.live_token(&hash, Timestamp::now()).await.unwrap().expect("live");
            assert_eq!(live, *token, "{}'s token {n}", user.username);
            assert_eq!(owner, *user);
            assert!(live.created_at > owner.created_at, "the token's own creation time");
        }
    }
}

#[tokio::test]
async fn a_session_and_team_members_are_read_each_from_their_own_columns() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let desk = desk(&store).await;
    let (cy, _) = &desk[2];
    let mut tx = store.begin().await.unwrap();
    // Sessions numbered 1 and 2, both cy's (user 3).
    for n in 0..2 {
        let expires = Timestamp::now() + SignedDuration::from_hours(1);
        tx.insert_session(Timestamp::now(), &format!("s{n}"), cy.id, "csrf", expires).await.unwrap();
    }
    let team = tx.insert_team(Timestamp::now(), &TeamName::parse("Desk").unwrap(), "").await.unwrap();
    tx.add_team_member(Timestamp::now(), team.id, cy.id).await.unwrap();
    tx.commit().await.unwrap();
    let session = store.live_session("s1", Timestamp::now()).await.unwrap().expect("live");
    assert_eq!((session.id, &session.user), (2, cy));
    let teams = store.list_teams().await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!((teams[0].team.id, &teams[0].members), (team.id, &vec![cy.clone()]));
    let record = store.login_record(&cy.username).await.unwrap().expect("cy");
    assert_eq!(record.user, *cy);
}

#[tokio::test]
async fn tokens_by_id_and_listed_carry_their_own_columns() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let desk = desk(&store).await;
    let all: Vec<_> = desk.iter().flat_map(|(_, tokens)| tokens.clone()).collect();
    for token in &all {
        assert_eq!(store.token(token.id).await.unwrap().as_ref(), Some(token));
    }
    for (user, tokens) in &desk {
        let mut listed = store.list_tokens(Some(user.id)).await.unwrap();
        listed.reverse();
        assert_eq!(&listed, tokens, "{}'s tokens", user.username);
    }
    assert_eq!(store.list_tokens(None).await.unwrap().len(), all.len());
}
