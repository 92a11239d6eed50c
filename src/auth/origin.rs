//! Who sent a GraphQL request: the client's address, and the one sign-in the request may make.
//!
//! The HTTP layer adds an [`Origin`] to every request's data. A POST batch shares one (its
//! operations are one request); over WebSocket each operation message gets its own.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

#[derive(Debug, Clone)]
pub struct Origin {
    client: IpAddr,
    sign_in_taken: Arc<AtomicBool>,
}

impl Origin {
    pub fn new(client: IpAddr) -> Self {
        Self {
            client,
            sign_in_taken: Arc::default(),
        }
    }

    /// The client's address (the socket's, or the one a trusted proxy forwarded).
    pub fn client(&self) -> IpAddr {
        self.client
    }

    /// `true` the first time only: a request may make one `register` or `login`, however many
    /// aliases, fragments or batched operations ask for more (each would hash a password).
    pub fn take_sign_in(&self) -> bool {
        !self.sign_in_taken.swap(true, Ordering::AcqRel)
    }
}
