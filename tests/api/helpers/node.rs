//! Node.js scripts from `tests/browser` (real npm clients, GraphiQL in Chromium) run by a test:
//! whether they can run here, and their outcome.

use std::path::{Path, PathBuf};

/// The script `tests/browser/<script>`, or why it cannot run: Node.js missing, one of
/// `packages` not installed in `tests/browser/node_modules`, or (with `needs_chromium`) no
/// Chromium at `CHROMIUM_PATH` (default `/usr/bin/chromium`).
pub fn node_script(
    script: &str,
    packages: &[&str],
    needs_chromium: bool,
) -> Result<PathBuf, String> {
    if needs_chromium {
        let chromium =
            std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !Path::new(&chromium).exists() {
            return Err(format!("{chromium} not found (apt-get install chromium)"));
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for package in packages {
        if !root
            .join("tests/browser/node_modules")
            .join(package)
            .exists()
        {
            return Err(format!(
                "{package} is not installed (npm ci --prefix tests/browser)"
            ));
        }
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("node is not installed".into());
    }
    Ok(root.join("tests/browser").join(script))
}

/// Runs `node script args…`; returns whether it exited 0, its stdout and its stderr.
pub async fn run_node(script: &Path, args: &[String]) -> (bool, String, String) {
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .await
        .expect("node could not be started");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
