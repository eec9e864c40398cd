//! The floor: the least a Tauri v2 app costs on this machine, to measure Baton against
//! (`tests/tests/integration/floor_bench.rs`, docs/performance.md). One window of Baton's size with
//! Baton's WebKit settings (the functions Baton calls, not copies) and nothing else: no engine,
//! no store, no plugins, no commands. `BATON_FLOOR_PAGE` picks the page from `ui/floor/dist`:
//! `blank` (the default) or `hello` (a React hello-world as large as Baton's first bundle).
//!
//! Built only on demand, never by `make test` (it needs the `floor` feature):
//! `npm --prefix ui run build:floor && cargo build --release -p baton-app --features floor
//! --example baton-app-floor`. Its name starts with `baton-app` so that the benchmarks' process
//! finder (`baton_tests::app_memory`) sees it as the app.

fn main() {
    baton_app::webkit::prepare_environment();
    baton_app::web_memory::limit_web_process();
    let page = match std::env::var("BATON_FLOOR_PAGE").as_deref() {
        Ok("hello") => "hello.html",
        _ => "blank.html",
    };
    tauri::Builder::default()
        .setup(move |app| {
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App(page.into()))
                .title("Baton floor")
                .inner_size(1280.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!("examples/floor/tauri.conf.json"))
        .expect("the floor app could not start");
}
