//! Impact analysis: a breadth-first walk of the CI graph from one or more CIs, level by level,
//! so the store fetches only the edges around each frontier. Each CI reached keeps the path that
//! explains it; cycles end the walk where a CI was already reached.

use std::collections::HashMap;

use super::relations::RelationType;
use crate::ids::CiId;

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the CIs rely on (`from` → `to`).
    Upstream,
    /// What relies on the CIs and is hit when they fail (`to` → `from`).
    Downstream,
    Both,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "upstream" => Some(Direction::Upstream),
            "downstream" => Some(Direction::Downstream),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }
}

/// One relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: CiId,
    pub to: CiId,
    pub kind: RelationType,
}

/// One step of an explaining path: from `ci` along `kind`, read forward (`from` → `to`) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub ci: CiId,
    pub kind: RelationType,
    pub forward: bool,
}

/// A CI the walk reached, how far, and the path from a start CI to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub ci: CiId,
    pub depth: u32,
    /// Steps from the start; the last step leads to `ci`.
    pub path: Vec<Step>,
    pub start: CiId,
}

/// A walk in progress. Feed it the edges around [`ImpactWalk::frontier`] until the frontier is
/// empty, then read the hits.
#[derive(Debug, Clone)]
pub struct ImpactWalk {
    direction: Direction,
    max_depth: u32,
    limit: usize,
    depth: u32,
    /// CI → (depth, the step that reached it; `None` for a start).
    reached: HashMap<CiId, (u32, Option<Step>)>,
    frontier: Vec<CiId>,
    truncated: bool,
}

impl ImpactWalk {
    /// Starts at `starts`, walking at most `max_depth` steps and reaching at most `limit` CIs.
    pub fn new(starts: &[CiId], direction: Direction, max_depth: u32, limit: usize) -> ImpactWalk {
        let mut reached = HashMap::new();
        for s in starts {
            reached.insert(*s, (0, None));
        }
        let mut frontier: Vec<CiId> = reached.keys().copied().collect();
        frontier.sort_unstable();
        if max_depth == 0 {
            frontier.clear();
        }
        ImpactWalk { direction, max_depth, limit, depth: 0, reached, frontier, truncated: false }
    }

    /// The CIs whose edges the next step needs; empty when the walk is over.
    pub fn frontier(&self) -> &[CiId] {
        &self.frontier
    }

    /// Whether the walk stopped at `limit` CIs.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Takes one step along `edges` (the edges touching the frontier; others are ignored).
    pub fn expand(&mut self, edges: &[Edge]) {
        let depth = self.depth + 1;
        let in_frontier = |ci: CiId, frontier: &[CiId]| frontier.binary_search(&ci).is_ok();
        let mut next = Vec::new();
        let mut sorted: Vec<&Edge> = edges.iter().collect();
        sorted.sort_by_key(|e| (e.from, e.to, e.kind));
        for e in sorted {
            let up = matches!(self.direction, Direction::Upstream | Direction::Both);
            let down = matches!(self.direction, Direction::Downstream | Direction::Both);
            let mut moves = Vec::new();
            if up && in_frontier(e.from, &self.frontier) {
                moves.push((e.from, e.to, true));
            }
            if down && in_frontier(e.to, &self.frontier) {
                moves.push((e.to, e.from, false));
            }
            for (here, there, forward) in moves {
                if self.reached.contains_key(&there) {
                    continue;
                }
                if self.reached.len() >= self.limit {
                    self.truncated = true;
                    continue;
                }
                self.reached.insert(there, (depth, Some(Step { ci: here, kind: e.kind, forward })));
                next.push(there);
            }
        }
        next.sort_unstable();
        self.depth = depth;
        self.frontier = if depth >= self.max_depth { Vec::new() } else { next };
    }

    /// Runs the walk to its end over `edges`, which hold at least every edge the walk can
    /// follow: each edge whose end on the walk's side (`from` upstream, `to` downstream, either
    /// for both) is in a frontier the walk will have — one fetch of the neighbourhood instead
    /// of one per step.
    /// Gives the same hits as feeding the edges around each frontier to [`ImpactWalk::expand`].
    pub fn run(&mut self, edges: &[Edge]) {
        let mut by_end: HashMap<CiId, Vec<Edge>> = HashMap::new();
        for e in edges {
            by_end.entry(e.from).or_default().push(*e);
            if e.to != e.from {
                by_end.entry(e.to).or_default().push(*e);
            }
        }
        while !self.frontier.is_empty() {
            let mut around: Vec<Edge> =
                self.frontier.iter().filter_map(|ci| by_end.get(ci)).flatten().copied().collect();
            around.sort_by_key(|e| (e.from, e.to, e.kind));
            around.dedup();
            self.expand(&around);
        }
    }

