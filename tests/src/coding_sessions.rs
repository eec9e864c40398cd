//! The story every coding-agent client test tells (Claude Code, Codex, Copilot CLI, Gemini CLI,
//! OpenCode, each real and driven by a model stand-in): session one writes a file and its turn
//! stays open, session two's write of the same file is refused, and the queue has one item for
//! it; each session is on the Agents view with its turns.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use baton_core::agent::AgentConfig;
use baton_core::detect::FindingKind;
use baton_core::escalations::Escalation;
use baton_core::task::TaskState;
use baton_core::views::{SessionSummary, TaskCard};
use baton_store::escalations::EscalationFilter;
use baton_store::Store;
use tokio::process::{Child, Command};

use crate::model_standin::Conversations;

/// How long one run of a client may take.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Session one (`session("one")`) writes `file` with the stand-in holding its last answer, so
/// its turn stays open; then session two (`session("two")`) runs to its end, refused: the file
/// keeps session one's content (`"one"` and `ending`). Returns session one, still running, session
/// two's output and the tool results session two sent the model (exactly one).
pub async fn second_session_refused(
    model: &Conversations,
    file: &Path,
    ending: &str,
    session: impl Fn(&str) -> Command,
) -> (Child, Output, Vec<(String, bool)>) {
    model.hold("one");
    let one = session("one").spawn().unwrap();
    tokio::time::timeout(RUN_LIMIT, model.wait_for_tool_result("one"))
        .await
        .expect("session one wrote the file");
    let content = format!("one{ending}");
    assert_eq!(std::fs::read_to_string(file).unwrap(), content);

    let two = tokio::time::timeout(RUN_LIMIT, session("two").output())
        .await
        .expect("session two ends")
        .unwrap();
    assert!(two.status.success(), "{two:?}");
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        content,
        "the file keeps session one's content"
    );
    let told = model.seen("two").tool_results;
    assert_eq!(told.len(), 1, "{told:?}");
    (one, two, told)
}

/// Lets session one's turn end; panics unless it ends well.
pub async fn end_session_one(model: &Conversations, one: Child) {
    model.release("one");
    let one = tokio::time::timeout(RUN_LIMIT, one.wait_with_output())
        .await
        .expect("session one ends")
        .unwrap();
    assert!(one.status.success(), "{one:?}");
}

/// The open queue items: (kind, title).
pub fn open_items(store: &Store) -> Vec<(FindingKind, String)> {
    store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.title))
        .collect()
}

