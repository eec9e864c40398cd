//! Where shell-run patches land: every form of changing folder before `apply_patch`.

use serde_json::{json, Value};

use crate::hooks::{shell_patches, tool_effect, ToolCall, ToolEffect};

fn exec(input: Value) -> ToolEffect {
    let tool = ToolCall {
        name: "exec_command".into(),
        input,
    };
    tool_effect(&tool, Some("/repo"))
}

fn patch(path: &str) -> String {
    format!("apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: {path}\n@@\n-a\n+b\n*** End Patch\nEOF\n")
}

fn writes(paths: &[&str]) -> ToolEffect {
    ToolEffect::Writes(paths.iter().map(|p| p.to_string()).collect())
}

#[test]
fn a_shell_run_patch_lands_in_the_folder_the_command_is_in() {
    let app = writes(&["/repo/src/app.rs"]);
    for (cmd, workdir) in [
        (format!("cd src && {}", patch("app.rs")), None),
        (format!("cd src; {}", patch("app.rs")), None),
        (format!("cd src\n{}", patch("app.rs")), None),
        (format!("cd \"src\" && {}", patch("app.rs")), None),
        (format!("pushd src >/dev/null; {}", patch("app.rs")), None),
        (format!("pushd src && {}popd", patch("app.rs")), None),
        (patch("app.rs"), Some("src")),
        (patch("app.rs"), Some("/repo/src")),
        (patch("/repo/src/app.rs"), Some("/elsewhere")),
        (format!("cd /repo/lib && {}", patch("../src/app.rs")), None),
        (
            format!("cd tests && cd ../src && {}", patch("./app.rs")),
            None,
        ),
        (format!("cd -P src || exit 1; {}", patch("app.rs")), None),
        (format!("(cd src && {})", patch("app.rs")), None),
    ] {
        let input = match workdir {
            Some(dir) => json!({"cmd": cmd, "workdir": dir}),
            None => json!({"cmd": cmd}),
        };
        assert_eq!(exec(input), app, "{cmd:?} in {workdir:?}");
    }
    // A `cd` after the patch does not move it; `popd` comes back to where `pushd` left.
    assert_eq!(
        exec(json!({"cmd": format!("{}cd src", patch("app.rs"))})),
        writes(&["/repo/app.rs"])
    );
    assert_eq!(
        exec(json!({"cmd": format!("pushd src; popd; {}", patch("app.rs"))})),
        writes(&["/repo/app.rs"])
    );
    // Two patches, two folders.
    let two = format!(
        "cd src && {}cd ../docs && {}",
        patch("app.rs"),
        patch("a.md")
    );
    assert_eq!(
        exec(json!({"cmd": two})),
        writes(&["/repo/src/app.rs", "/repo/docs/a.md"])
    );
    // Codex's shell tool as an argument list: the script is one of its texts.
    let argv = json!({"command": ["bash", "-lc", format!("cd src && {}", patch("app.rs"))]});
    assert_eq!(exec(argv), app);
}

#[test]
fn a_patch_whose_folder_the_text_does_not_name_is_unsure_never_a_free_file() {
    for (cmd, workdir, says) in [
        (format!("cd $SRC && {}", patch("app.rs")), None, "cd $SRC"),
        (
            format!(
                "cd \"$(git rev-parse --show-toplevel)\" && {}",
                patch("app.rs")
            ),
            None,
            "cd $(git",
        ),
        (format!("cd - && {}", patch("app.rs")), None, "cd -"),
        (
            format!("cd ~/repo && {}", patch("app.rs")),
            None,
            "cd ~/repo",
        ),
        (format!("cd && {}", patch("app.rs")), None, "`cd` alone"),
        (format!("popd; {}", patch("app.rs")), None, "popd"),
        (patch("app.rs"), Some("$HOME/x"), "workdir"),
        (patch("~/repo/app.rs"), None, "~/repo/app.rs"),
    ] {
        let input = match workdir {
            Some(dir) => json!({"cmd": cmd, "workdir": dir}),
            None => json!({"cmd": cmd}),
        };
        match exec(input) {
            ToolEffect::UnsureWrites { paths, why } => {
                assert!(paths.is_empty(), "{cmd:?}: {paths:?}");
                assert!(why.contains(says), "{cmd:?}: {why}");
            }
            other => panic!("{cmd:?}: {other:?}"),
        }
    }
    // An absolute path is sure wherever the command went; the relative one beside it is not.
    let mixed =
        "cd $X && apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: /repo/src/app.rs\n\
                 *** Update File: lib.rs\n*** End Patch\nEOF\n";
    assert_eq!(
        exec(json!({"cmd": mixed})),
        ToolEffect::UnsureWrites {
            paths: vec!["/repo/src/app.rs".into()],
            why: "the patch's \"lib.rs\" is relative to a folder Baton cannot tell: `cd $X` goes to a folder the text does not name".into(),
        }
    );
}

#[test]
fn without_a_working_directory_relative_paths_stay_as_written_unless_a_cd_moves_them() {
    let found = shell_patches(&patch("app.rs"), None, None);
    assert_eq!(
        (found.paths, found.unsure),
        (vec!["app.rs".to_owned()], None)
    );
    let moved = shell_patches(&format!("cd src && {}", patch("app.rs")), None, None);
    assert!(moved.paths.is_empty());
    assert!(moved.unsure.unwrap().contains("did not send"));
    let relative_workdir = shell_patches(&patch("app.rs"), None, Some("src"));
    assert!(relative_workdir
        .unsure
        .unwrap()
        .contains("relative to nothing"));
    // A here-document that is no patch, and a plain command: nothing written is seen.
    let tool = ToolCall {
        name: "Bash".into(),
        input: json!({"command": "cd src && cat > x.rs <<EOF\nfn main() {}\nEOF\n"}),
    };
    assert!(matches!(
        tool_effect(&tool, Some("/repo")),
        ToolEffect::Shell(_)
    ));
}
