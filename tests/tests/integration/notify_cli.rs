//! `baton notify test` against the test ntfy server (issue 60), the real binary: the test
//! message goes out with its button, the test posts the button's body to the reply topic as a
//! phone would, and the command says the answer came back; a wrong token is told as HTTP 401.

use std::process::Stdio;
use std::time::Duration;

use baton_tests::engine::wait_for;
use baton_tests::ntfy_server::NtfyServer;
use baton_tests::peers::debug_baton;
use tokio::process::Command;

use crate::notify_ntfy::{post, TOKEN};

fn baton(data: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(debug_baton());
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("BATON_STORE")
        .env("NTFY_TEST_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_waits_for_its_button_to_come_back() {
    let server = NtfyServer::start(Some(TOKEN)).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let add = baton(
        &data,
        &[
            "notify",
            "add",
            "phone",
            "--server",
            &server.url,
            "--topic",
            "out-topic",
            "--reply-topic",
            "back-topic",
            "--token-env",
            "NTFY_TEST_TOKEN",
        ],
    )
    .output()
    .await
    .unwrap();
    assert!(add.status.success(), "{add:?}");

    let test = baton(&data, &["notify", "test", "phone", "--wait", "60"])
        .spawn()
        .unwrap();
    let message = wait_for("the test message", Duration::from_secs(60), || {
        server.messages("out-topic").into_iter().next()
    })
    .await;
    assert_eq!(message["actions"][0]["label"], "It works");
    let body = message["actions"][0]["body"].as_str().unwrap().to_owned();
    let url = message["actions"][0]["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/back-topic", server.url));
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let out = tokio::time::timeout(Duration::from_secs(90), test.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("its button's answer came back"), "{stdout}");

    // Junk on the reply topic is no answer; with no button tapped the wait ends unanswered.
    let test = baton(&data, &["notify", "test", "phone", "--wait", "3"])
        .spawn()
        .unwrap();
    post(&server, "not an answer").await;
    let out = test.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no answer came back"),
        "{out:?}"
    );

    // A wrong token: the server's 401, in words, and never the token.
    let wrong = baton(&data, &["notify", "test", "phone"])
        .env("NTFY_TEST_TOKEN", "tk_wrong_one")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains("tk_wrong_one"), "{stderr}");
}