/// The open queue items once `ready` holds for them, waited for up to 20 s (a hook process on a
/// store far away hands a call's items to a process of its own, which files them after the
/// hook has exited); as they are then, whether or not it holds.
pub fn open_items_once(
    store: &Store,
    ready: impl Fn(&[(FindingKind, String)]) -> bool,
) -> Vec<(FindingKind, String)> {
    let started = std::time::Instant::now();
    loop {
        let items = open_items(store);
        if ready(&items) || started.elapsed() > std::time::Duration::from_secs(20) {
            return items;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The store after the refusal: two session agents (`repo·…`), and one open queue item, a
/// write collision on `file` (as the hook names it: canonical where the client's is).
pub fn refusal_in_queue(store: &Store, resource: &str) -> (Vec<AgentConfig>, Escalation) {
    let agents = store.agents().unwrap();
    assert_eq!(agents.len(), 2, "two sessions: {agents:?}");
    assert!(
        agents.iter().all(|a| a.name.starts_with("repo·")),
        "{agents:?}"
    );
    let mut items = store
        .escalations(EscalationFilter {
            open: true,
            closed: 0,
        })
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let item = items.remove(0);
    assert_eq!(item.kind, FindingKind::WriteCollision);
    assert_eq!(item.resource.as_deref(), Some(resource));
    (agents, item)
}

/// The sessions of `client` as the Agents view shows them (their rows' session summaries), each
/// with its turns (its task cards): one per prompt, titled with the prompt (`[session NAME] …`),
/// and in `ended` when given. Sorted by the session's name in its prompt (`one`, `two`).
pub fn sessions_shown(
    store: &Store,
    client: &str,
    ended: Option<TaskState>,
) -> Vec<(SessionSummary, Vec<TaskCard>)> {
    let mut shown: Vec<(SessionSummary, Vec<TaskCard>)> = store
        .agent_rows()
        .unwrap()
        .into_iter()
        .filter_map(|row| {
            let session = row.session?;
            let turns = store.task_cards(Some(row.config.id)).unwrap();
            Some((session, turns))
        })
        .collect();
    for (session, turns) in &shown {
        assert_eq!(session.client, client, "{session:?}");
        let prompt = session.prompt.as_deref().unwrap_or_default();
        assert!(prompt.contains("[session "), "{session:?}");
        assert_eq!(turns.len(), 1, "one turn per prompt: {turns:?}");
        assert_eq!(turns[0].task_id, "turn-1");
        assert!(turns[0].title.contains(prompt), "{turns:?} {prompt}");
        if let Some(state) = ended {
            assert_eq!(turns[0].state, state, "{turns:?}");
        }
    }
    shown.sort_by_key(|(session, _)| session.prompt.clone());
    shown
}

/// The person grants the file of the queue item `item` to the agent `agent_id`, as the app does.
pub fn grant_file(store: &mut Store, item: i64, agent_id: i64) {
    let grant = baton_core::escalations::EscalationAction::GrantLease { agent_id };
    store
        .decide_escalation(item, &grant, None, "ana", chrono::Utc::now())
        .unwrap();
}

/// Runs a session to its end; panics unless it ends well. Its output.
pub async fn run_to_end(mut session: Command, what: &str) -> Output {
    let out = tokio::time::timeout(RUN_LIMIT, session.output())
        .await
        .unwrap_or_else(|_| panic!("{what} ends"))
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    out
}

/// A Write of `file` by Claude Code's session `session_id` in `repo`, as its PreToolUse hook
/// receives it.
fn write_payload(repo: &Path, session_id: &str, file: &str) -> serde_json::Value {
    serde_json::json!({
        "session_id": session_id, "cwd": repo, "hook_event_name": "PreToolUse",
        "tool_name": "Write", "tool_input": {"file_path": file, "content": session_id}
    })
}

/// Runs `command` in `repo` with `payload` on its stdin, as a client runs a hook; its output.
fn run_hook_command(
    mut command: std::process::Command,
    repo: &Path,
    payload: &serde_json::Value,
) -> Result<Output, String> {
    use std::io::Write as _;
    let mut child = command
        .current_dir(repo)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{command:?}: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(payload.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    child.wait_with_output().map_err(|e| e.to_string())
}

/// Runs the PreToolUse hook Baton installed in `repo`'s Claude Code settings (`settings`: the
/// file's text) as Claude Code would: a session `session_id` writing `notes.md` there. The
/// hook must allow it silently (no output, exit 0).
pub fn run_installed_hook(settings: &str, repo: &Path, session_id: &str) -> Result<(), String> {
    let installed: serde_json::Value = serde_json::from_str(settings).map_err(|e| e.to_string())?;
    let command = installed["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .ok_or_else(|| format!("no PreToolUse command in {settings}"))?;
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", command]);
    let out = run_hook_command(sh, repo, &write_payload(repo, session_id, "notes.md"))?;
    if !out.status.success() || !out.stdout.is_empty() || !out.stderr.is_empty() {
        return Err(format!("the installed hook answered {out:?}"));
    }
    Ok(())
}

/// Twenty lines ("line 1"…), line `changed` (from 1) replaced by `text`: what two branches
/// change close together (a conflict) or far apart (a clean merge).
pub fn twenty_lines(changed: Option<(usize, &str)>) -> String {
    (1..=20)
        .map(|n| match changed {
            Some((line, text)) if line == n => format!("{text}\n"),
            _ => format!("line {n}\n"),
        })
        .collect()
}

/// One PreToolUse call of Claude Code's session `session_id` writing `file` in `repo`, through
/// the real `baton-hook` in `enforce` mode, as the hook Baton installs runs it; `env` says
/// where its store is (`BATON_DATA_DIR`, `BATON_STORE`). Its exit code: 0 allowed, 2 refused.
pub fn hook_write(
    env: &[(&str, &str)],
    repo: &Path,
    session_id: &str,
    file: &str,
) -> Result<i32, String> {
    let mut hook = std::process::Command::new(crate::peers::debug_hook());
    hook.args(["claude-code", "--mode", "enforce"])
        .envs(env.iter().copied());
    let out = run_hook_command(hook, repo, &write_payload(repo, session_id, file))?;
    out.status
        .code()
        .ok_or_else(|| format!("baton-hook ended by a signal: {out:?}"))
}

/// The tokens Baton stored for session `session_id` of `client`, all models added up.
pub fn stored_usage(
    store: &Store,
    client: baton_core::hooks::HookClient,
    session_id: &str,
) -> baton_core::usage::TokenUse {
    let agent = store
        .agent_rows()
        .unwrap()
        .into_iter()
        .find(|row| {
            row.session
                .as_ref()
                .is_some_and(|s| s.session_id == session_id)
        })
        .unwrap_or_else(|| panic!("session {session_id} on the Agents view"))
        .config
        .id;
    let usage = store
        .session_usage(agent, client, chrono::Utc::now())
        .unwrap()
        .unwrap_or_else(|| panic!("Baton read session {session_id}'s usage"));
    let mut total = baton_core::usage::TokenUse::default();
    for model in &usage.models {
        total.add(model.tokens);
    }
    total
}
