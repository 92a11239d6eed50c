//! A `videoprompt` child process (the server, or the Gemini stand-in): started, its address read
//! from its log, its log kept for the test to read, and killed and reaped when dropped, however
//! the test ends.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::Duration,
};

use crate::api::Api;

/// A guard against a hung child, not a measurement: start-up takes well under a second.
const PATIENCE: Duration = Duration::from_secs(60);

/// What the server logs when it listens: "… GraphiQL at http://127.0.0.1:PORT/".
const SERVER_LISTENING: &str = "GraphiQL at ";

/// A child process that logged its address, and the lines it has logged so far.
pub struct ServerProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    api: Api,
    /// Kept as long as the process runs (its data folder, say).
    _keep: Option<tempfile::TempDir>,
}

impl ServerProcess {
    /// Starts the server `command` and waits until it logs its address; on an early exit (or
    /// no address within a minute: it is then killed) returns its status and everything it
    /// logged.
    pub fn start(command: Command) -> Result<Self, (ExitStatus, String)> {
        Self::start_after(command, SERVER_LISTENING)
    }

    /// Starts `command` and waits for the first `127.0.0.1:PORT` logged after `marker`. Its
    /// stdout is discarded; its stderr (the log) is read on a thread of its own, so the child
    /// never blocks on a full pipe.
    pub fn start_after(mut command: Command, marker: &str) -> Result<Self, (ExitStatus, String)> {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("could not start the videoprompt binary");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = Vec::new();
        loop {
            match lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    let port = address_after(&line, marker);
                    log.push(line);
                    if let Some(port) = port {
                        return Ok(Self {
                            child,
                            lines,
                            log,
                            api: Api::new(format!("http://127.0.0.1:{port}")),
                            _keep: None,
                        });
                    }
                }
                Err(timeout_or_exit) => {
                    if timeout_or_exit == mpsc::RecvTimeoutError::Timeout {
                        let _ = child.kill();
                    }
                    let status = child.wait().expect("could not wait for the child");
                    return Err((status, log.join("\n")));
                }
            }
        }
    }

    /// Keeps `dir` until the process is dropped.
    pub fn keeping(mut self, dir: tempfile::TempDir) -> Self {
        self._keep = Some(dir);
        self
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        self.api.base()
    }

    pub fn url(&self, path: &str) -> String {
        self.api.url(path)
    }

    /// See [`Api::gql`].
    pub async fn gql(
        &self,
        query: &str,
        variables: serde_json::Value,
        token: Option<&str>,
    ) -> serde_json::Value {
        self.api.gql(query, variables, token).await
    }

    /// The process id (for `/proc/PID/…`).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends the signal `name` (`TERM`, `INT`, `KILL`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("could not run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to end and returns its status and its whole log.
    pub fn wait(mut self) -> (ExitStatus, String) {
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.log.push(line);
        }
        let status = self.child.wait().expect("could not wait for the child");
        (status, std::mem::take(&mut self.log).join("\n"))
    }

    /// Everything logged so far, without waiting for more.
    pub fn log_so_far(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }
}

impl AsRef<Api> for ServerProcess {
    fn as_ref(&self) -> &Api {
        &self.api
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of the first `127.0.0.1:PORT` after `marker` in `line`.
fn address_after(line: &str, marker: &str) -> Option<String> {
    let rest = line.split(marker).nth(1)?;
    let at = rest.find("127.0.0.1:")? + "127.0.0.1:".len();
    let port: String = rest[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!port.is_empty()).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::address_after;

    #[test]
    fn the_port_is_read_after_the_marker() {
        let line = "INFO videoprompt::startup: GraphiQL at http://127.0.0.1:41234/";
        assert_eq!(
            address_after(line, "GraphiQL at ").as_deref(),
            Some("41234")
        );
        assert_eq!(address_after(line, "stand-in listening"), None);
        assert_eq!(
            address_after("GraphiQL at http://127.0.0.1:/", "GraphiQL at "),
            None
        );
    }
}
