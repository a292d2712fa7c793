//! Conversation history in SQLite (in progress).
