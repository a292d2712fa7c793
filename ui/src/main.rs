fn main() {
    #[cfg(target_arch = "wasm32")]
    desk_ui::start();
}
