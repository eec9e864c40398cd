//! The preview's coding sessions, recorded by the hooks' own call (`baton_hooks::hook`) with
//! the payloads Claude Code sends, in a made-up repository `shop` under the preview's scratch
//! folder: a real git repository (its first commit made at a fixed time, so its identity is
//! the same at every run) with a second worktree `shop-coupons` on the branch
//! `feature-coupons`. In the worktree, "coupons" changes the cart and the README's end; then on
//! `main`, "checkout" is mid-turn changing the same lines of the cart, and "docs" finished a
//! turn on the README and then wrote the cart too, which the permit flags (the cart is
//! checkout's lease). The two branches are a parallel edit of two files, whose forecast (the
//! engine asks git once the writes pause) names the cart's conflicting lines. Without git the folder stays a plain one.

use std::path::{Path, PathBuf};
use std::process::Command;

use baton_core::hooks::{HookClient, PermitMode};
use baton_hooks::HookOptions;
use serde_json::json;

use crate::commands::error::CliError;

const CART: &str = "export const cart = {\n  items: [],\n  total: 0,\n};\n";
const README: &str = "# Shop\n\nA small shop.\n\n## Development\n\nnpm test\n";

/// One step of the story: a session's hook call, or a file it writes (between its PreToolUse
/// and PostToolUse, as the client does).
enum Step {
    Call(&'static str, Vec<u8>),
    Write(PathBuf, &'static str),
}

/// What a session of Claude Code says to its hooks: (session, event, extra fields).
fn payload(session: &str, cwd: &Path, event: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut payload = json!({
        "session_id": session,
        "transcript_path": cwd.join(format!(".transcripts/{session}.jsonl")),
        "cwd": cwd,
        "permission_mode": "acceptEdits",
        "hook_event_name": event,
    });
    if let (Some(into), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        into.extend(extra.clone());
    }
    payload.to_string().into_bytes()
}

fn write_tool(event: &str, file: &Path, content: &str) -> serde_json::Value {
    json!({
        "hook_event_name": event,
        "tool_name": "Write",
        "tool_input": {"file_path": file, "content": content},
        "tool_use_id": format!("toolu_{}", file.file_name().and_then(|f| f.to_str()).unwrap_or("f")),
    })
}

/// A session of the story: its name, id and folder.
struct Session {
    name: &'static str,
    id: &'static str,
    cwd: PathBuf,
}

impl Session {
    fn call(&self, event: &str, extra: serde_json::Value) -> Step {
        Step::Call(self.name, payload(self.id, &self.cwd, event, extra))
    }

    fn prompt(&self, prompt: &str) -> Step {
        self.call("UserPromptSubmit", json!({ "prompt": prompt }))
    }

    /// A whole Write of `path` (inside its folder): asked, written, told.
    fn write(&self, path: &str, content: &'static str) -> [Step; 3] {
        let file = self.cwd.join(path);
        [
            self.call("PreToolUse", write_tool("PreToolUse", &file, content)),
            Step::Write(file.clone(), content),
            self.call("PostToolUse", write_tool("PostToolUse", &file, content)),
        ]
    }
}

/// One git command in `dir`, its commits dated at a fixed time; whether it succeeded.
fn git(dir: &Path, args: &[&str]) -> bool {
    let at = "2026-11-01T09:00:00Z";
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Baton preview",
            "-c",
            "user.email=preview@baton.invalid",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", at)
        .env("GIT_COMMITTER_DATE", at)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// `shop` as a repository with its first commit, and the worktree `shop-coupons` on
/// `feature-coupons`; false (the folders plain) when git is not there.
fn repository(shop: &Path, worktree: &Path) -> Result<bool, CliError> {
    std::fs::create_dir_all(shop.join("src"))?;
    std::fs::write(shop.join("src/cart.ts"), CART)?;
    std::fs::write(shop.join("README.md"), README)?;
    let made = git(shop, &["init", "-q"])
        && git(shop, &["add", "-A"])
        && git(shop, &["commit", "-q", "-m", "The shop"])
        && git(
            shop,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "feature-coupons",
                &worktree.to_string_lossy(),
            ],
        );
    if !made {
        tracing::warn!("git is not there: the preview's coding sessions are in plain folders");
        std::fs::create_dir_all(worktree.join("src"))?;
    }
    Ok(made)
}

/// Records the story's sessions in the store at `store` (see the module's docs).
pub async fn coding_sessions(store: &Path, scratch: &Path) -> Result<(), CliError> {
    let shop = scratch.join("shop");
    let coupons_dir = scratch.join("shop-coupons");
    repository(&shop, &coupons_dir)?;
    let checkout = Session {
        name: "checkout",
        id: "3f6c1a2e-checkout",
        cwd: shop.clone(),
    };
    let docs = Session {
        name: "docs",
        id: "9b2d7e41-docs",
        cwd: shop.clone(),
    };
    let coupons = Session {
        name: "coupons",
        id: "c0a9e5d3-coupons",
        cwd: coupons_dir,
    };
    let start = json!({"source": "startup"});
    // The worktree's session first: main's sessions then meet its edits (a parallel edit),
    // and each branch keeps its own lease of a file (a lease is per file and branch).
    let mut steps = vec![
        coupons.call("SessionStart", start.clone()),
        coupons.prompt("Let customers apply coupons at checkout"),
    ];
    steps.extend(coupons.write(
        "src/cart.ts",
        "export const cart = {\n  items: [],\n  coupons: [],\n  total: 0,\n};\n",
    ));
    steps.extend(coupons.write(
        "README.md",
        "# Shop\n\nA small shop.\n\n## Development\n\nnpm test\n\n## Coupons\n\nSee src/coupons.ts.\n",
    ));
    steps.push(checkout.call("SessionStart", start.clone()));
    steps.push(checkout.prompt("Add a discount code field to the cart"));
    steps.extend(checkout.write(
        "src/cart.ts",
        "export const cart = {\n  items: [],\n  discountCode: null,\n  total: 0,\n};\n",
    ));
    steps.push(docs.call("SessionStart", start));
    steps.push(docs.prompt("Document the checkout flow in the README"));
    steps.extend(docs.write(
        "README.md",
        "# Shop\n\nA small shop: browse, fill the cart, check out.\n\n## Development\n\nnpm test\n",
    ));
    steps.push(docs.call("Stop", json!({"stop_hook_active": false})));
    steps.push(docs.prompt("Fix the cart's import while you are there"));
    // Asked only: the cart is checkout's lease (an item in the queue).
    steps.push(docs.call(
        "PreToolUse",
        write_tool(
            "PreToolUse",
            &shop.join("src/cart.ts"),
            "import { cart } from './cart';\n",
        ),
    ));
    let db = store.to_path_buf();
    tokio::task::spawn_blocking(move || run(&db, steps))
        .await
        .map_err(|err| CliError::Invalid(format!("recording the coding sessions: {err}")))?
}

fn run(db: &Path, steps: Vec<Step>) -> Result<(), CliError> {
    for step in steps {
        let (name, bytes) = match step {
            Step::Write(file, content) => {
                std::fs::write(file, content)?;
                continue;
            }
            Step::Call(name, bytes) => (name, bytes),
        };
        let options = HookOptions {
            client: HookClient::ClaudeCode,
            event: None,
            mode: PermitMode::Warn,
            lease_minutes: 10,
            // Nobody answers in a preview's queue at start: never wait for a person.
            ask_seconds: 0,
            route_wait: 0,
            name: Some(format!("shop·{name}")),
            parallel: baton_core::hooks::ParallelMode::default(),
            budget: baton_hooks::store_budget(),
            deliverer: None,
            own_server: None,
        };
        let reply = baton_hooks::hook(db.to_path_buf(), &options, &mut bytes.as_slice());
        if reply.exit_code != 0 && !reply.stderr.is_empty() {
            tracing::info!(session = name, reply = %reply.stderr.trim(), "hook answered");
        }
    }
    Ok(())
}
