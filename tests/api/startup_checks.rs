//! Start-up refuses or warns about what would otherwise fail later or silently: a Gemini URL
//! that is not a URL, a master key file others can read, and (with `orphaned_bytes`) the bytes a
//! crash left behind.

use std::os::unix::fs::PermissionsExt;

use testkit::ServerProcess;

use crate::helpers::videoprompt;

#[tokio::test]
async fn a_gemini_base_url_that_is_not_a_url_is_refused_at_start() {
    for bad in ["not a url", "127.0.0.1:8090", "ftp://example.org"] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = videoprompt(dir.path());
        command.args(["serve", "--listen", "127.0.0.1:0", "--gemini-base-url", bad]);
        let Err((status, log)) = ServerProcess::start(command) else {
            panic!("the server started with --gemini-base-url {bad:?}");
        };
        assert!(!status.success());
        assert!(log.contains("--gemini-base-url"), "{log}");
        assert!(log.contains("http://") || log.contains("https://"), "{log}");
        assert!(
            !dir.path().join("data").exists(),
            "the start went on past the flags"
        );
    }
}

#[tokio::test]
async fn an_out_of_range_setting_stops_the_start_naming_its_flag() {
    for (flag, value) in [
        ("--lease", "0s"),
        ("--max-attempts", "0"),
        ("--ws-ping-interval", "0ms"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = videoprompt(dir.path());
        command.args(["serve", "--listen", "127.0.0.1:0", flag, value]);
        let Err((status, log)) = ServerProcess::start(command) else {
            panic!("the server started with {flag} {value}");
        };
        assert!(!status.success());
        assert!(log.contains(flag), "{log}");
        assert!(
            !dir.path().join("data").exists(),
            "the start went on past the flags"
        );
    }
}

#[tokio::test]
async fn a_master_key_file_others_can_read_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut command = videoprompt(dir.path());
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        ServerProcess::start(command).expect("the server did not start")
    };
    let mut first = start();
    assert!(
        !first.log_so_far().contains("chmod 600"),
        "warned about its own 0600 file"
    );
    first.signal("TERM");
    assert!(first.wait().0.success());

    let key_file = dir.path().join("data/master.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = start();
    second.signal("TERM");
    let (status, log) = second.wait();
    assert!(status.success());
    let warning = log
        .lines()
        .find(|line| line.contains("WARN") && line.contains("master key file"))
        .unwrap_or_else(|| panic!("no warning about the key file's mode:\n{log}"));
    assert!(
        warning.contains("644") && warning.contains("chmod 600"),
        "{warning}"
    );
}
