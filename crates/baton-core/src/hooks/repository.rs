//! A repository is one thing wherever it is checked out: its worktrees share its common git
//! directory, and its clones share its `origin` (or, without one, its first commit). Pure: the
//! caller reads the git files; this module says what they mean.
//!
//! The identity is a text stable across machines: `github.com/acme/shop` for a remote
//! (`git@github.com:acme/shop.git`, `https://user@github.com/acme/shop`, `ssh://git@github.com/
//! acme/shop.git` are all that), `root:<hash>` for a repository without one, named by its first
//! commit. A file of the repository is the resource `repo://<identity>/<path inside it>`.

/// The identity of a repository whose `origin` is `url`, in one spelling for all its forms:
/// scheme, user info, port-less `host:path` (scp) form, a trailing `.git` and slashes dropped,
/// the host in lower case. `None` for text that names no repository.
pub fn remote_identity(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let (host, path) = match url.split_once("://") {
        Some((scheme, rest)) => {
            // A remote on this machine's disk names no repository across machines.
            if scheme.eq_ignore_ascii_case("file") {
                return None;
            }
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            // A port is part of where, not of what: `ssh://git@host:22/x` is `host/x`.
            let host = host.split(':').next().unwrap_or(host);
            (host, path)
        }
        None => {
            if url.starts_with(['/', '.', '~']) {
                return None;
            }
            // scp form: `[user@]host:path`.
            let (authority, path) = url.split_once(':')?;
            let host = authority.rsplit('@').next().unwrap_or(authority);
            (host, path)
        }
    };
    let host = host.to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

/// The `url` of `[remote "origin"]` in a git `config` file's text.
pub fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let section: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            in_origin = section.eq_ignore_ascii_case("[remote\"origin\"]");
            continue;
        }
        if !in_origin {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim().eq_ignore_ascii_case("url") {
                let value = value.trim().trim_matches('"');
                return Some(value.to_owned());
            }
        }
    }
    None
}

/// The identity of a repository without a remote: its first (root) commit.
pub fn root_commit_identity(commit: &str) -> Option<String> {
    let commit = commit.trim();
    (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("root:{}", commit.to_ascii_lowercase()))
}

/// The resource a repository's file is: `repo://<identity>/<path inside it>`.
pub fn repo_resource(identity: &str, path: &str) -> String {
    format!("repo://{identity}/{}", path.trim_start_matches('/'))
}

/// The resource a file at the absolute `path` is for a session whose checkout is at `root`,
/// of the repository `identity`: `repo://<identity>/<path inside>` when the file is in the
/// checkout, else `None` (the file is outside every repository Baton knows of).
pub fn resource_in_checkout(path: &str, root: &str, identity: &str) -> Option<String> {
    let root = root.trim_end_matches('/');
    let inside = path.strip_prefix(root)?.strip_prefix('/')?;
    (!inside.is_empty() && !identity.is_empty()).then(|| repo_resource(identity, inside))
}

/// A repository's name for a person: the folder of its main checkout when known
/// (`main_checkout`, `/home/me/shop`), else the last part of its remote
/// (`github.com/acme/shop` is `shop`), the folder of its git directory (`local:/x/shop/.git`
/// is `shop`), or the first commit's short hash (`root:4f1c2a9…` is `root:4f1c2a9`).
pub fn repository_label(identity: &str, main_checkout: Option<&str>) -> String {
    let last = |path: &str| {
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
    };
    if let Some(name) = main_checkout.and_then(last) {
        return name;
    }
    if let Some(hash) = identity.strip_prefix("root:") {
        return format!("root:{}", hash.get(..7).unwrap_or(hash));
    }
    if let Some(git_dir) = identity.strip_prefix("local:") {
        let git_dir = git_dir.trim_end_matches('/');
        let folder = git_dir
            .strip_suffix("/.git")
            .or_else(|| git_dir.strip_suffix(".git"))
            .unwrap_or(git_dir);
        return last(folder).unwrap_or_else(|| identity.to_owned());
    }
    last(identity).unwrap_or_else(|| identity.to_owned())
}
