// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let state = desk_shell::default_state();
    if let Err(e) = desk_shell::builder(tauri::Builder::default(), state).run(tauri::generate_context!("../tauri.conf.json")) {
        eprintln!("Codellama Desk could not start: {e}");
        std::process::exit(1);
    }
}
