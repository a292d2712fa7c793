//! The Tauri shell: state, thin commands and reply streaming over `ipc::Channel`.

mod api;
pub mod backend;
mod commands;
mod daily;
mod exports;
mod pick;
mod remote;
pub mod error;
pub mod history;
pub mod library;
pub mod render;
pub mod reply;
mod runner;
pub mod state;

use tauri::Runtime;

pub use state::AppState;

/// The app's state as launched: the real engine unless `DESK_FAKE_REPLY` asks
/// for the scripted fake (UI tests), models from the usual folders.
pub fn default_state() -> AppState {
    let loader = backend::FakeBackend::loader_from_env().unwrap_or_else(backend::engine_loader);
    let state = AppState::new(loader, desk_engine::discover::model_dirs());
    match history::History::open(&desk_engine::discover::data_dir()) {
        Ok(h) => state.with_history(h),
        Err(e) => {
            eprintln!("{e}; conversations will not be saved in this session");
            state
        }
    }
}

/// Our state and commands on `base` (the real builder, or the mock runtime's in tests).
pub fn builder<R: Runtime>(base: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    base.plugin(tauri_plugin_dialog::init()).manage(state).invoke_handler(tauri::generate_handler![
        commands::list_models,
        commands::load_model,
        commands::estimate_fit,
        commands::complete,
        commands::fill,
        commands::catalog,
        commands::pull_model,
        commands::cancel_pull,
        commands::import_model,
        commands::remove_model,
        commands::model_status,
        commands::remote_settings,
        commands::remote_models,
        commands::use_remote,
        commands::send,
        commands::stop,
        commands::count_tokens,
        commands::prefill,
        commands::set_activations,
        commands::set_local_api,
        commands::local_api,
        commands::open_link,
        commands::history_list,
        commands::history_open,
        commands::history_search,
        daily::history_rename,
        daily::history_delete,
        daily::history_export,
        daily::history_import,
        daily::history_documents,
        daily::history_notice,
        daily::render_question,
        daily::attach_file,
        daily::run_settings,
        daily::set_run_code,
        daily::run_code,
        daily::stop_code,
        pick::pick_attachment,
        pick::pick_model,
    ])
}
