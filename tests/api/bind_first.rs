//! The port is bound before anything is created: a port in use fails the start at once, names
//! the address, and leaves no data dir, key file or database behind.

use videoprompt::startup::Application;

use crate::helpers::serve_args;

#[tokio::test]
async fn a_port_in_use_fails_before_the_data_dir_is_made() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("fresh");
    let mut args = serve_args(&data_dir);
    args.listen = addr;

    let err = match Application::build(args).await {
        Ok(_) => panic!("the server started on a port in use"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains(&addr.to_string()), "{err}");
    assert!(
        !data_dir.exists(),
        "the data dir was created before the port was bound: {err}"
    );
    drop(taken);
}
