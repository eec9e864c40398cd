//! The options of the subcommands that act on something (`hooks`, `store`, `decisions`,
//! `schema`, `escalations`, `decide`), apart from the command line's top (`super`).

use std::path::PathBuf;

use baton_core::hooks::HookClient;
use clap::builder::PossibleValuesParser;
use clap::Subcommand;

/// Which client's settings, and where.
#[derive(Debug, clap::Args)]
pub struct HooksWhere {
    /// claude-code, codex, copilot, gemini or opencode.
    #[arg(value_parser = PossibleValuesParser::new(HookClient::ALL.map(HookClient::as_str)))]
    pub client: String,
    /// The repository whose settings get the hooks (`.claude/settings.json`,
    /// `.codex/hooks.json`, `.github/hooks/baton.json`, `.gemini/settings.json`,
    /// `.opencode/plugin/baton.js`).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "user",
        required_unless_present = "user"
    )]
    pub project: Option<PathBuf>,
    /// The user's own settings (`~/.claude/settings.json`, `$CODEX_HOME/hooks.json`,
    /// `~/.gemini/settings.json`, `~/.config/opencode/plugin/baton.js`, …), for every repository.
    #[arg(long)]
    pub user: bool,
}

#[derive(Debug, Subcommand)]
pub enum HooksAction {
    /// Add Baton's hooks (again: replaces Baton's entries, never the person's).
    Install {
        #[command(flatten)]
        place: HooksWhere,
        /// observe: record only; warn: allow and escalate; enforce: refuse and escalate.
        #[arg(long, default_value = "warn", value_parser = PossibleValuesParser::new(["observe", "warn", "enforce"]))]
        mode: String,
        /// Two branches of the repository changing one file (parallel edits): off: not looked
        /// for; warn (the hook's default): allow and tell; enforce: refuse the second branch.
        #[arg(long, value_parser = PossibleValuesParser::new(["off", "warn", "enforce"]))]
        parallel: Option<String>,
        /// Claude Code: chain its status line too (Baton reads the windows and cost it is
        /// handed; your own status-line command still runs and shows).
        #[arg(long)]
        statusline: bool,
        /// Leave the client's telemetry settings as they are (by default Claude Code, Codex
        /// and Gemini CLI send their own figures of each model call, their API errors and tool
        /// decisions to Baton's OTLP receiver; prompts are never sent).
        #[arg(long)]
        no_telemetry: bool,
    },
    /// Remove Baton's hooks, and only those (and its status line, putting yours back).
    Uninstall {
        #[command(flatten)]
        place: HooksWhere,
    },
    /// Which events have Baton's hooks.
    Status {
        #[command(flatten)]
        place: HooksWhere,
    },
    /// Deliver this data folder's spool of hook calls that went ahead unchecked (the store
    /// too slow or away) to the store now: each recorded once, as it happened.
    Deliver,
    /// Answer this data folder's hook calls from a process of its own until none came for
    /// `--idle-seconds` (what the first hook call on a PostgreSQL store starts when no app
    /// and no `baton watch` answers them: each call then costs one round trip to the store).
    Serve {
        /// Exit after this long without a call.
        #[arg(long, value_name = "SECONDS", default_value_t = baton_hooks::own_server::IDLE_EXIT.as_secs())]
        idle_seconds: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Bring the store's schema up to date (every start does it too) and say where it is.
    Migrate,
    /// Copy every table of one store into another, empty, one (SQLite into PostgreSQL, or
    /// back): all of it or nothing, the decision log's chain verified after.
    Copy {
        /// The store to copy: a path or a postgres:// URL.
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// The store to copy into (created and migrated if need be; must be empty).
        #[arg(long, value_name = "PATH|URL")]
        to: String,
    },
    /// Make every Baton using this data folder (the app, `baton`, the hooks) use a store.
    Use {
        /// A postgres:// URL (no password in it) or a path.
        #[arg(required_unless_present = "default", value_name = "PATH|URL")]
        location: Option<String>,
        /// Back to baton.sqlite3 in the data folder.
        #[arg(long, conflicts_with = "location")]
        default: bool,
    },
    /// Keep the password of the store's PostgreSQL user in the OS keyring (read from stdin,
    /// one line), for the app and `baton` (the hooks read PGPASSWORD or ~/.pgpass).
    Password,
    /// Make a PostgreSQL role a viewer (sees everything, decides nothing) or a decider of the
    /// store, enforced by the database. Run it as the store's owner with CREATEROLE, or as a
    /// superuser (`--store postgres://postgres@…`); SQLite has no roles.
    Grant {
        /// The person's PostgreSQL login role (it must exist: `CREATE ROLE ana LOGIN …`).
        role: String,
        /// viewer or decider.
        #[arg(value_parser = ["viewer", "decider"])]
        what: String,
    },
    /// Who is a viewer and who a decider of a PostgreSQL store, and who owns it.
    Roles,
    /// Whether the app of this data folder watches its store (polls the agents, runs the
    /// detectors, delivers decisions) or only views it, a client of a store other watchers
    /// keep, from its next start (as its setting, `[watch] app` in baton.toml and BATON_WATCH;
    /// `baton watch` always watches). Without a value, says which it is.
    Watching {
        #[arg(value_parser = ["on", "off", "default"])]
        state: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DecisionsAction {
    /// Every entry, oldest first, one JSON object per line, with every hashed field (so the
    /// chain can be checked outside Baton).
    Export {
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Recompute the hash chain: exit 0 when intact, 1 naming the first entry that does not fit.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum SchemaAction {
    /// Set the schema of a handoff type (the payload's `type`) from a JSON file.
    Set {
        handoff_type: String,
        file: PathBuf,
        /// Who the decision log records (default: $BATON_USER, else $USER, else "cli").
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
    /// Print every handoff type and its schema.
    List,
    /// Stop checking a handoff type.
    Remove {
        handoff_type: String,
        #[arg(long, value_name = "NAME")]
        who: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EscalationCommand {
    /// Everything about it: what, who, since when, its evidence on one time axis, the decision
    /// and its delivery.
    Show {
        id: i64,
        /// The escalation and its evidence as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// What a person can decide on an escalation (which ones apply depends on its kind; the store
/// refuses the others, saying why).
#[derive(Debug, Subcommand)]
pub enum DecideAction {
    /// Let the agent go ahead (an agent's request for approval; a session's permission request).
    Approve,
    /// Tell the agent no (a session's permission request: refused, with --note as the reason).
    Reject,
    /// The agents run the task again.
    Retry,
    /// Make AGENT the owner of the escalation's resource (the ownership rule is added or
    /// changed, in the log).
    Give {
        /// The new owner's name or number.
        agent: String,
    },
    /// Not a real problem; the reason is required and kept in the log.
    Dismiss {
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Out of the way for a while (the SLA keeps running): 30m, 2h, 1d, at most 7d.
    Snooze {
        #[arg(value_name = "DURATION")]
        duration: String,
    },
    /// Answer an agent's question: the text goes to the agent with the approval.
    Answer { text: String },
    /// Share out a rate-limited API's quota: NAME=PERCENT,NAME=PERCENT (at most 100 in all).
    Split {
        #[arg(value_name = "SHARES")]
        shares: String,
    },
    /// A coding session refused a file another holds: the lease moves to SESSION, whose next
    /// try passes.
    Grant {
        /// The session's name or number.
        session: String,
    },
    /// A coding session refused a file: the session holding it keeps it.
    Keep,
    /// A coding session refused a file: each refused session may write it once more.
    AllowBothOnce,
    /// A deadlock: cancel AGENT's task TASK (a reject of that task goes to that agent alone).
    Cancel {
        /// The agent's name or number.
        agent: String,
        /// The task's id, as the agent reports it.
        task: String,
    },
    /// A deadlock between coding sessions: FILE's lease moves to SESSION, which waits for it.
    GiveFile {
        /// The session's name or number.
        session: String,
        /// The file, as a path or a file:// URI.
        file: String,
    },
    /// A parallel edit: SESSION's branch stops changing the item's files it changes, left to
    /// the other branches that change them (its writes of them are refused from its next try,
    /// with --note as the reason).
    StopTouching {
        /// The session's name or number.
        session: String,
    },
    /// A parallel edit: the item's files that SESSION's branch changes are that branch's (in
    /// `enforce` the other branches' writes of them are refused).
    HandToBranch {
        /// The session's name or number.
        session: String,
    },
    /// A parallel edit: all its branches go on changing the item's files (in the log; no item
    /// again for these files and branches). Also `let-all-go-on`.
    #[command(alias = "let-all-go-on")]
    LetBothGoOn,
    /// A usage window forecast to run out: the sessions on it stop until it resets (each
    /// one's next tool call is refused with the reason, and --note).
    PauseSessions,
    /// A usage window forecast to run out: the sessions go on.
    LetSessionsGoOn,
}

/// `baton otlp`: the OTLP receiver.
#[derive(Debug, Subcommand)]
pub enum OtlpAction {
    /// Change where the receiver listens (`[otlp]` in baton.toml); watchers take it at their
    /// next start.
    Set {
        /// `host:port`, an IP address (default 127.0.0.1:4318). Off loopback senders must show
        /// the receiver's token.
        #[arg(long, value_name = "ADDRESS")]
        listen: Option<String>,
        /// Run the receiver.
        #[arg(long, conflicts_with = "off")]
        on: bool,
        /// No receiver.
        #[arg(long)]
        off: bool,
    },
    /// Print the receiver's bearer token (made and kept in the OS keyring on first use).
    Token,
}

/// `baton notify`: the routes, where Baton reaches a person outside the app.
#[derive(Debug, Subcommand)]
pub enum NotifyAction {
    /// Add a route. An ntfy route gets long random topic names unless given (without access
    /// control the topic name is the password); its buttons post to the reply topic, which
    /// whoever watches (the app, `baton watch`) reads.
    Add(Box<NotifyAdd>),
    /// The routes: each one's kind, person, where it sends, where its token is kept (never the
    /// token), and how its sends went.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Send a test message on a route (exit 0 when the server took it; with --wait, when its
    /// button's answer came back), saying what failed otherwise (DNS, TLS, 401, 403, …).
    Test {
        name: String,
        /// Wait this many seconds for the test button to be tapped (0: do not wait).
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        wait: u64,
    },
    /// Remove a route (and its token, when Baton kept it).
    Remove { name: String },
    /// Change what a route sends, and how often (the settings not given stay as they are).
    Set {
        name: String,
        #[command(flatten)]
        policy: PolicyFlags,
        /// No quiet hours any more.
        #[arg(long, conflicts_with = "quiet_hours")]
        no_quiet_hours: bool,
    },
}

/// What a route sends, and how often (`baton notify add` and `set`).
#[derive(Debug, Default, clap::Args)]
pub struct PolicyFlags {
    /// When a class of item goes: CLASS=WHEN, classes approvals, critical, limits, silent,
    /// warnings, notes; WHEN now, digest or never (repeat, or separate with commas).
    /// Default: approvals, critical, limits and silent now, warnings digest, notes never.
    #[arg(long, value_name = "CLASS=WHEN")]
    pub send: Vec<String>,
    /// How often the digest goes, when it has something new (default 30).
    #[arg(long, value_name = "MINUTES")]
    pub digest_minutes: Option<u32>,
    /// Local hours when only critical items go (22:00-07:00); what they hold goes as the
    /// digest after them.
    #[arg(long, value_name = "HH:MM-HH:MM")]
    pub quiet_hours: Option<String>,
    /// Whether critical items still go in quiet hours (default true).
    #[arg(long, value_name = "BOOL")]
    pub critical_in_quiet: Option<bool>,
    /// More new items than this in 10 minutes are one message (0: never; default 5).
    #[arg(long, value_name = "N")]
    pub storm_items: Option<u32>,
}

/// `baton notify add`'s options.
#[derive(Debug, clap::Args)]
pub struct NotifyAdd {
    /// The route's name (`phone`).
    pub name: String,
    /// desktop, ntfy or webhook.
    #[arg(long, default_value = "ntfy", value_parser = PossibleValuesParser::new(["desktop", "ntfy", "webhook"]))]
    pub kind: String,
    /// Who answers on it: the decision log records its answers as this person's
    /// (default: $BATON_USER, else $USER).
    #[arg(long, value_name = "NAME")]
    pub person: Option<String>,
    /// ntfy: the server.
    #[arg(long, value_name = "URL", default_value = "https://ntfy.sh")]
    pub server: String,
    /// ntfy: the topic messages go to (default: baton- and 32 random hex digits).
    #[arg(long)]
    pub topic: Option<String>,
    /// ntfy: the topic the buttons post answers to (default: another random one).
    #[arg(long, conflicts_with = "no_reply")]
    pub reply_topic: Option<String>,
    /// ntfy: no reply topic, so no buttons (messages only).
    #[arg(long)]
    pub no_reply: bool,
    /// webhook: where the JSON goes.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// webhook: generic, slack, discord or teams.
    #[arg(long, value_parser = PossibleValuesParser::new(["generic", "slack", "discord", "teams"]))]
    pub shape: Option<String>,
    /// ntfy and webhook: the URL a notification opens; `{item}` becomes the queue item's id
    /// (`https://baton.example/items/{item}`).
    #[arg(long, value_name = "URL")]
    pub click: Option<String>,
    /// The access token is in this environment variable (of whoever watches).
    #[arg(long, value_name = "VAR", conflicts_with_all = ["token_keyring", "token_stdin"])]
    pub token_env: Option<String>,
    /// The access token is in this OS keyring entry.
    #[arg(long, value_name = "SERVICE/USER", conflicts_with = "token_stdin")]
    pub token_keyring: Option<String>,
    /// Read the access token from stdin and keep it in the OS keyring
    /// (dev.baton.app/route-NAME); it is never written anywhere else.
    #[arg(long)]
    pub token_stdin: bool,
    #[command(flatten)]
    pub policy: PolicyFlags,
}
