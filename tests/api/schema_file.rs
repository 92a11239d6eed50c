//! `schema.graphql` is exactly what the server serves (`videoprompt schema` prints the same).

#[test]
fn schema_graphql_matches_the_served_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let served = videoprompt::graphql::sdl();
    if committed != served {
        if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
            std::fs::write(path, &served).unwrap();
            return;
        }
        panic!(
            "schema.graphql differs from the served schema; regenerate it with \
             `cargo run -q -- schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test)"
        );
    }
}
