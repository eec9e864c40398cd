//! Deadlocks: open tasks that wait on each other around a cycle, across agents. The waits-for
//! graph has an edge from every open task to every open task it depends on (`depends_on`), and
//! from a coding session refused a file to the session that holds the file's lease (the
//! refusal still open in the queue: [`LeaseWait`]). Each strongly connected component with a
//! cycle in it is one critical finding naming the cycle. A chain that ends (in a task that is
//! working on nothing it waits for) is no deadlock, however long.
//!
//! The finding's key names its tasks and leases ([`DeadlockKey`]): the queue offers to cancel one
//! of the tasks or to give one of the leases away.

use std::collections::{BTreeSet, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use super::dependencies::dependencies;
use super::{evidence_in, finding, DetectInput, Finding, FindingKind, Severity};

/// A session refused a file another session holds, and still waiting for it (the refusal's
/// queue item is open).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseWait {
    pub waiter: i64,
    pub holder: i64,
    pub resource: String,
}

/// What a deadlock finding is about, as its key says it after `deadlock:` (JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlockKey {
    /// Every task of the knot: (agent, task id); a session without an open task is there with
    /// an empty task id.
    pub tasks: Vec<(i64, String)>,
    /// The leases waited for in the knot: (file, the session waiting for it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leases: Vec<(String, i64)>,
}

impl DeadlockKey {
    /// The key of a deadlock finding (`deadlock:{…}`), read back; None for other keys.
    pub fn parse(dedupe_key: &str) -> Option<DeadlockKey> {
        let json = dedupe_key.strip_prefix("deadlock:")?;
        serde_json::from_str(json).ok()
    }
}

/// One task of the graph: its agent (Baton's id) and id ("" for a session with no open task).
type Node<'a> = (i64, &'a str);

/// Why one task waits for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait<'a> {
    Dependency,
    Lease(&'a str),
}

/// One finding per knot, with the tasks in it (agent, task id): the sequencing findings of
/// those tasks are the same cause, and are left out (see [`super::detect`]).
pub fn deadlocks<'a>(input: &'a DetectInput<'_>) -> Vec<(Finding, Vec<(i64, String)>)> {
    let mut graph: DiGraph<Node<'a>, Wait<'a>> = DiGraph::new();
    let mut index: HashMap<Node<'a>, NodeIndex> = HashMap::new();
    let mut node = |graph: &mut DiGraph<Node<'a>, Wait<'a>>, n: Node<'a>| {
        *index.entry(n).or_insert_with(|| graph.add_node(n))
    };
    for t in input.tasks.live() {
        if t.task.state.is_terminal() || t.task.depends_on.is_empty() {
            continue;
        }
        for dep in dependencies(input, t.agent_id, &t.task.depends_on) {
            let open = input
                .tasks
                .get(dep.agent_id, dep.task_id)
                .is_some_and(|d| !d.task.state.is_terminal());
            if open {
                let from = node(&mut graph, (t.agent_id, t.task.id.as_str()));
                let to = node(&mut graph, (dep.agent_id, dep.task_id));
                graph.update_edge(from, to, Wait::Dependency);
            }
        }
    }
    for wait in input.lease_waits {
        if wait.waiter == wait.holder {
            continue;
        }
        for from in open_tasks(input, wait.waiter) {
            for to in open_tasks(input, wait.holder) {
                let (from, to) = (node(&mut graph, from), node(&mut graph, to));
                graph.update_edge(from, to, Wait::Lease(wait.resource.as_str()));
            }
        }
    }
    let mut found = Vec::new();
    for component in tarjan_scc(&graph) {
        let cyclic = component.len() > 1
            || component
                .first()
                .is_some_and(|&n| graph.contains_edge(n, n));
        if cyclic {
            let tasks = component
                .iter()
                .map(|&n| (graph[n].0, graph[n].1.to_owned()))
                .collect();
            found.push((deadlock(input, &graph, &component), tasks));
        }
    }
    found
}

