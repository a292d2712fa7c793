//! The committed highlight stylesheets are exactly what the generator writes.
//! `DESK_UPDATE_THEMES=1` rewrites them instead of comparing.

use std::path::PathBuf;

use desk_render::{theme_css, Theme};

#[test]
fn theme_css_files_are_up_to_date() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/themes");
    let update = std::env::var_os("DESK_UPDATE_THEMES").is_some();
    for theme in Theme::ALL {
        let css = theme_css(theme).expect("theme css");
        assert!(css.contains(".hl-code"), "base colours rule");
        assert!(css.contains(".hl-comment"), "comment rule");
        let path = dir.join(theme.file_name());
        if update {
            std::fs::create_dir_all(&dir).expect("create assets/themes");
            std::fs::write(&path, &css).expect("write theme css");
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with DESK_UPDATE_THEMES=1", path.display()));
        assert!(committed == css, "{} is stale; run with DESK_UPDATE_THEMES=1", path.display());
    }
}

#[test]
fn light_and_dark_differ() {
    assert_ne!(theme_css(Theme::Light).expect("light"), theme_css(Theme::Dark).expect("dark"));
}
