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
    add_route(
        &data,
        "phone",
        &server.url,
        "out-topic",
        &["--reply-topic", "back-topic"],
    )
    .await;

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

/// A TLS server on 127.0.0.1 whose certificate is self-signed (made by `openssl`): every
/// handshake fails at the client. Returns its port.
fn self_signed_tls_server(dir: &std::path::Path) -> u16 {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let config = std::sync::Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_file(&cert).unwrap()],
                PrivateKeyDer::from_pem_file(&key).unwrap(),
            )
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut tls = rustls::ServerConnection::new(std::sync::Arc::clone(&config)).unwrap();
            while tls.is_handshaking() {
                if tls.complete_io(&mut socket).is_err() {
                    break;
                }
            }
        }
    });
    port
}

/// `baton notify test` on route `name` of data folder `data`: (exit code, stderr).
async fn trial(data: &std::path::Path, name: &str) -> (Option<i32>, String) {
    let out = baton(data, &["notify", "test", name])
        .output()
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `baton notify add name --server … --topic … --token-env NTFY_TEST_TOKEN` and `more`.
async fn add_route(data: &std::path::Path, name: &str, server: &str, topic: &str, more: &[&str]) {
    let mut args = vec![
        "notify",
        "add",
        name,
        "--server",
        server,
        "--topic",
        topic,
        "--token-env",
        "NTFY_TEST_TOKEN",
    ];
    args.extend_from_slice(more);
    let add = baton(data, &args).output().await.unwrap();
    assert!(add.status.success(), "{add:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_says_what_failed_tls_403_and_dns_on_both_stores() {
    let server = NtfyServer::start(Some(TOKEN)).await;
    server.reserve("someone-elses");
    let dir = tempfile::tempdir().unwrap();
    let tls = self_signed_tls_server(dir.path());
    for (engine, url) in crate::notify_ntfy::stores(&dir) {
        eprintln!("store: {engine}");
        let data = dir.path().join(format!("data-{engine}"));
        std::fs::create_dir_all(&data).unwrap();
        let location = baton_store::StoreLocation::parse(&url).unwrap();
        baton_store::StorePlace::choose(&data, Some(&location)).unwrap();
        add_route(
            &data,
            "tls",
            &format!("https://127.0.0.1:{tls}"),
            "out-a",
            &[],
        )
        .await;
        add_route(&data, "reserved", &server.url, "someone-elses", &[]).await;
        add_route(
            &data,
            "nowhere",
            "https://ntfy.baton-test.invalid",
            "out-c",
            &[],
        )
        .await;

        let (code, stderr) = trial(&data, "tls").await;
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("route tls: TLS failed"), "{stderr}");
        assert!(stderr.contains("certificate"), "{stderr}");
        let (code, stderr) = trial(&data, "reserved").await;
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(
                "route reserved: HTTP 403: the token may not use this topic (reserved by another \
                 user, or read-only)"
            ),
            "{stderr}"
        );
        let (code, stderr) = trial(&data, "nowhere").await;
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains("route nowhere: the server's name was not found (DNS)"),
            "{stderr}"
        );
        assert!(!stderr.contains(TOKEN), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_route_and_its_click_url_are_shown_by_status_list_and_export_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in crate::notify_ntfy::stores(&dir) {
        eprintln!("store: {engine}");
        let data = dir.path().join(format!("data-{engine}"));
        std::fs::create_dir_all(&data).unwrap();
        let location = baton_store::StoreLocation::parse(&url).unwrap();
        baton_store::StorePlace::choose(&data, Some(&location)).unwrap();
        let add = baton(
            &data,
            &[
                "notify",
                "add",
                "phone",
                "--server",
                "http://127.0.0.1:9",
                "--click",
                "https://baton.example/items/{item}",
            ],
        )
        .output()
        .await
        .unwrap();
        assert!(add.status.success(), "{add:?}");
        let status = baton(&data, &["status"]).output().await.unwrap();
        let text = String::from_utf8_lossy(&status.stdout);
        assert!(text.contains("route phone (ntfy, "), "{text}");
        assert!(text.contains("): ok, 0 item(s) sent"), "{text}");

        // The watcher could not read the reply topic (as the engine records it).
        {
            let mut store = baton_store::Store::open_at(&location).unwrap();
            let id = store.route_named("phone").unwrap().route.id;
            for _ in 0..3 {
                store
                    .record_reply_stream(
                        id,
                        Err("cannot connect to the server (refused or unreachable)"),
                        chrono::Utc::now(),
                    )
                    .unwrap();
            }
        }
        let failing = "FAILING: its reply topic cannot be read (3 attempt(s) in a row): cannot \
                       connect to the server (refused or unreachable)";
        let status = baton(&data, &["status"]).output().await.unwrap();
        let text = String::from_utf8_lossy(&status.stdout);
        assert!(text.contains(failing), "{text}");
        let list = baton(&data, &["notify", "list"]).output().await.unwrap();
        let text = String::from_utf8_lossy(&list.stdout);
        assert!(text.contains(failing), "{text}");
        assert!(
            text.contains("a tap opens https://baton.example/items/{item}"),
            "{text}"
        );
        let list = baton(&data, &["notify", "list", "--json"])
            .output()
            .await
            .unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
        assert_eq!(rows[0]["reply_failures"], 3, "{rows}");
        assert_eq!(rows[0]["click"], "https://baton.example/items/{item}");
        let export = baton(&data, &["export"]).output().await.unwrap();
        let text = String::from_utf8_lossy(&export.stdout);
        assert!(
            text.contains("click = \"https://baton.example/items/{item}\""),
            "{text}"
        );
    }
}
