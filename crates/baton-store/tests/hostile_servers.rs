//! What a PostgreSQL store refuses to talk to: a server whose certificate does not check out
//! (TLS is verified whenever it is used), and a server that is not PostgreSQL at all. And what
//! it accepts: the same server once its certificate is trusted. Its own test binary: it
//! restarts the test process's server with TLS on.

use std::io::{Read, Write};

use baton_store::{Store, StoreLocation};

fn open(url: &str) -> Result<Store, String> {
    let location = StoreLocation::parse(url).map_err(|e| e.to_string())?;
    Store::open_at(&location).map_err(|e| e.to_string())
}

#[test]
fn tls_is_checked_and_a_server_that_is_not_postgresql_is_refused() {
    let pg = baton_testdb::own_server();
    let database = pg.fresh_database();
    let name = database.rsplit('/').next().unwrap().to_owned();
    let port = pg.port();
    let cert = pg
        .restart_with_tls("DNS:localhost,IP:127.0.0.1")
        .expect("TLS on");

    // Asked for TLS, with nothing that vouches for the self-signed certificate: refused.
    let err = open(&format!(
        "postgres://postgres@127.0.0.1:{port}/{name}?sslmode=verify-full"
    ))
    .unwrap_err();
    assert!(err.starts_with("store unreachable"), "{err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // Trusted, it checks out, and the store opens over TLS.
    let store = open(&format!(
        "postgres://postgres@127.0.0.1:{port}/{name}?sslmode=verify-full&sslrootcert={}",
        cert.display()
    ))
    .expect("a trusted certificate");
    assert_eq!(store.schema_version().unwrap(), baton_store::LATEST_VERSION);
    drop(store);
    // A certificate for another name is refused even when trusted.
    let other = pg.restart_with_tls("DNS:db.example.org").expect("TLS on");
    let err = open(&format!(
        "postgres://postgres@127.0.0.1:{port}/{name}?sslmode=verify-full&sslrootcert={}",
        other.display()
    ))
    .unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    // Not PostgreSQL: an HTTP server where the database should be.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad request");
        }
    });
    let err = open(&format!("postgres://postgres@127.0.0.1:{http}/baton")).unwrap_err();
    assert!(err.contains("does not answer as PostgreSQL"), "{err}");
}

#[test]
fn a_url_is_never_shown_with_its_password() {
    let err = open("postgres://ana:hunter2@127.0.0.1:1/baton").unwrap_err();
    assert!(!err.contains("hunter2"), "{err}");
}
