//! Where a patch run through the shell really lands: `apply_patch` envelopes inside a shell
//! command, their paths resolved against the folder the command is in when it reaches them
//! (the call's `workdir`, then `cd X &&`, `cd X;`, `pushd X`, `popd` on the way), and what
//! cannot be known for sure (`cd $DIR`, `cd -`, `cd ~`, `cd` alone) said rather than guessed.

/// The files a shell command's patches change, and why some could not be placed for sure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellPatches {
    /// Absolute paths (relative ones only when no working directory is known at all).
    pub paths: Vec<String>,
    /// Why some of the command's patches could not be placed: set, they land somewhere Baton
    /// cannot name, and the write is treated as unchecked.
    pub unsure: Option<String>,
}

/// The folder a command is in: known, unknown because the session sent no cwd (paths stay
/// relative, as written), or unknowable from the command's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Folder {
    Known(String),
    NoCwd,
    Unsure(String),
}

impl Folder {
    fn start(cwd: Option<&str>, workdir: Option<&str>) -> Folder {
        match (workdir.filter(|w| !w.is_empty()), cwd) {
            (Some(dir), _) if dir.starts_with('~') || dir.contains('$') => {
                Folder::Unsure(format!("the call's workdir \"{dir}\" is not a plain path"))
            }
            (Some(dir), Some(cwd)) => Folder::Known(absolute(dir, Some(cwd))),
            (Some(dir), None) if dir.starts_with('/') => Folder::Known(absolute(dir, None)),
            (Some(dir), None) => Folder::Unsure(format!(
                "the call's workdir \"{dir}\" is relative to nothing"
            )),
            (None, Some(cwd)) => Folder::Known(absolute(cwd, None)),
            (None, None) => Folder::NoCwd,
        }
    }

    /// `cd <arg>` from here.
    fn enter(&self, arg: Option<&str>, verb: &str) -> Folder {
        let Some(arg) = arg else {
            return Folder::Unsure(format!("`{verb}` alone goes to a home folder"));
        };
        if arg == "-" || arg.starts_with('~') || arg.contains(['$', '`', '*', '?', '(']) {
            return Folder::Unsure(format!(
                "`{verb} {arg}` goes to a folder the text does not name"
            ));
        }
        match self {
            _ if arg.starts_with('/') => Folder::Known(absolute(arg, None)),
            Folder::Known(dir) => Folder::Known(absolute(arg, Some(dir))),
            Folder::NoCwd => Folder::Unsure(format!(
                "`{verb} {arg}` is relative to a working directory the session did not send"
            )),
            Folder::Unsure(why) => Folder::Unsure(why.clone()),
        }
    }
}

/// The patches in `text` (one shell command, or one argument of it), with the command started
/// in `workdir` (relative to `cwd`) or else in `cwd`.
pub fn shell_patches(text: &str, cwd: Option<&str>, workdir: Option<&str>) -> ShellPatches {
    let mut out = ShellPatches::default();
    let mut folder = Folder::start(cwd, workdir);
    let mut pushed: Vec<Folder> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim();
        if inside {
            if trimmed == "*** End Patch" {
                inside = false;
            } else if let Some(path) = header_path(line) {
                place(&mut out, &folder, path);
            }
            continue;
        }
        if trimmed == "*** Begin Patch" {
            inside = true;
            continue;
        }
        // A command line: what comes before a here-document's marker moves the folder.
        let command = line.split("<<").next().unwrap_or("");
        for segment in command.split(['&', ';', '|']) {
            let mut words = segment
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(['(', ')', '{', '}'])
                        .trim_matches(['"', '\''])
                })
                .filter(|w| !w.is_empty());
            match words.next() {
                Some(verb @ "cd") => {
                    let arg = words.find(|w| !matches!(*w, "-P" | "-L" | "--"));
                    folder = folder.enter(arg, verb);
                }
                Some(verb @ "pushd") => {
                    let next = folder.enter(words.next(), verb);
                    pushed.push(std::mem::replace(&mut folder, next));
                }
                Some("popd") => {
                    folder = pushed.pop().unwrap_or_else(|| {
                        Folder::Unsure("`popd` returns to a folder the text does not name".into())
                    });
                }
                _ => {}
            }
        }
    }
    out
}

fn place(out: &mut ShellPatches, folder: &Folder, path: &str) {
    let placed = if path.starts_with('/') {
        absolute(path, None)
    } else if path.starts_with('~') || path.contains('$') {
        out.unsure.get_or_insert_with(|| {
            format!("the patch names \"{path}\", a path the text does not spell out")
        });
        return;
    } else {
        match folder {
            Folder::Known(dir) => absolute(path, Some(dir)),
            Folder::NoCwd => path.to_owned(),
            Folder::Unsure(why) => {
                out.unsure.get_or_insert_with(|| {
                    format!(
                        "the patch's \"{path}\" is relative to a folder Baton cannot tell: {why}"
                    )
                });
                return;
            }
        }
    };
    if !out.paths.contains(&placed) {
        out.paths.push(placed);
    }
}

/// The path of an envelope's `*** Add/Update/Delete File:` or `*** Move to:` line.
fn header_path(line: &str) -> Option<&str> {
    const HEADERS: [&str; 4] = [
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    let line = line.trim_end_matches('\r');
    HEADERS
        .iter()
        .find_map(|h| line.strip_prefix(h))
        .map(str::trim)
        .filter(|path| !path.is_empty())
}

/// The paths an `apply_patch` envelope adds, updates, deletes or moves to, as written.
pub fn patch_paths(text: &str) -> Vec<&str> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match line.trim() {
            "*** Begin Patch" => inside = true,
            "*** End Patch" => inside = false,
            _ if inside => {
                if let Some(path) = header_path(line) {
                    if !out.contains(&path) {
                        out.push(path);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// `path` made absolute against `cwd` (when relative and a cwd is known) and normalised: `.`
/// and `..` resolved, repeated slashes folded. Nothing is read from the disk.
pub fn absolute(path: &str, cwd: Option<&str>) -> String {
    let joined = match cwd {
        Some(cwd) if !path.starts_with('/') => format!("{cwd}/{path}"),
        _ => path.to_owned(),
    };
    if !joined.starts_with('/') {
        return joined;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}
