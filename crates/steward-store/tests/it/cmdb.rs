use std::collections::BTreeMap;

use jiff::Timestamp;
use steward_core::cmdb::{CiStatus, Direction, Edge, ImpactWalk, RelationType};
use steward_core::ids::CiId;
use steward_store::{CiRecord, Store};
use steward_test_support::TestDb;

/// `n` CIs with external ids `c0`…, and their ids in that order.
async fn cis(store: &Store, n: usize) -> Vec<CiId> {
    let now = Timestamp::now();
    let records: Vec<CiRecord> = (0..n)
        .map(|i| CiRecord {
            id: CiId(0),
            class: "server".into(),
            name: format!("c{i}"),
            external_id: Some(format!("c{i}")),
            status: CiStatus::InService,
            owner_team_id: None,
            criticality: 3,
            attrs: BTreeMap::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    let ids: BTreeMap<Option<String>, CiId> =
        tx.insert_cis(now, &records).await.unwrap().into_iter().collect();
    tx.commit().await.unwrap();
    (0..n).map(|i| ids[&Some(format!("c{i}"))]).collect()
}

/// The level-by-level walk, one query per level: the reference the one-query walk must match.
async fn level_walk(store: &Store, start: CiId, direction: Direction, depth: u32) -> ImpactWalk {
    let mut walk = ImpactWalk::new(&[start], direction, depth, 1_000);
    while !walk.frontier().is_empty() {
        let edges = store.edges_touching(walk.frontier()).await.unwrap();
        walk.expand(&edges);
    }
    walk
}

#[tokio::test]
async fn the_one_query_neighbourhood_walks_like_the_level_by_level_walk() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let c = cis(&store, 12).await;
    // A layered graph with a diamond (1 and 2 both reach 4), a cycle (5 → 6 → 7 → 5), a CI
    // reached at two depths (8), a hub (9, which everything from 0 to 4 connects to) and an
    // island (11).
    use RelationType::*;
    let pairs: Vec<(usize, usize, RelationType)> = vec![
        (1, 0, DependsOn),
        (2, 0, RunsOn),
        (4, 1, DependsOn),
        (4, 2, DependsOn),
        (5, 4, RunsOn),
        (6, 5, DependsOn),
        (7, 6, DependsOn),
        (5, 7, DependsOn),
        (8, 1, DependsOn),
        (8, 6, BacksUp),
        (10, 8, MemberOf),
        (0, 9, ConnectsTo),
        (1, 9, ConnectsTo),
        (2, 9, ConnectsTo),
        (3, 9, ConnectsTo),
        (4, 9, ConnectsTo),
        (3, 2, DependsOn),
    ];
    let edges: Vec<Edge> = pairs.iter().map(|&(f, t, kind)| Edge { from: c[f], to: c[t], kind }).collect();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.insert_ci_relations(Timestamp::now(), &edges).await.unwrap(), edges.len() as u64);
    tx.commit().await.unwrap();

    let mut walks = 0;
    for direction in [Direction::Upstream, Direction::Downstream, Direction::Both] {
        for &start in &c {
            for depth in [1, 2, 3, 6] {
                let near =
                    store.edges_near(start, direction, depth, 1_000).await.unwrap().expect("within the cap");
                let mut whole = ImpactWalk::new(&[start], direction, depth, 1_000);
                whole.run(&near);
                let levels = level_walk(&store, start, direction, depth).await;
                assert_eq!(whole.hits(), levels.hits(), "{direction:?} from c{start} to depth {depth}");
                walks += usize::from(!levels.hits().is_empty());
            }
        }
    }
    assert!(walks > 60, "most walks reach something ({walks})");

    // Past the cap the store declines, and the caller walks level by level. Downstream from
    // the hub: five edges at one step pass a cap of three edges, though one CI is reached.
    assert!(store.edges_near(c[9], Direction::Downstream, 1, 3).await.unwrap().is_none());
    assert_eq!(store.edges_near(c[9], Direction::Downstream, 1, 6).await.unwrap().map(|e| e.len()), Some(5));
    // Downstream from 8: two CI-steps (8, then 10) and one edge; a cap of two CI-steps declines.
    assert!(store.edges_near(c[8], Direction::Downstream, 6, 2).await.unwrap().is_none());
    assert_eq!(store.edges_near(c[8], Direction::Downstream, 6, 3).await.unwrap().map(|e| e.len()), Some(1));
    assert_eq!(store.edges_near(c[11], Direction::Both, 6, 5).await.unwrap(), Some(vec![]));
}
