//! What kind of problem the citizen is facing, independent of language.
//! `components::error` turns each kind into a sentence that says what to do.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No connection: check the network, try again.
    Offline,
    /// The server did not answer in time.
    Timeout,
    /// Login needed or expired.
    NotLoggedIn,
    /// Logged in, but not allowed (e.g. trust level too low).
    Forbidden,
    /// The thing does not exist (any more).
    NotFound,
    /// Too many requests: wait a moment.
    Busy,
    /// The server failed: try again later.
    ServerError,
    /// The server answered something we cannot read.
    BadAnswer,
    /// The request itself was refused as invalid.
    Rejected,
    /// The server was updated and speaks a newer API: reload the page.
    Outdated,
}

impl ErrorKind {
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => ErrorKind::NotLoggedIn,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            429 => ErrorKind::Busy,
            400..=499 => ErrorKind::Rejected,
            _ => ErrorKind::ServerError,
        }
    }

    /// Worth retrying automatically (with backoff)?
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::Offline | ErrorKind::Timeout | ErrorKind::Busy | ErrorKind::ServerError
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(ErrorKind::from_status(401), ErrorKind::NotLoggedIn);
        assert_eq!(ErrorKind::from_status(403), ErrorKind::Forbidden);
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::Busy);
        assert_eq!(ErrorKind::from_status(422), ErrorKind::Rejected);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::ServerError);
        assert!(ErrorKind::Busy.is_transient());
        assert!(!ErrorKind::NotFound.is_transient());
    }
}
