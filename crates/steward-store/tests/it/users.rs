use jiff::Timestamp;
use steward_core::identity::{Role, TeamName, Username};
use steward_store::{NewUser, StoreError, UserPatch};
use steward_test_support::TestDb;

pub(crate) fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        display_name: name.to_uppercase(),
        email: None,
        role: Role::Agent,
        password_hash: None,
        locale: None,
        organisation: None,
    }
}

#[tokio::test]
async fn duplicates_name_their_field() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(Timestamp::now(), &new_user("alice")).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_user(Timestamp::now(), &new_user("alice")).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "username" }), "{err:?}");
    drop(tx);

    let name = TeamName::parse("Service Desk").unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_team(Timestamp::now(), &name, "").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_team(Timestamp::now(), &name, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "name" }), "{err:?}");
}

#[tokio::test]
async fn stale_versions_are_refused_and_nothing_changes() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    let user = tx.insert_user(Timestamp::now(), &new_user("bob")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(user.version, 1);

    let patch = UserPatch { display_name: Some("Robert".into()), ..Default::default() };
    let mut tx = store.begin().await.unwrap();
    let updated = tx.update_user(Timestamp::now(), user.id, Some(1), &patch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((updated.version, updated.display_name.as_str()), (2, "Robert"));

    let stale = UserPatch { display_name: Some("Bobby".into()), ..Default::default() };
    let mut tx = store.begin().await.unwrap();
    let err = tx.update_user(Timestamp::now(), user.id, Some(1), &stale).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { current: 2 }), "{err:?}");
    drop(tx);
    assert_eq!(store.user(user.id).await.unwrap().unwrap().display_name, "Robert");
}
