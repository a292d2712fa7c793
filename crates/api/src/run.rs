//! One request's generation: the engine's events, cut at the caller's stop
//! strings, as text pieces and one end.

use std::collections::VecDeque;

use desk_engine::{CancelHandle, EventStream};
use desk_protocol::{ChatEvent, StopReason, Usage};
use futures::StreamExt;

use crate::error::ApiError;
use crate::stop::StopMatcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model ended (end of text, or the fill's end).
    Eos,
    /// `max_tokens` (or the context) ran out.
    Length,
    /// A stop string was reached.
    Word,
}

impl Finish {
    /// OpenAI's `finish_reason`.
    pub fn openai(self) -> &'static str {
        match self {
            Finish::Eos | Finish::Word => "stop",
            Finish::Length => "length",
        }
    }
    /// llama-server's `stop_type`.
    pub fn llama(self) -> &'static str {
        match self {
            Finish::Eos => "eos",
            Finish::Length => "limit",
            Finish::Word => "word",
        }
    }
}

pub enum Piece {
    Text(String),
    End { finish: Finish, usage: Usage, text: String },
    Failed(ApiError),
}

pub struct Generation {
    events: EventStream,
    cancel: CancelHandle,
    stops: StopMatcher,
    hit: bool,
    usage: Usage,
    text: String,
    queued: VecDeque<Piece>,
    ended: bool,
}

impl Generation {
    pub fn new((events, cancel): (EventStream, CancelHandle), stops: Vec<String>) -> Self {
        Self {
            events,
            cancel,
            stops: StopMatcher::new(stops),
            hit: false,
            usage: Usage::default(),
            text: String::new(),
            queued: VecDeque::new(),
            ended: false,
        }
    }

    fn shown(&mut self, text: String) {
        if !text.is_empty() {
            self.text.push_str(&text);
            self.queued.push_back(Piece::Text(text));
        }
    }

    /// The next piece; `None` after the end.
    pub async fn next(&mut self) -> Option<Piece> {
        loop {
            if let Some(piece) = self.queued.pop_front() {
                return Some(piece);
            }
            if self.ended {
                return None;
            }
            match self.events.next().await {
                Some(ChatEvent::Started { .. } | ChatEvent::Notice { .. }) => {}
                Some(ChatEvent::Text { delta }) if !self.hit => {
                    let (text, hit) = self.stops.push(&delta);
                    self.shown(text);
                    if hit {
                        // The engine stops at its next token; its Usage still arrives.
                        self.hit = true;
                        self.cancel.cancel();
                    }
                }
                Some(ChatEvent::Text { .. }) => {}
                Some(ChatEvent::Usage(u)) => self.usage = u,
                Some(ChatEvent::Stopped { reason, .. }) => {
                    self.ended = true;
                    let finish = match reason {
                        _ if self.hit => Finish::Word,
                        StopReason::EndOfText | StopReason::Cancelled => Finish::Eos,
                        StopReason::MaxTokens => Finish::Length,
                        StopReason::Error { message } | StopReason::Interrupted { message } => {
                            self.queued.push_back(Piece::Failed(ApiError::Internal(message)));
                            continue;
                        }
                    };
                    let rest = self.stops.finish();
                    self.shown(rest);
                    let end = Piece::End { finish, usage: self.usage.clone(), text: self.text.clone() };
                    self.queued.push_back(end);
                }
                None => {
                    self.ended = true;
                    self.queued.push_back(Piece::Failed(ApiError::Internal("the engine ended the reply early".into())));
                }
            }
        }
    }

    /// The whole reply, for a request that does not stream.
    pub async fn collect(mut self) -> Result<(String, Finish, Usage), ApiError> {
        while let Some(piece) = self.next().await {
            match piece {
                Piece::Text(_) => {}
                Piece::End { finish, usage, text } => return Ok((text, finish, usage)),
                Piece::Failed(e) => return Err(e),
            }
        }
        Err(ApiError::Internal("the engine ended the reply early".into()))
    }
}
