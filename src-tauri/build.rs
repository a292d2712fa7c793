fn main() {
    // Only our own commands get permissions; the capability grants exactly these.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_models",
        "load_model",
        "estimate_fit",
        "complete",
        "fill",
        "catalog",
        "pull_model",
        "cancel_pull",
        "import_model",
        "remove_model",
        "model_status",
        "remote_settings",
        "remote_models",
        "use_remote",
        "send",
        "stop",
        "count_tokens",
        "prefill",
        "set_activations",
        "set_local_api",
        "local_api",
        "open_link",
        "history_list",
        "history_open",
        "history_search",
        "history_rename",
        "history_delete",
        "history_export",
        "history_import",
        "history_documents",
        "history_notice",
        "render_question",
        "attach_file",
        "run_settings",
        "set_run_code",
        "run_code",
        "stop_code",
        "pick_attachment",
        "pick_model",
    ]);
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json").app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build script failed: {e:#}");
    }
}
