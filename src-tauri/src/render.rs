//! The reply renderer the shell uses: desk-render's streaming renderer.

use desk_protocol::DocumentPatch;
use desk_render::StreamRenderer;

use crate::reply::ReplyRenderer;

#[derive(Default)]
pub struct Streaming {
    renderer: StreamRenderer,
    /// Blocks the UI holds, so a shrink (a block taken back) is sent too.
    shown: usize,
}

impl ReplyRenderer for Streaming {
    fn push(&mut self, delta: &str) -> Option<DocumentPatch> {
        self.renderer.push(delta);
        let patch = self.renderer.take_patch();
        let changed = !patch.blocks.is_empty() || patch.from != self.shown;
        self.shown = patch.from + patch.blocks.len();
        changed.then_some(patch)
    }
    fn finish(&mut self) -> Option<DocumentPatch> {
        None
    }
}
