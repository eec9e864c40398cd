//! A TCP proxy on 127.0.0.1 that holds every byte for half a round trip in each direction:
//! a server on this machine as if it were `round_trip` away (a database on another host), with
//! no cap on throughput. Each direction keeps the order of its bytes: a chunk read at `t` is
//! written at `t + round_trip / 2`, after the chunks read before it. The client's first bytes
//! wait one round trip more: the TCP handshake a far server costs before anything is sent
//! (the client's connect to the proxy itself completes at once).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A running proxy; it stops with its runtime (the process).
pub struct DelayProxy {
    pub port: u16,
}

impl DelayProxy {
    /// `url` (a database on 127.0.0.1 at `server_port`) through this proxy instead.
    pub fn url_through(&self, url: &str, server_port: u16) -> String {
        url.replace(&format!(":{server_port}/"), &format!(":{}/", self.port))
    }

    /// Listens on a free port of 127.0.0.1 and forwards each connection to `target`.
    pub async fn start(target: SocketAddr, round_trip: Duration) -> std::io::Result<DelayProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let one_way = round_trip / 2;
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::spawn(carry(client_read, server_write, one_way, round_trip));
                    tokio::spawn(carry(server_read, client_write, one_way, Duration::ZERO));
                });
            }
        });
        Ok(DelayProxy { port })
    }
}

/// Copies `from` to `to`, each chunk `delay` after it was read (the first `handshake` later
/// still).
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    handshake: Duration,
) {
    let mut extra = handshake;
    let (send, mut due) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let at = Instant::now() + delay + std::mem::take(&mut extra);
                if send.send((at, buffer[..n].to_vec())).is_err() {
                    break;
                }
            }
        }
    }
    drop(send);
    let _ = writer.await;
}