/// The open tasks of an agent (a session's turn), or the agent itself ("") when it has none.
fn open_tasks<'a>(input: &'a DetectInput<'_>, agent: i64) -> Vec<Node<'a>> {
    let mut open: Vec<Node<'a>> = input
        .tasks
        .live()
        .filter(|t| t.agent_id == agent && !t.task.state.is_terminal())
        .map(|t| (agent, t.task.id.as_str()))
        .collect();
    if open.is_empty() {
        open.push((agent, ""));
    }
    open.sort_unstable();
    open
}

/// The finding for one cyclic component: the cycle through its first task (in id order), the
/// other tasks of the component counted.
fn deadlock(
    input: &DetectInput<'_>,
    graph: &DiGraph<Node<'_>, Wait<'_>>,
    component: &[NodeIndex],
) -> Finding {
    let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
    let start = *component
        .iter()
        .min_by_key(|&&n| graph[n])
        .expect("a component has a task");
    let cycle = cycle_from(graph, &members, start);
    let name = |n: NodeIndex| {
        let (agent, task) = graph[n];
        if task.is_empty() {
            input.name(agent)
        } else {
            format!("{}'s {task}", input.name(agent))
        }
    };
    let mut said = Vec::new();
    for (i, &n) in cycle.iter().enumerate() {
        let next = cycle.get(i + 1).copied().unwrap_or(start);
        let why = graph
            .find_edge(n, next)
            .map(|e| graph[e])
            .unwrap_or(Wait::Dependency);
        said.push(match why {
            Wait::Dependency => name(next),
            Wait::Lease(file) => format!("{} (its lease on {file})", name(next)),
        });
    }
    let others = members.len() - cycle.len();
    let mut summary = format!(
        "Deadlock: {} waits for {}",
        name(start),
        said.join(", which waits for ")
    );
    if others > 0 {
        summary.push_str(&format!(" ({others} more task(s) wait in the same knot)"));
    }
    let mut tasks: Vec<Node<'_>> = members.iter().map(|&n| graph[n]).collect();
    tasks.sort_unstable();
    let mut leases: Vec<(String, i64)> = graph
        .edge_indices()
        .filter_map(|e| {
            let (from, to) = graph.edge_endpoints(e)?;
            match graph[e] {
                Wait::Lease(file) if members.contains(&from) && members.contains(&to) => {
                    Some((file.to_owned(), graph[from].0))
                }
                _ => None,
            }
        })
        .collect();
    leases.sort_unstable();
    leases.dedup();
    let evidence = tasks
        .iter()
        .flat_map(|&(agent, task)| input.recent.task_states(agent, task))
        .map(evidence_in)
        .collect();
    let key = DeadlockKey {
        tasks: tasks.iter().map(|&(a, t)| (a, t.to_owned())).collect(),
        leases,
    };
    finding(
        FindingKind::Deadlock,
        Severity::Critical,
        tasks.iter().map(|&(agent, _)| agent).collect(),
        None,
        summary,
        evidence,
        &serde_json::to_string(&key).expect("a key always serialises"),
    )
}

/// A cycle through `start` inside the component (which has one): depth first, the lowest task
/// first, for a stable wording.
fn cycle_from(
    graph: &DiGraph<Node<'_>, Wait<'_>>,
    members: &BTreeSet<NodeIndex>,
    start: NodeIndex,
) -> Vec<NodeIndex> {
    let mut path = vec![start];
    let mut seen = BTreeSet::from([start]);
    let mut next: Vec<Vec<NodeIndex>> = vec![successors(graph, members, start)];
    while let Some(options) = next.last_mut() {
        match options.pop() {
            Some(n) if n == start => return path,
            Some(n) if seen.insert(n) => {
                path.push(n);
                next.push(successors(graph, members, n));
            }
            Some(_) => {}
            None => {
                next.pop();
                path.pop();
            }
        }
    }
    vec![start]
}

fn successors(
    graph: &DiGraph<Node<'_>, Wait<'_>>,
    members: &BTreeSet<NodeIndex>,
    n: NodeIndex,
) -> Vec<NodeIndex> {
    let mut out: Vec<NodeIndex> = graph.neighbors(n).filter(|m| members.contains(m)).collect();
    // Popped from the end: the lowest task first.
    out.sort_unstable_by_key(|&m| std::cmp::Reverse(graph[m]));
    out
}
