//! A real desktop notification service for the app's tests: a private D-Bus session bus
//! (`dbus-daemon`), the dunst notification daemon (org.freedesktop.Notifications, with
//! actions) on its own Xvfb display, and `dbus-monitor` recording every call to it: what the
//! app asked to show (summary, body, buttons), which it closed, which buttons were pressed.
//! A button is pressed as a person would: through dunst's context menu (`dunstctl context`),
//! whose menu program is a script that picks the line of the wanted button.
//!
//! Needs dbus-daemon, dbus-monitor, dunst and Xvfb (`scripts/setup.sh --test`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::display::{terminate, Xvfb};
use crate::find_program;

/// One `Notify` call the daemon received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyCall {
    /// The id the daemon answered with (None until its reply is seen).
    pub id: Option<u32>,
    /// Who asked (a unique bus name) and the call's serial.
    pub sender: String,
    pub serial: u32,
    pub replaces: u32,
    pub summary: String,
    pub body: String,
    /// (action key, label), in order.
    pub actions: Vec<(String, String)>,
}

/// The bus, the daemon and the monitor, stopped in order when dropped.
pub struct NotificationDaemon {
    monitor: Child,
    dunst: Child,
    bus: Child,
    /// The bus's standard output, kept open while it runs (it printed its address there).
    _bus_out: std::io::BufReader<std::process::ChildStdout>,
    pub xvfb: Xvfb,
    dir: tempfile::TempDir,
    /// What the app is given as `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
}

