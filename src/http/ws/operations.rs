//! The GraphQL operations running on one WebSocket connection, polled together.
//!
//! Each operation is async-graphql's response stream for one `subscribe`/`start` message. They
//! sit in a `SelectAll`, which gives every stream its own waker: a change wakes and polls only
//! the operations it concerns. (async-graphql's own WebSocket driver polls every stream of the
//! connection each time any of them is woken, so a connection with 100 subscriptions paid 100
//! polls for every event of one of them.)
//!
//! A stopped operation is dropped at once through its abort handle. Every stream ends with a
//! marker carrying the generation it was started with, so the end of a stopped operation can
//! never be mistaken for the end of a newer one that reuses its id.

use std::collections::HashMap;

use async_graphql::Response;
use futures_util::{
    StreamExt,
    stream::{self, AbortHandle, Abortable, BoxStream, SelectAll},
};

/// What an operation said. One at a time, straight to the socket: its size needs no Box.
#[allow(clippy::large_enum_variant)]
pub enum Output {
    /// A result to send.
    Next(String, Response),
    /// It ended by itself (a query's single result is out, or a subscription finished).
    Finished(String),
}

struct Item {
    id: String,
    generation: u64,
    response: Option<Response>,
}

#[derive(Default)]
pub struct Operations {
    running: HashMap<String, (u64, AbortHandle)>,
    streams: SelectAll<BoxStream<'static, Item>>,
    generations: u64,
}

impl Operations {
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.running.contains_key(id)
    }

    pub fn start(&mut self, id: String, responses: BoxStream<'static, Response>) {
        self.generations += 1;
        let generation = self.generations;
        let (handle, registration) = AbortHandle::new_pair();
        let results = {
            let id = id.clone();
            Abortable::new(responses, registration).map(move |response| Item {
                id: id.clone(),
                generation,
                response: Some(response),
            })
        };
        let end = stream::once({
            let id = id.clone();
            async move {
                Item {
                    id,
                    generation,
                    response: None,
                }
            }
        });
        self.streams.push(results.chain(end).boxed());
        self.running.insert(id, (generation, handle));
    }

    /// Drops a running operation; `false` if none has that id.
    pub fn stop(&mut self, id: &str) -> bool {
        match self.running.remove(id) {
            Some((_, handle)) => {
                handle.abort();
                true
            }
            None => false,
        }
    }

    /// The next thing an operation said. Pending while none has anything to say (also when
    /// none runs), so it can sit in a `select!` as it is. Cancel-safe.
    pub async fn next(&mut self) -> Output {
        loop {
            let Some(item) = self.streams.next().await else {
                // Nothing runs: wait for the caller to start something.
                std::future::pending::<()>().await;
                continue;
            };
            let current = matches!(
                self.running.get(&item.id),
                Some((generation, _)) if *generation == item.generation
            );
            if !current {
                // What a stopped operation still had in flight.
                continue;
            }
            return match item.response {
                Some(response) => Output::Next(item.id, response),
                None => {
                    self.running.remove(&item.id);
                    Output::Finished(item.id)
                }
            };
        }
    }
}
