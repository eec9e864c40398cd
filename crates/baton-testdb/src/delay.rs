//! A TCP proxy on 127.0.0.1 that holds every byte for half a round trip in each direction: a
//! server on this machine as if it were `round_trip` away (a database on another host), with no
//! cap on throughput. Each direction keeps the order of its bytes: a chunk read at `t` is
//! written at `t + round_trip / 2`, after the chunks read before it. The client's first bytes
//! wait one round trip more: the TCP handshake a far server costs before anything is sent (the
//! client's connect to the proxy itself completes at once).
//!
//! Plain threads (two per direction of each connection): the tests and benches that use it
//! start a few dozen connections, each a hook process's or a watcher's.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running proxy; it stops with the process.
pub struct DelayProxy {
    pub port: u16,
}

impl DelayProxy {
    /// Listens on a free port of 127.0.0.1 and forwards each connection to `target`.
    pub fn start(target: SocketAddr, round_trip: Duration) -> std::io::Result<DelayProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        std::thread::Builder::new()
            .name("delay-proxy".into())
            .spawn(move || {
                for client in listener.incoming().flatten() {
                    let Ok(server) = TcpStream::connect(target) else {
                        continue;
                    };
                    let _ = forward(client, server, round_trip);
                }
            })?;
        Ok(DelayProxy { port })
    }

    /// `url` (a database on 127.0.0.1 at `server_port`) through this proxy instead.
    pub fn url_through(&self, url: &str, server_port: u16) -> String {
        url.replace(&format!(":{server_port}/"), &format!(":{}/", self.port))
    }
}

/// The port of a `postgres://…@127.0.0.1:PORT/…` URL.
pub fn port_of(url: &str) -> Option<u16> {
    let host_port = url.split('@').nth(1)?.split('/').next()?;
    host_port.rsplit(':').next()?.parse().ok()
}

fn forward(client: TcpStream, server: TcpStream, round_trip: Duration) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let one_way = round_trip / 2;
    carry(
        client.try_clone()?,
        server.try_clone()?,
        one_way,
        round_trip,
    )?;
    carry(server, client, one_way, Duration::ZERO)
}

/// Copies `from` to `to`, each chunk `delay` after it was read (the first `handshake` later
/// still); `to`'s writing half is shut when `from` ends.
fn carry(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    handshake: Duration,
) -> std::io::Result<()> {
    let (send, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::Builder::new()
        .name("delay-write".into())
        .spawn(move || {
            for (at, bytes) in due {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                if to.write_all(&bytes).is_err() {
                    return;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        })?;
    std::thread::Builder::new()
        .name("delay-read".into())
        .spawn(move || {
            let mut extra = handshake;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                match from.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let at = Instant::now() + delay + std::mem::take(&mut extra);
                        if send.send((at, buffer[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_back_in_order_a_round_trip_later_and_the_first_one_more() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 16];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 || s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
        let proxy = DelayProxy::start(target, Duration::from_millis(40)).unwrap();
        let mut client = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
        let mut answer = [0u8; 3];
        let first = Instant::now();
        client.write_all(b"abc").unwrap();
        client.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"abc");
        // The handshake's round trip, then the exchange's.
        assert!(
            first.elapsed() >= Duration::from_millis(80),
            "{:?}",
            first.elapsed()
        );
        let second = Instant::now();
        client.write_all(b"xyz").unwrap();
        client.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"xyz");
        assert!(
            second.elapsed() >= Duration::from_millis(40),
            "{:?}",
            second.elapsed()
        );
        assert_eq!(
            port_of("postgres://baton@127.0.0.1:5433/db?x=1"),
            Some(5433)
        );
    }
}
