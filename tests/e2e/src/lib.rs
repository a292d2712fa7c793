//! End-to-end tests of the desktop app live in tests/; see tests/e2e/tests/window.rs.