impl NotificationDaemon {
    pub fn start() -> Result<NotificationDaemon, String> {
        for program in [
            "dbus-daemon",
            "dbus-monitor",
            "dbus-send",
            "dunst",
            "dunstctl",
        ] {
            find_program(program)
                .ok_or_else(|| format!("{program} is not installed (make test installs it)"))?;
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        // The daemon prints its address once it listens (its socket's file comes a moment
        // before: a client connecting then was refused, seen on a loaded machine).
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("dbus-daemon: {e}"))?;
        let mut listening = String::new();
        let bus_out = bus.stdout.take().expect("piped");
        let mut bus_out = std::io::BufReader::new(bus_out);
        std::io::BufRead::read_line(&mut bus_out, &mut listening)
            .map_err(|e| format!("dbus-daemon: {e}"))?;
        if listening.trim().is_empty() || !socket.exists() {
            return Err(format!("dbus-daemon did not listen on {address}"));
        }
        let log =
            std::fs::File::create(dir.path().join("monitor.log")).map_err(|e| e.to_string())?;
        let monitor = Command::new("dbus-monitor")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications'",
                "type='signal',interface='org.freedesktop.Notifications'",
                "type='method_return'",
                "type='method_call',member='AddMatch'",
            ])
            .stdout(log)
            .spawn()
            .map_err(|e| format!("dbus-monitor: {e}"))?;
        let monitor_log = dir.path().join("monitor.log");
        wait_until("dbus-monitor", || {
            std::fs::metadata(&monitor_log).is_ok_and(|m| m.len() > 0)
        })?;
        // The menu program: prints the menu's line for the button named in `pick`.
        let menu = dir.path().join("menu.sh");
        let pick = dir.path().join("pick");
        std::fs::write(
            &menu,
            format!(
                "#!/bin/sh\ntee -a '{}' | grep -m1 -F \"$(cat '{}')\"\n",
                dir.path().join("menu.txt").display(),
                pick.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        Command::new("chmod")
            .args(["+x"])
            .arg(&menu)
            .status()
            .map_err(|e| e.to_string())?;
        let config = dir.path().join("dunstrc");
        std::fs::write(
            &config,
            format!(
                "[global]\n    dmenu = {}\n    font = Monospace 10\n    width = 420\n",
                menu.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let xvfb = Xvfb::start()?;
        let dunst = Command::new("dunst")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("DISPLAY", &xvfb.display)
            .arg("-config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dunst: {e}"))?;
        let daemon = NotificationDaemon {
            monitor,
            dunst,
            bus,
            _bus_out: bus_out,
            xvfb,
            dir,
            address,
        };
        wait_until("dunst on the bus", || daemon.serves())?;
        Ok(daemon)
    }

    /// True once the daemon owns org.freedesktop.Notifications.
    fn serves(&self) -> bool {
        Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
    }

    fn blocks(&self) -> Vec<(String, Vec<String>)> {
        let text = std::fs::read_to_string(self.dir.path().join("monitor.log")).unwrap_or_default();
        let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if line.starts_with(char::is_whitespace) {
                if let Some((_, body)) = blocks.last_mut() {
                    body.push(line.trim().to_owned());
                }
            } else {
                blocks.push((line.to_owned(), Vec::new()));
            }
        }
        blocks
    }

    /// Every `Notify` call so far, with the id each was given.
    pub fn notifications(&self) -> Vec<NotifyCall> {
        let blocks = self.blocks();
        let mut calls = Vec::new();
        for (head, body) in &blocks {
            if !(head.starts_with("method call") && head.ends_with("member=Notify")) {
                continue;
            }
            let (Some(sender), Some(serial)) = (field(head, "sender="), field(head, "serial="))
            else {
                continue;
            };
            let serial: u32 = serial.parse().unwrap_or(0);
            let strings: Vec<String> = body.iter().filter_map(|l| string_arg(l)).collect();
            let replaces = body
                .iter()
                .find_map(|l| l.strip_prefix("uint32 "))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            // appname, icon, summary, body, then the actions' keys and labels (the hints
            // follow: Baton sends none with text).
            let actions = strings
                .get(4..)
                .unwrap_or_default()
                .chunks(2)
                .filter(|pair| pair.len() == 2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect();
            let id = blocks.iter().find_map(|(h, b)| {
                (h.starts_with("method return")
                    && field(h, "destination=") == Some(sender)
                    && field(h, "reply_serial=").and_then(|n| n.parse::<u32>().ok())
                        == Some(serial))
                .then(|| b.first()?.strip_prefix("uint32 ")?.parse().ok())
                .flatten()
            });
            calls.push(NotifyCall {
                id,
                sender: sender.to_owned(),
                serial,
                replaces,
                summary: strings.get(2).cloned().unwrap_or_default(),
                body: strings.get(3).cloned().unwrap_or_default(),
                actions,
            });
        }
        calls
    }

    /// The ids the app asked the daemon to close (`CloseNotification`).
    pub fn closed(&self) -> Vec<u32> {
        self.blocks()
            .iter()
            .filter(|(h, _)| {
                h.starts_with("method call") && h.ends_with("member=CloseNotification")
            })
            .filter_map(|(_, b)| b.first()?.strip_prefix("uint32 ")?.parse().ok())
            .collect()
    }

    /// True once `call`'s sender listens for the buttons' answers (it asked the bus for
    /// `ActionInvoked` after that call): a button pressed earlier would not be heard.
    pub fn listening(&self, call: &NotifyCall) -> bool {
        self.blocks().iter().any(|(h, b)| {
            h.ends_with("member=AddMatch")
                && field(h, "sender=") == Some(call.sender.as_str())
                && field(h, "serial=").and_then(|s| s.parse::<u32>().ok()) > Some(call.serial)
                && b.iter().any(|l| l.contains("ActionInvoked"))
        })
    }

    /// Presses notification `id`'s button `action` through dunst's context menu.
    pub fn press(&self, id: u32, action: &str) -> Result<(), String> {
        std::fs::write(self.dir.path().join("pick"), format!("[{id},{action}]"))
            .map_err(|e| e.to_string())?;
        let out = Command::new("dunstctl")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .arg("context")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("dunstctl context: {out:?}"));
        }
        let pressed = || {
            self.blocks().iter().any(|(h, b)| {
                h.ends_with("member=ActionInvoked")
                    && b.first().map(String::as_str) == Some(format!("uint32 {id}").as_str())
                    && b.get(1).and_then(|l| string_arg(l)).as_deref() == Some(action)
            })
        };
        wait_until(
            &format!("the {action} button of notification {id}"),
            pressed,
        )
        .map_err(|e| {
            let menu =
                std::fs::read_to_string(self.dir.path().join("menu.txt")).unwrap_or_default();
            format!("{e}; the menu was:\n{menu}")
        })
    }

    /// The monitor's log, to explain a failure.
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("monitor.log")
    }
}

impl Drop for NotificationDaemon {
    fn drop(&mut self) {
        terminate(&mut self.dunst, Duration::from_secs(3));
        terminate(&mut self.monitor, Duration::from_secs(3));
        terminate(&mut self.bus, Duration::from_secs(3));
    }
}

/// `name=value` in a dbus-monitor header line (the value ends at a space or `;`).
fn field<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    let at = head.find(&format!(" {name}"))? + 1 + name.len();
    head[at..].split([' ', ';']).next()
}

/// The text of a `string "…"` argument line.
fn string_arg(line: &str) -> Option<String> {
    line.strip_prefix("string \"")?
        .strip_suffix('"')
        .map(str::to_owned)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if done() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{what} did not come within 20 s"))
}
