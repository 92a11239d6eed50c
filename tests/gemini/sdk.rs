//! Fidelity proven by a client no one here wrote: the official `google-genai` Python SDK runs
//! `tests/sdk/google_genai_smoke.py` against an in-process stand-in.
//!
//! The Python comes from `$VIDEOPROMPT_PYTHON` (a venv with `tests/sdk/requirements.txt`), or
//! `python3` if it can import `google.genai`. Without either the test announces the skip and
//! passes — unless VIDEOPROMPT_REQUIRE_ALL_SUITES=1 (CI), where it fails.

use std::{path::PathBuf, time::Duration};

use testkit::{announce_skip, require_all_suites};
use tokio::process::Command;

use crate::helpers::*;

/// A Python that can import the SDK, or why there is none.
async fn python_with_sdk() -> Result<String, String> {
    let explicit = std::env::var("VIDEOPROMPT_PYTHON")
        .ok()
        .filter(|p| !p.is_empty());
    let candidate = explicit.clone().unwrap_or_else(|| "python3".into());
    let probe = Command::new(&candidate)
        .args(["-c", "import google.genai"])
        .output()
        .await;
    match probe {
        Ok(output) if output.status.success() => Ok(candidate),
        Ok(output) => Err(format!(
            "`{candidate} -c 'import google.genai'` failed ({}); set VIDEOPROMPT_PYTHON to a python \
             with `pip install -r tests/sdk/requirements.txt`",
            String::from_utf8_lossy(&output.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
        )),
        Err(err) => Err(format!("`{candidate}` could not be run: {err}")),
    }
}

#[tokio::test]
async fn the_official_python_sdk_works_against_the_stand_in() {
    let python = match python_with_sdk().await {
        Ok(python) => python,
        Err(reason) => {
            if require_all_suites() {
                panic!("the google-genai SDK suite is required but cannot run: {reason}");
            }
            announce_skip("google-genai SDK", &reason);
            return;
        }
    };
    let stand_in = stand_in().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/google_genai_smoke.py");

    let run = Command::new(&python)
        .arg(&script)
        .arg(stand_in.base_url())
        .env_remove("GOOGLE_GENAI_USE_VERTEXAI")
        .env_remove("GOOGLE_API_KEY")
        .env_remove("GEMINI_API_KEY")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the SDK smoke test took over two minutes")
        .expect("the SDK smoke test could not start");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK smoke test failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("after delete: 403"), "{stdout}");
    assert_eq!(stand_in.files_held(), 0, "the SDK deleted its file");

    // What the SDK sent, in order: start, bytes, get (polls), list, generate, stream, delete, get.
    let calls: Vec<String> = stand_in
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(calls[0], "POST /upload/v1beta/files");
    assert_eq!(calls[1], "POST /upload/v1beta/files");
    assert!(
        calls.iter().any(|c| c.ends_with(":generateContent")),
        "{calls:?}"
    );
    assert!(
        calls.iter().any(|c| c.ends_with(":streamGenerateContent")),
        "{calls:?}"
    );
    assert!(
        calls.iter().any(|c| c.starts_with("DELETE /v1beta/files/")),
        "{calls:?}"
    );
}
