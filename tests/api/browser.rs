//! GraphiQL in a real browser: headless Chromium opens `/graphiql`, runs a query, sees German labels,
//! and no request leaves the server. Driven by `tests/browser/graphiql.mjs` (playwright-core).

use std::path::{Path, PathBuf};

use testkit::{announce_skip, require_all_suites};

use crate::helpers::{Backend, TestApp};

/// What the browser suite needs, or why it cannot run.
fn browser_tools() -> Result<PathBuf, String> {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Err(format!("{chromium} not found (apt-get install chromium)"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Err("playwright-core is not installed (npm ci --prefix tests/browser)".into());
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("node is not installed".into());
    }
    Ok(root.join("tests/browser/graphiql.mjs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_query_in_headless_chromium_without_leaving_the_server() {
    let script = match browser_tools() {
        Ok(script) => script,
        Err(reason) if !require_all_suites() => {
            return announce_skip("browser (GraphiQL)", &reason);
        }
        Err(reason) => panic!("the browser suite is required but cannot run: {reason}"),
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(format!("http://{}", app.addr))
        .output()
        .await
        .expect("node could not be started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the GraphiQL browser check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("graphiql: OK"), "{stdout}");
}
