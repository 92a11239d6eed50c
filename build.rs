//! Embeds the web app: writes `$OUT_DIR/web_app_files.rs`, a table of every file under
//! `assets/app/` (what `npm run build --prefix web` produced and the repository commits) with
//! its bytes included by `include_bytes!`.
//!
//! Why a build script and not `rust-embed`: the table is twenty lines here and needs no
//! dependency, and the binary always carries the files (rust-embed reads them from disk in
//! debug builds unless a feature says otherwise, so tests would not serve what ships). File
//! names are fingerprinted by Vite, so the table cannot be written by hand.
//!
//! `cargo build` needs no Node: the built files are committed. Cargo re-runs this script when
//! anything under `assets/app/` changes.

use std::{
    env,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let app = root.join("assets").join("app");
    println!("cargo:rerun-if-changed=assets/app");
    assert!(
        app.join("index.html").is_file(),
        "assets/app/index.html is missing: run `npm ci --prefix web && npm run build --prefix web`"
    );
    let mut files = Vec::new();
    collect(&app, &app, &mut files);
    files.sort();
    let mut table = String::from(
        "/// Every file of the built web app: its path as served, and its bytes.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (served, absolute) in &files {
        writeln!(table, "    ({served:?}, include_bytes!({absolute:?})),").unwrap();
    }
    table.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("web_app_files.rs"), table).expect("could not write the asset table");
}

/// Files to serve, as (`/path`, absolute file name). The trusted-documents manifest lies beside
/// them for operators and is not served.
fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("could not read {}: {err}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(base, &path, files);
            continue;
        }
        let relative = path.strip_prefix(base).expect("under the base");
        let served = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        if served == "/persisted-documents.json" {
            continue;
        }
        files.push((served, path.to_string_lossy().into_owned()));
    }
}
