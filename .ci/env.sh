# Shared by the setup, run and test scripts: one build folder outside the clone,
# so a fresh clone (CI) reuses the optimised mistralrs build instead of a ~20 min cold one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/desk-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
