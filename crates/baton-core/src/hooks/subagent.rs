//! A subagent: a worker inside a coding session (Claude Code's `agent_id`), with its own leases
//! and permits. Claude Code 2.1.328 runs subagents in the background by default: the main
//! thread's turn may end (`Stop`) while they still write, and each of their hook calls carries
//! the parent's `session_id` plus `agent_id` and `agent_type`; `SubagentStart` and
//! `SubagentStop` bracket each one's work. Pure: how a subagent is named, how many are working
//! is said, and which prompts are no person's.

/// The subagent a hook call comes from (none: the session's main thread).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubagentRef {
    /// The client's id of the subagent (Claude Code's `agent_id`, e.g. `ad6ac2b2575a83aec`).
    pub id: String,
    /// Its type (`general-purpose`, `Explore`, a project's own agent); None when not sent.
    pub agent_type: Option<String>,
}

/// What a subagent is called when its client does not say its type.
pub const UNTYPED_SUBAGENT: &str = "subagent";

/// The longest type kept in a subagent's name; a longer one is cut (with `…`).
pub const MAX_TYPE_CHARS: usize = 60;

/// The subagent's name for people: its session's, then its type and its number among the
/// session's subagents of that type: `repo·4f1c2a9e › general-purpose #2`.
pub fn subagent_name(session: &str, agent_type: Option<&str>, number: u32) -> String {
    format!("{session} › {} #{number}", subagent_type_label(agent_type))
}

/// The type as a name shows it: trimmed, one line, at most [`MAX_TYPE_CHARS`] characters;
/// [`UNTYPED_SUBAGENT`] when none (or only blanks) was sent.
pub fn subagent_type_label(agent_type: Option<&str>) -> String {
    let clean: String = agent_type
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if clean.is_empty() {
        return UNTYPED_SUBAGENT.to_owned();
    }
    if clean.chars().count() > MAX_TYPE_CHARS {
        let cut: String = clean.chars().take(MAX_TYPE_CHARS - 1).collect();
        return format!("{cut}…");
    }
    clean
}

/// "1 subagent working", "3 subagents working": what a session's card and its turn say while
/// its subagents work after the main thread ended its turn.
pub fn subagents_working(count: u32) -> String {
    match count {
        1 => "1 subagent working".to_owned(),
        n => format!("{n} subagents working"),
    }
}

/// Whether a prompt is the client telling the main thread that a background subagent finished
/// (Claude Code sends it as a `UserPromptSubmit` whose prompt starts `<task-notification>`),
/// not a person's prompt: it continues the turn instead of starting one.
pub fn is_task_notification(prompt: &str) -> bool {
    prompt.trim_start().starts_with("<task-notification>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subagent_is_named_under_its_session_by_type_and_number() {
        assert_eq!(
            subagent_name("repo·4f1c2a9e", Some("general-purpose"), 2),
            "repo·4f1c2a9e › general-purpose #2"
        );
        assert_eq!(
            subagent_name("repo·4f1c2a9e", None, 1),
            "repo·4f1c2a9e › subagent #1"
        );
        assert_eq!(
            subagent_name("repo·4f1c2a9e", Some("  \n "), 3),
            "repo·4f1c2a9e › subagent #3"
        );
    }

    #[test]
    fn a_junk_type_is_one_short_line() {
        assert_eq!(
            subagent_type_label(Some(" code\n  reviewer ")),
            "code reviewer"
        );
        let long = "x".repeat(500);
        let label = subagent_type_label(Some(&long));
        assert_eq!(label.chars().count(), MAX_TYPE_CHARS);
        assert!(label.ends_with('…'));
    }

    #[test]
    fn working_subagents_are_counted_in_words() {
        assert_eq!(subagents_working(1), "1 subagent working");
        assert_eq!(subagents_working(3), "3 subagents working");
    }

    #[test]
    fn a_task_notification_is_no_persons_prompt() {
        assert!(is_task_notification(
            "<task-notification>\n<task-id>ad6ac2b2575a83aec</task-id>\n<status>completed</status>"
        ));
        assert!(!is_task_notification("Write src/app.rs"));
        assert!(!is_task_notification("explain <task-notification> tags"));
    }
}
