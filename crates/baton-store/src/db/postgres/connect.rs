//! Opening connections: the session's settings, TLS, listening on the change feed, and
//! connection errors said in words.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio_postgres::Client;

use crate::db::location::{PgTarget, Tls};

/// The runtime thread that drives every PostgreSQL connection of the process.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("baton-postgres")
            .enable_all()
            .build()
            .expect("the PostgreSQL runtime thread starts")
    })
}

/// Waits for a future on this thread (the connection itself runs on the runtime's thread).
pub(super) fn wait<T>(future: impl std::future::Future<Output = T>) -> T {
    futures_executor::block_on(future)
}

/// One connection, with the session's settings: UTC, a statement timeout, Baton's name.
pub(super) fn open(target: &PgTarget, read_only: bool) -> std::result::Result<Client, String> {
    open_with(target, read_only, None)
}

/// A connection that listens on the change feed's channel ([`crate::db::feed::CHANNEL`]):
/// each notification wakes `wake`. The connection is its own (a listener holds it open).
pub(crate) fn listen(
    target: &PgTarget,
    wake: Arc<tokio::sync::Notify>,
) -> std::result::Result<Arc<Client>, String> {
    let client = open_with(target, true, Some(wake))?;
    let sql = format!("LISTEN {}", crate::db::feed::CHANNEL);
    wait(client.batch_execute(&sql)).map_err(|err| err.to_string())?;
    Ok(Arc::new(client))
}

/// [`open`], with the notifications the server sends waking `wake`.
pub(super) fn open_with(
    target: &PgTarget,
    read_only: bool,
    wake: Option<Arc<tokio::sync::Notify>>,
) -> std::result::Result<Client, String> {
    let mut config = target.config();
    // The session's settings travel in the startup message: no round trip of their own.
    let mut options = config.get_options().unwrap_or_default().to_owned();
    options.push_str(" -c TimeZone=UTC -c statement_timeout=300s");
    if read_only {
        options.push_str(" -c default_transaction_read_only=on");
    }
    config.options(options.trim_start());
    config
        .application_name("baton")
        .connect_timeout(Duration::from_secs(5))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3)
        .tcp_user_timeout(Duration::from_secs(10));
    let tls = match target.tls() {
        Tls::Off => None,
        Tls::Verify { roots } => Some(tls_connector(roots)?),
    };
    let connected = wait(runtime().spawn(async move {
        let client = match tls {
            None => {
                let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(drive(connection, wake));
                client
            }
            Some(tls) => {
                let (client, connection) = config.connect(tls).await?;
                tokio::spawn(drive(connection, wake));
                client
            }
        };
        Ok::<_, tokio_postgres::Error>(client)
    }))
    .map_err(|err| format!("the connection task failed: {err}"))?;
    connected.map_err(|err| describe_connect_error(target, &err))
}

/// Runs a connection until it ends; a notification from the server wakes `wake`.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    wake: Option<Arc<tokio::sync::Notify>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::StreamExt;
    let mut messages = futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
    while let Some(message) = messages.next().await {
        match message {
            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                if let Some(wake) = &wake {
                    wake.notify_one();
                }
            }
            Ok(tokio_postgres::AsyncMessage::Notice(notice)) => {
                tracing::debug!(%notice, "a notice from PostgreSQL");
            }
            Ok(_) => {}
            Err(err) => {
                tracing::debug!(error = %err, "a PostgreSQL connection ended");
                break;
            }
        }
    }
    // The listener (if any) learns it is gone: its client is closed; wake it to see.
    if let Some(wake) = &wake {
        wake.notify_one();
    }
}

/// Why a connection could not be made, in words (with the whole chain of causes).
pub(super) fn describe_connect_error(target: &PgTarget, err: &tokio_postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    let garbled = [
        "unexpected message",
        "invalid message",
        "bytes remaining on stream",
        "unexpected response",
    ];
    if garbled.iter().any(|said| text.contains(said)) {
        text = format!(
            "{} does not answer as PostgreSQL does ({text})",
            target.display()
        );
    }
    text
}

/// rustls with the public roots and the files the URL names (`sslrootcert`).
pub(super) fn tls_connector(
    roots: &[std::path::PathBuf],
) -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls_pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in roots {
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            store
                .add(cert)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
