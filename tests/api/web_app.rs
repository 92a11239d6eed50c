//! The web app in headless Chromium against the real binary, as a person uses it: everything in
//! `tests/browser/app.mjs` (playwright-core), which starts `videoprompt serve --demo` itself so
//! that it can stop and start it again mid-generation. Two runs, one after the other (two
//! browsers at once would only slow each other down on two cores):
//!
//! - the whole flow at 1280 × 800 and at 390 × 844, then everything by keyboard alone (the focus
//!   visible and never lost), then the passes that test one thing each (the Verlauf paged; a
//!   slow network, removing the key, deleting an image, the file picker, tabs in step on
//!   renames; and, on a second server with small limits and image URLs that expire after 5 s,
//!   refused uploads, renewed thumbnails and Gemini's refusals), every screenshot checked with
//!   axe-core (WCAG 2 A/AA);
//! - the flow at 1280 × 800 on a server started with `--trusted-documents
//!   assets/app/persisted-documents.json`, which runs nothing but the app's own operations.
//!
//! Screenshots of every main screen go to `target/web-screenshots/` (not committed).

use std::path::Path;

use testkit::{announce_skip, require_all_suites};

use crate::helpers::{node_script, run_node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_works_end_to_end_in_headless_chromium_and_on_trusted_documents_only() {
    let script = match node_script("app.mjs", &["playwright-core", "axe-core"], true) {
        Ok(script) => script,
        Err(reason) if !require_all_suites() => {
            return announce_skip("browser (web app)", &reason);
        }
        Err(reason) => panic!("the browser suite is required but cannot run: {reason}"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = env!("CARGO_BIN_EXE_videoprompt").to_owned();
    let screenshots = root.join("target/web-screenshots");

    let (ok, stdout, stderr) = run_node(
        &script,
        &[
            "--binary".into(),
            binary.clone(),
            "--screenshots".into(),
            screenshots.display().to_string(),
        ],
    )
    .await;
    assert!(ok, "the web app failed in the browser:\n{stdout}\n{stderr}");
    assert!(stdout.contains("web app: OK"), "{stdout}");
    // The passes and how long each took (seen with --nocapture).
    println!("{}", stdout.trim());

    let manifest = root.join("assets/app/persisted-documents.json");
    let (ok, stdout, stderr) = run_node(
        &script,
        &[
            "--binary".into(),
            binary,
            "--passes".into(),
            "desktop".into(),
            "--trusted-documents".into(),
            manifest.display().to_string(),
            // The screens were checked with axe-core in the first run.
            "--no-axe".into(),
            "--screenshots".into(),
            screenshots.join("trusted").display().to_string(),
        ],
    )
    .await;
    assert!(
        ok,
        "the web app failed on a server with trusted documents only:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("trusted documents only"), "{stdout}");
}
