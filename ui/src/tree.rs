//! A conversation as a tree: editing a question or regenerating an answer adds
//! a sibling branch, and the old one stays one click away. Pure data, tested natively.

use desk_protocol::{Conversation, Message, Role};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub role: Role,
    pub content: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Which child continues the visible branch.
    pub active: usize,
}

/// Node 0 is an invisible root so first questions can have siblings too.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatTree {
    nodes: Vec<Node>,
}

impl Default for ChatTree {
    fn default() -> Self {
        Self { nodes: vec![Node { role: Role::User, content: String::new(), parent: None, children: vec![], active: 0 }] }
    }
}

impl ChatTree {
    pub fn node(&self, id: usize) -> Option<&Node> {
        self.nodes.get(id).filter(|_| id != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.nodes[0].children.is_empty()
    }

    /// Node ids of the visible branch, oldest first.
    pub fn path(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(&next) = self.nodes[at].children.get(self.nodes[at].active) {
            out.push(next);
            at = next;
        }
        out
    }

    pub fn last(&self) -> usize {
        self.path().last().copied().unwrap_or(0)
    }

    fn add(&mut self, parent: usize, role: Role, content: String) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node { role, content, parent: Some(parent), children: vec![], active: 0 });
        let p = &mut self.nodes[parent];
        p.children.push(id);
        p.active = p.children.len() - 1;
        id
    }

    /// A new question at the end of the visible branch.
    pub fn push_user(&mut self, text: impl Into<String>) -> usize {
        let last = self.last();
        self.add(last, Role::User, text.into())
    }

    /// An (initially empty) answer to `question`.
    pub fn push_assistant(&mut self, question: usize) -> usize {
        self.add(question, Role::Assistant, String::new())
    }

    pub fn append(&mut self, id: usize, delta: &str) {
        if let Some(n) = self.nodes.get_mut(id).filter(|_| id != 0) {
            n.content.push_str(delta);
        }
    }

    pub fn set_content(&mut self, id: usize, text: String) {
        if let Some(n) = self.nodes.get_mut(id).filter(|_| id != 0) {
            n.content = text;
        }
    }

    /// Edit-and-resend: a sibling question with the new text becomes visible.
    pub fn edit(&mut self, question: usize, text: impl Into<String>) -> Option<usize> {
        let parent = self.node(question).filter(|n| n.role == Role::User)?.parent?;
        Some(self.add(parent, Role::User, text.into()))
    }

    /// Regenerate: a sibling answer to the same question becomes visible.
    pub fn regenerate(&mut self, answer: usize) -> Option<usize> {
        let question = self.node(answer).filter(|n| n.role == Role::Assistant)?.parent?;
        Some(self.push_assistant(question))
    }

    /// (position, count) of `id` among its siblings, 1-based for display.
    pub fn siblings(&self, id: usize) -> (usize, usize) {
        let Some(parent) = self.node(id).and_then(|n| n.parent) else { return (1, 1) };
        let kids = &self.nodes[parent].children;
        (kids.iter().position(|&k| k == id).map_or(1, |p| p + 1), kids.len())
    }

    /// Show the previous (-1) or next (+1) sibling branch of `id`.
    pub fn flip(&mut self, id: usize, step: isize) -> bool {
        let Some(parent) = self.node(id).and_then(|n| n.parent) else { return false };
        let p = &mut self.nodes[parent];
        let target = p.active as isize + step;
        if target < 0 || target >= p.children.len() as isize {
            return false;
        }
        p.active = target as usize;
        true
    }

    /// The visible branch up to and including `upto`, as the engine wants it.
    pub fn conversation(&self, system: Option<String>, upto: usize) -> Conversation {
        let mut messages = Vec::new();
        for id in self.path() {
            let n = &self.nodes[id];
            messages.push(Message { role: n.role, content: n.content.clone() });
            if id == upto {
                break;
            }
        }
        Conversation { system, messages }
    }

    /// A title from the first question: its first line, shortened.
    pub fn title(&self) -> String {
        // Borrowed, not cloned: the sidebar asks on every streamed token, and a
        // first question can be a whole pasted file.
        let first = self.nodes[0].children.get(self.nodes[0].active).map_or("", |&id| self.nodes[id].content.as_str());
        // As the store will title it, so the row does not change when the reply is filed.
        let title = desk_protocol::auto_title(first);
        if title.is_empty() {
            "New chat".into()
        } else {
            title
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(t: &ChatTree) -> Vec<String> {
        t.path().iter().map(|&id| t.node(id).unwrap().content.clone()).collect()
    }

    #[test]
    fn a_conversation_grows_along_one_branch() {
        let mut t = ChatTree::default();
        let q = t.push_user("hi");
        let a = t.push_assistant(q);
        t.append(a, "hel");
        t.append(a, "lo");
        let q2 = t.push_user("more");
        assert_eq!(contents(&t), ["hi", "hello", "more"]);
        let conv = t.conversation(Some("sys".into()), q2);
        assert_eq!(conv.messages.len(), 3);
        assert_eq!(conv.system.as_deref(), Some("sys"));
    }

    #[test]
    fn editing_a_question_keeps_the_old_branch_to_flip_back_to() {
        let mut t = ChatTree::default();
        let q = t.push_user("first");
        let a = t.push_assistant(q);
        t.append(a, "answer one");
        let q1b = t.edit(q, "first, edited").unwrap();
        let a2 = t.push_assistant(q1b);
        t.append(a2, "answer two");
        assert_eq!(contents(&t), ["first, edited", "answer two"]);
        assert_eq!(t.siblings(q1b), (2, 2));
        assert!(t.flip(q1b, -1));
        assert_eq!(contents(&t), ["first", "answer one"]);
        assert!(!t.flip(q, -1), "no branch before the first");
        assert!(t.flip(q, 1));
        assert_eq!(contents(&t), ["first, edited", "answer two"]);
    }

    #[test]
    fn regenerating_adds_a_sibling_answer_and_keeps_the_question() {
        let mut t = ChatTree::default();
        let q = t.push_user("why");
        let a = t.push_assistant(q);
        t.append(a, "because");
        let b = t.regenerate(a).unwrap();
        t.append(b, "since");
        assert_eq!(contents(&t), ["why", "since"]);
        assert_eq!(t.siblings(b), (2, 2));
        assert!(t.regenerate(q).is_none(), "only answers are regenerated");
        let conv = t.conversation(None, q);
        assert_eq!(conv.messages, vec![Message::user("why")]);
    }

    #[test]
    fn titles_come_from_the_first_line_of_the_first_question() {
        let mut t = ChatTree::default();
        assert_eq!(t.title(), "New chat");
        t.push_user("\n  What does this Rust function do and why is it so slow on large inputs?\nfn f() {}");
        assert_eq!(t.title(), "What does this Rust function do and why is it so slow on…");
    }
}
