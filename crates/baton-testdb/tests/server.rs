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
