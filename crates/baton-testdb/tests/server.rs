//! The throwaway server starts, gives each caller a database of its own, and survives an
//! immediate stop and a start on the same port with its data.

use baton_testdb::own_server as server;

#[test]
fn databases_are_separate_and_the_server_comes_back_after_a_stop() {
    let pg = server();
    let a = pg.fresh_database();
    let b = pg.fresh_database();
    assert_ne!(a, b);
    let db = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    pg.sql(
        &db(&a),
        "CREATE TABLE t (x BIGINT); INSERT INTO t VALUES (7)",
    )
    .unwrap();
    assert!(
        pg.sql(&db(&b), "SELECT x FROM t").is_err(),
        "b has no table t"
    );
    pg.stop().unwrap();
    assert!(pg.sql(&db(&a), "SELECT 1").is_err(), "stopped");
    pg.start_again().unwrap();
    assert_eq!(pg.sql(&db(&a), "SELECT x FROM t").unwrap(), "7");
}

#[test]
fn a_template_is_made_once_and_a_half_made_one_again() {
    let pg = baton_testdb::server();
    let db = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    let template = format!("made_once_{}", std::process::id());
    // A template a killed process left half made: there, but not marked a template.
    pg.sql("postgres", &format!("CREATE DATABASE {template}"))
        .unwrap();
    let mut made = 0;
    let mut make = |url: &str| -> Result<(), String> {
        made += 1;
        pg.sql(
            &db(url),
            "CREATE TABLE t (x BIGINT); INSERT INTO t VALUES (7)",
        )
        .map(drop)
    };
    let a = pg.fresh_database_from(&template, &mut make);
    let b = pg.fresh_database_from(&template, &mut make);
    assert_eq!(made, 1, "made once, for the first copy");
    assert_ne!(a, b);
    // Each copy holds what the template held, and is its own.
    pg.sql(&db(&a), "INSERT INTO t VALUES (8)").unwrap();
    assert_eq!(pg.sql(&db(&a), "SELECT count(*) FROM t").unwrap(), "2");
    assert_eq!(pg.sql(&db(&b), "SELECT count(*) FROM t").unwrap(), "1");
}