    /// Every CI reached except the starts, nearest first, each with its explaining path.
    pub fn hits(&self) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .reached
            .iter()
            .filter(|(_, (d, _))| *d > 0)
            .map(|(ci, (depth, _))| {
                let mut path = Vec::new();
                let mut at = *ci;
                while let Some((_, Some(step))) = self.reached.get(&at) {
                    path.push(*step);
                    at = step.ci;
                }
                path.reverse();
                Hit { ci: *ci, depth: *depth, path, start: at }
            })
            .collect();
        hits.sort_by_key(|h| (h.depth, h.ci));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: i64, to: i64, kind: RelationType) -> Edge {
        Edge { from: CiId(from), to: CiId(to), kind }
    }

    /// Walks `graph` the way the app does: only the edges touching the frontier each step.
    fn walk(graph: &[Edge], starts: &[i64], dir: Direction, depth: u32) -> ImpactWalk {
        stepwise(graph, starts, dir, depth, 10_000)
    }

    fn stepwise(graph: &[Edge], starts: &[i64], dir: Direction, depth: u32, limit: usize) -> ImpactWalk {
        let starts: Vec<CiId> = starts.iter().copied().map(CiId).collect();
        let mut w = ImpactWalk::new(&starts, dir, depth, limit);
        while !w.frontier().is_empty() {
            let f = w.frontier().to_vec();
            let around: Vec<Edge> =
                graph.iter().copied().filter(|x| f.contains(&x.from) || f.contains(&x.to)).collect();
            w.expand(&around);
        }
        w
    }

    // 1 service --depends_on--> 2 app --runs_on--> 3 server --located_in--> 4 location;
    // 5 service --depends_on--> 2; 2 --depends_on--> 6 db --runs_on--> 3; 3 --connects_to--> 7 switch;
    // and a cycle: 6 --depends_on--> 1.
    fn graph() -> Vec<Edge> {
        use RelationType::*;
        vec![
            e(1, 2, DependsOn),
            e(2, 3, RunsOn),
            e(3, 4, LocatedIn),
            e(5, 2, DependsOn),
            e(2, 6, DependsOn),
            e(6, 3, RunsOn),
            e(3, 7, ConnectsTo),
            e(6, 1, DependsOn),
        ]
    }

    #[test]
    fn a_failing_server_hits_what_runs_on_it_and_the_services_above() {
        let w = walk(&graph(), &[3], Direction::Downstream, 6);
        let hits: Vec<(i64, u32)> = w.hits().iter().map(|h| (h.ci.get(), h.depth)).collect();
        // 2 and 6 run on 3; 1 and 5 depend on 2. The switch 3 connects to is not hit.
        assert_eq!(hits, vec![(2, 1), (6, 1), (1, 2), (5, 2)]);
        let one = w.hits().into_iter().find(|h| h.ci == CiId(1)).unwrap();
        assert_eq!(one.start, CiId(3));
        let path: Vec<(i64, RelationType, bool)> =
            one.path.iter().map(|s| (s.ci.get(), s.kind, s.forward)).collect();
        assert_eq!(path, vec![(3, RelationType::RunsOn, false), (2, RelationType::DependsOn, false)]);
    }

    #[test]
    fn upstream_follows_reliance_and_cycles_end_the_walk() {
        let w = walk(&graph(), &[1], Direction::Upstream, 6);
        let hits: Vec<(i64, u32)> = w.hits().iter().map(|h| (h.ci.get(), h.depth)).collect();
        // 1 → 2 → {3, 6}; 3 → {4, 7}; 6 → 1 is the start again: the cycle stops there.
        assert_eq!(hits, vec![(2, 1), (3, 2), (6, 2), (4, 3), (7, 3)]);
    }

    #[test]
    fn one_run_over_the_whole_neighbourhood_equals_the_step_by_step_walk() {
        for dir in [Direction::Upstream, Direction::Downstream, Direction::Both] {
            for start in 1..=7 {
                for (depth, limit) in [(1, 100), (2, 100), (6, 100), (6, 3)] {
                    let stepwise = stepwise(&graph(), &[start], dir, depth, limit);
                    let mut whole = ImpactWalk::new(&[CiId(start)], dir, depth, limit);
                    whole.run(&graph());
                    assert_eq!(whole.hits(), stepwise.hits(), "{dir:?} from {start} to depth {depth}");
                    assert_eq!(whole.truncated(), stepwise.truncated());
                }
            }
        }
    }

    #[test]
    fn depth_and_limit_bound_the_walk() {
        let w = walk(&graph(), &[3], Direction::Downstream, 1);
        assert_eq!(w.hits().len(), 2);
        let mut w = ImpactWalk::new(&[CiId(3)], Direction::Both, 6, 3);
        w.expand(&graph());
        assert!(w.truncated());
        assert_eq!(w.hits().len(), 2, "the limit counts the start");
        assert!(ImpactWalk::new(&[CiId(3)], Direction::Both, 0, 10).frontier().is_empty());
    }
}
