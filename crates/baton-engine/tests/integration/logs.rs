//! Tokens never reach the logs. This is the only test in its binary: it installs a global
//! subscriber, because a thread-local one (`set_default`) races other tests' first use of a
//! callsite in tracing's interest cache and can miss events (seen once in CI).

use std::time::Duration;

use crate::support::*;

/// Captures everything traced in this process.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let secret = "s3cret-token-value";
    let fixture = Fixture::start(Mode::NeedsToken(
        secret.into(),
        doc("fx", &[("t", "working")], 1),
    ))
    .await;
    let (engine, _) = engine_and_tokens(test_config());
    let agent = engine
        .add_agent(
            draft("fx", &fixture.base_url, 250, 200),
            Some("wrong-token-value".into()),
        )
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() >= 2).await);
    engine
        .update_agent(
            agent.id,
            draft("fx", &fixture.base_url, 250, 200),
            baton_engine::TokenUpdate::Set(secret.into()),
        )
        .await
        .unwrap();
    let count = fixture.hit_count();
    assert!(eventually(Duration::from_secs(3), || fixture.hit_count() >= count + 2).await);
    engine.poll_once(agent.id).await.unwrap();
    engine.shutdown().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("poll failed"),
        "the failures were logged:\n{logs}"
    );
    assert!(logs.contains("HTTP 401: check the agent's token"));
    assert!(
        logs.contains(&format!("agent_id={}", agent.id)),
        "polls are in a span with the agent id"
    );
    assert!(logs.contains("poll ok"));
    assert!(
        !logs.contains(secret),
        "a token leaked into the logs:\n{logs}"
    );
    assert!(
        !logs.contains("wrong-token-value"),
        "a token leaked into the logs"
    );
}
