fn main() {
    // The window's files are embedded at compile time (`generate_context!`): a new UI build must
    // rebuild the app, or a warm tree runs yesterday's UI.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=../crates/baton-commands/src/names.rs");
    // Declaring the app's commands makes Tauri generate an `allow-<command>` permission for each;
    // capabilities/default.json then grants exactly these to the main window, nothing else.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(baton_commands::COMMANDS)),
    )
    .expect("tauri build script failed");
}

/// The command names, from the commands crate's one list (included, not depended on: a
/// build-dependency would compile the engine a second time).
mod baton_commands {
    include!("../crates/baton-commands/src/names.rs");
}
