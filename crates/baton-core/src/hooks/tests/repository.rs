//! A repository's identity from its remote's URL, in every spelling of one remote.

use proptest::prelude::*;

use crate::hooks::{
    origin_url, remote_identity, repo_resource, repository_label, root_commit_identity,
};

#[test]
fn every_form_of_one_remote_is_one_repository() {
    for url in [
        "git@github.com:acme/shop.git",
        "git@github.com:acme/shop",
        "github.com:acme/shop.git",
        "https://github.com/acme/shop.git",
        "https://github.com/acme/shop",
        "https://github.com/acme/shop/",
        "https://alice:token@github.com/acme/shop.git",
        "ssh://git@github.com/acme/shop.git",
        "ssh://git@github.com:22/acme/shop.git",
        "git://GitHub.com/acme/shop",
        "  https://github.com/acme/shop.git\n",
    ] {
        assert_eq!(
            remote_identity(url).as_deref(),
            Some("github.com/acme/shop"),
            "{url}"
        );
    }
    // Another owner, another host: another repository.
    assert_ne!(
        remote_identity("git@github.com:other/shop.git"),
        remote_identity("git@github.com:acme/shop.git")
    );
    assert_eq!(
        remote_identity("https://gitlab.example/acme/shop.git").as_deref(),
        Some("gitlab.example/acme/shop")
    );
    // Nothing that names a repository on another machine.
    for url in [
        "",
        "/srv/git/shop.git",
        "../shop",
        "file:///srv/git/shop.git",
        "https://",
        "host:",
    ] {
        assert_eq!(remote_identity(url), None, "{url}");
    }
}

#[test]
fn the_origin_is_read_from_a_config_file_and_other_remotes_are_not() {
    let config = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = git@github.com:up/shop.git\n\
                  [remote \"origin\"]\n\turl = https://github.com/acme/shop.git\n\
                  \tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n";
    assert_eq!(
        origin_url(config).as_deref(),
        Some("https://github.com/acme/shop.git")
    );
    assert_eq!(origin_url("[remote \"upstream\"]\n\turl = x:y\n"), None);
    assert_eq!(origin_url(""), None);
}

#[test]
fn a_repository_without_a_remote_is_named_by_its_first_commit() {
    assert_eq!(
        root_commit_identity("4F1C2A9E0b\n").as_deref(),
        Some("root:4f1c2a9e0b")
    );
    assert_eq!(root_commit_identity(""), None);
    assert_eq!(root_commit_identity("fatal: bad"), None);
    assert_eq!(
        repo_resource("github.com/acme/shop", "/src/app.rs"),
        "repo://github.com/acme/shop/src/app.rs"
    );
}

proptest! {
    /// However the remote of `host/owner/name` is spelled, it is that repository.
    #[test]
    fn url_forms_of_one_remote_agree(
        host in "[a-z][a-z0-9]{0,8}\\.(com|org|example)",
        owner in "[A-Za-z0-9_-]{1,10}",
        name in "[A-Za-z0-9_-]{1,10}",
        user in "[a-z]{1,6}",
        git in any::<bool>(),
        slash in any::<bool>(),
    ) {
        let suffix = if git { ".git" } else { "" };
        let tail = if slash && !git { "/" } else { "" };
        let want = format!("{host}/{owner}/{name}");
        for url in [
            format!("{user}@{host}:{owner}/{name}{suffix}"),
            format!("https://{host}/{owner}/{name}{suffix}{tail}"),
            format!("https://{user}@{host}/{owner}/{name}{suffix}"),
            format!("ssh://{user}@{host}/{owner}/{name}{suffix}"),
            format!("ssh://{user}@{}:2222/{owner}/{name}{suffix}", host.to_uppercase()),
        ] {
            prop_assert_eq!(remote_identity(&url), Some(want.clone()), "{}", url);
        }
    }
}

#[test]
fn a_file_in_a_checkout_is_the_repositorys_file_wherever_the_checkout_is() {
    let id = "github.com/acme/shop";
    let want = Some("repo://github.com/acme/shop/src/app.rs".to_owned());
    assert_eq!(
        crate::hooks::resource_in_checkout("/home/me/shop/src/app.rs", "/home/me/shop", id),
        want
    );
    assert_eq!(
        crate::hooks::resource_in_checkout("/wt/feature-a/src/app.rs", "/wt/feature-a/", id),
        want
    );
    // Not inside: a sibling folder sharing the prefix, the root itself, elsewhere.
    for path in ["/home/me/shop2/src/app.rs", "/home/me/shop", "/etc/passwd"] {
        assert_eq!(
            crate::hooks::resource_in_checkout(path, "/home/me/shop", id),
            None,
            "{path}"
        );
    }
}

#[test]
fn a_repository_reads_as_its_main_checkouts_folder_or_its_remotes_last_part() {
    // The main checkout's folder wins, whatever the identity.
    assert_eq!(
        repository_label("root:4f1c2a9e0b", Some("/home/me/shop/")),
        "shop"
    );
    assert_eq!(
        repository_label("github.com/acme/shop", Some("/home/me/my-shop")),
        "my-shop"
    );
    // Else the remote's last part, the git directory's folder, the first commit's short hash.
    assert_eq!(repository_label("github.com/acme/shop", None), "shop");
    assert_eq!(repository_label("gitlab.example/a/b/tools", None), "tools");
    assert_eq!(repository_label("local:/home/me/shop/.git", None), "shop");
    assert_eq!(repository_label("local:/srv/git/shop.git", None), "shop");
    assert_eq!(
        repository_label("root:4f1c2a9e0b1234", None),
        "root:4f1c2a9"
    );
    assert_eq!(repository_label("root:4f1", None), "root:4f1");
    // A checkout of "/" names nothing: the identity speaks.
    assert_eq!(repository_label("github.com/acme/shop", Some("/")), "shop");
    // Junk never panics and never comes back empty.
    for junk in ["", "/", "local:", "local:/", "root:", "x"] {
        assert!(
            !repository_label(junk, None).is_empty() || junk.is_empty(),
            "{junk:?}"
        );
    }
}
