//! Numbers the UI keeps in step with the backend, checked so that one is not changed alone.

use baton_core::views::FINISHED_CARDS_KEPT;

#[test]
fn the_board_keeps_as_many_finished_cards_as_the_backend_sends() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/lib/board.ts");
    let source = std::fs::read_to_string(path).expect("ui/src/lib/board.ts");
    let wanted = format!("export const FINISHED_KEPT = {FINISHED_CARDS_KEPT};");
    assert!(
        source.contains(&wanted),
        "ui/src/lib/board.ts must say `{wanted}` (FINISHED_CARDS_KEPT in baton-core's views.rs)"
    );
}
