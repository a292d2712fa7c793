//! Markdown + syntect -> a safe, highlighted typed document (in progress).
