//! Deadlocks: open tasks that wait, through `depends_on` (across agents too), on each other's
//! completion. The waits-for graph has an edge from every open task to every open task it
//! depends on; each strongly connected component with a cycle in it is one critical finding
//! naming the cycle. A chain that ends (in a task that is working on nothing it waits for) is
//! no deadlock, however long.

use std::collections::{BTreeSet, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::dependencies::dependencies;
use super::{evidence_in, finding, DetectInput, Finding, FindingKind, Severity};

/// One task of the graph: its agent (Baton's id) and id.
type Node<'a> = (i64, &'a str);

/// One finding per knot, with the tasks in it (agent, task id): the sequencing findings of
/// those tasks are the same cause, and are left out (see [`super::detect`]).
pub fn deadlocks<'a>(input: &'a DetectInput<'_>) -> Vec<(Finding, Vec<(i64, String)>)> {
    let mut graph: DiGraph<Node<'a>, ()> = DiGraph::new();
    let mut index: HashMap<Node<'a>, NodeIndex> = HashMap::new();
    let mut node = |graph: &mut DiGraph<Node<'a>, ()>, n: Node<'a>| {
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
                graph.update_edge(from, to, ());
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

/// The finding for one cyclic component: the cycle through its first task (in id order), the
/// other tasks of the component counted.
fn deadlock(
    input: &DetectInput<'_>,
    graph: &DiGraph<Node<'_>, ()>,
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
        format!("{}'s {task}", input.name(agent))
    };
    let mut said: Vec<String> = cycle.iter().map(|&n| name(n)).collect();
    said.push(name(start));
    let others = members.len() - cycle.len();
    let (first, rest) = said.split_first().expect("the cycle has a task");
    let mut summary = format!(
        "Deadlock: {first} waits for {}",
        rest.join(", which waits for ")
    );
    if others > 0 {
        summary.push_str(&format!(" ({others} more task(s) wait in the same knot)"));
    }
    let mut tasks: Vec<Node<'_>> = members.iter().map(|&n| graph[n]).collect();
    tasks.sort_unstable();
    let evidence = tasks
        .iter()
        .flat_map(|&(agent, task)| input.recent.task_states(agent, task))
        .map(evidence_in)
        .collect();
    let cause = tasks
        .iter()
        .map(|(agent, task)| format!("{agent}/{task}"))
        .collect::<Vec<_>>()
        .join(",");
    finding(
        FindingKind::Deadlock,
        Severity::Critical,
        tasks.iter().map(|&(agent, _)| agent).collect(),
        None,
        summary,
        evidence,
        &cause,
    )
}

/// A cycle through `start` inside the component (which has one): depth first, edges in the
/// order they were added.
fn cycle_from(
    graph: &DiGraph<Node<'_>, ()>,
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
    graph: &DiGraph<Node<'_>, ()>,
    members: &BTreeSet<NodeIndex>,
    n: NodeIndex,
) -> Vec<NodeIndex> {
    let mut out: Vec<NodeIndex> = graph.neighbors(n).filter(|m| members.contains(m)).collect();
    // Popped from the end: the lowest task first, for a stable wording.
    out.sort_unstable_by_key(|&m| std::cmp::Reverse(graph[m]));
    out
}
