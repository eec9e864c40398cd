//! The writer's linger on SQLite ([`crate::writer::BATCH_LINGER`]): writes coming fast from
//! several callers wait a moment for each other, one caller writing in turn never waits.

use std::time::Duration;

use super::writer::{handle, hold_the_writer};

#[test]
fn writes_coming_from_several_callers_wait_for_each_other_and_one_caller_in_turn_never_waits() {
    if baton_testdb::engine() != baton_testdb::Engine::Sqlite {
        return; // PostgreSQL's batches group their round trips instead (writer/group.rs).
    }
    let (_dir, store) = handle();
    // Long enough that no loaded machine outruns it between two statements of this test.
    store.writer().set_linger(Duration::from_secs(2));

    // One caller, each write waited for before the next: a batch each, none lingering (with
    // a linger of 2 s each, these 20 would take 40 s).
    let before = store.writer_stats();
    for _ in 0..20 {
        store.write_blocking(|_| Ok(())).unwrap();
    }
    assert_eq!(store.writer_stats().batches - before.batches, 20);

    // Several callers at once: two writes queued behind a held one commit with it.
    let held = hold_the_writer(&store);
    let queued: Vec<_> = (0..2).map(|_| store.writer().submit(|_| Ok(()))).collect();
    held.release();
    for reply in queued {
        reply.blocking_recv().unwrap().unwrap();
    }
    // Right after that shared batch, a write waits for the next one, which comes a moment
    // later: one batch for both (without the linger the first commits alone meanwhile).
    let before = store.writer_stats();
    let first = store.writer().submit(|_| Ok(()));
    std::thread::sleep(Duration::from_millis(100));
    let second = store.writer().submit(|_| Ok(()));
    first.blocking_recv().unwrap().unwrap();
    second.blocking_recv().unwrap().unwrap();
    let after = store.writer_stats();
    assert_eq!(after.writes - before.writes, 2);
    assert_eq!(after.batches - before.batches, 1, "{after:?}");
}
