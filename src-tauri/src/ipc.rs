//! The one invoke handler: every command the UI invokes goes to the commands' table
//! (`baton_commands::Commands::invoke`), its JSON arguments in, its JSON answer or
//! `{code, message, field}` out (in an app whose store a newer Baton wrote, `TooNew` answers).
//! Tauri has checked the command against the window's capability (`capabilities/default.json`,
//! from the names `build.rs` declares) before it gets here.

use baton_commands::{CommandError, Commands, TooNew};
use tauri::ipc::{Invoke, InvokeBody, InvokeError, InvokeResponseBody};
use tauri::{Manager, Runtime};

/// Answers one invoke from the table, asynchronously. Always true: an unknown name is the
/// table's own `unknown_command` error.
pub fn forward<R: Runtime>(invoke: Invoke<R>) -> bool {
    let Invoke {
        message, resolver, ..
    } = invoke;
    let name = message.command().to_owned();
    let Some(commands) = message.webview_ref().try_state::<Commands>() else {
        // A newer Baton's store: the UI is told so, and nothing else is done.
        match message.webview_ref().try_state::<TooNew>() {
            Some(too_new) => match too_new.answer(&name) {
                Ok(answer) => resolver.resolve(answer),
                Err(err) => resolver.reject(err.payload()),
            },
            None => {
                resolver.reject(CommandError::Internal("Baton is still starting".into()).payload())
            }
        }
        return true;
    };
    let commands = commands.inner().clone();
    let args = match message.payload() {
        InvokeBody::Json(args) => args.clone(),
        InvokeBody::Raw(_) => {
            resolver.reject(
                CommandError::InvalidArgs {
                    command: name,
                    message: "the arguments must be a JSON object".into(),
                }
                .payload(),
            );
            return true;
        }
    };
    resolver.respond_async_serialized(async move {
        match commands.invoke(&name, args).await {
            Ok(answer) => Ok(InvokeResponseBody::Json(answer.to_string())),
            Err(err) => Err(InvokeError::from(err.payload())),
        }
    });
    true
}
