//! Faults chosen by the API key, so a tester picks a scenario per user (from GraphiQL too):
//!
//! | key | effect |
//! |---|---|
//! | `fault:rate-limit[:N]` | 429 with RetryInfo `1s`, N times (default 1), then success |
//! | `fault:unavailable[:N]` | 503, N times |
//! | `fault:internal[:N]` | 500, N times |
//! | `fault:timeout[:N]` | 504, N times |
//! | `fault:invalid-key` | 400 `API_KEY_INVALID` on every route that takes a key |
//! | `fault:blocked` | the prompt is blocked for safety (`promptFeedback.blockReason`) |
//! | `fault:malformed` | the answer text is not the JSON asked for |
//! | `fault:slow:MS` | the answer takes MS ms; a stream spreads its chunks over that time |
//! | `fault:stream-drop` | the answer breaks off midway |
//! | `fault:file-failed` | uploaded files end FAILED |
//! | `fault:never-active` | uploaded files stay PROCESSING |
//!
//! The counted faults apply to generation calls only and are counted per key, so one user's
//! scenario never affects another's. Any other key succeeds.

use std::{collections::HashMap, time::Duration};

/// What the key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// An error status for the first `times` generation calls.
    Status {
        kind: StatusFault,
        times: u32,
    },
    InvalidKey,
    Blocked,
    Malformed,
    Slow(Duration),
    StreamDrop,
    FileFailed,
    NeverActive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFault {
    RateLimit,
    Unavailable,
    Internal,
    Timeout,
}

impl Fault {
    pub fn from_key(key: &str) -> Self {
        let Some(spec) = key.strip_prefix("fault:") else {
            return Self::None;
        };
        let (name, arg) = match spec.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (spec, None),
        };
        let times = || arg.and_then(|n| n.parse().ok()).unwrap_or(1);
        let status = |kind| Self::Status {
            kind,
            times: times(),
        };
        match name {
            "rate-limit" => status(StatusFault::RateLimit),
            "unavailable" => status(StatusFault::Unavailable),
            "internal" => status(StatusFault::Internal),
            "timeout" => status(StatusFault::Timeout),
            "invalid-key" => Self::InvalidKey,
            "blocked" => Self::Blocked,
            "malformed" => Self::Malformed,
            "slow" => arg
                .and_then(|ms| ms.parse().ok())
                .map_or(Self::None, |ms| Self::Slow(Duration::from_millis(ms))),
            "stream-drop" => Self::StreamDrop,
            "file-failed" => Self::FileFailed,
            "never-active" => Self::NeverActive,
            _ => Self::None,
        }
    }
}

/// How many counted faults each key has been served.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    served: HashMap<String, u32>,
}

impl Faults {
    /// For a generation call: the status fault to answer with now, if the key still has one.
    pub fn take_status_fault(&mut self, key: &str) -> Option<StatusFault> {
        let Fault::Status { kind, times } = Fault::from_key(key) else {
            return None;
        };
        let served = self.served.entry(key.to_owned()).or_default();
        if *served >= times {
            return None;
        }
        *served += 1;
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_faults() {
        assert_eq!(Fault::from_key("AIza-real-looking"), Fault::None);
        assert_eq!(
            Fault::from_key("fault:rate-limit"),
            Fault::Status {
                kind: StatusFault::RateLimit,
                times: 1
            }
        );
        assert_eq!(
            Fault::from_key("fault:unavailable:3"),
            Fault::Status {
                kind: StatusFault::Unavailable,
                times: 3
            }
        );
        assert_eq!(
            Fault::from_key("fault:slow:250"),
            Fault::Slow(Duration::from_millis(250))
        );
        assert_eq!(Fault::from_key("fault:slow"), Fault::None);
        assert_eq!(Fault::from_key("fault:whatever"), Fault::None);
    }

    #[test]
    fn counted_faults_run_out_per_key() {
        let mut faults = Faults::default();
        assert!(faults.take_status_fault("fault:internal:2").is_some());
        assert!(faults.take_status_fault("fault:internal:2").is_some());
        assert!(faults.take_status_fault("fault:internal:2").is_none());
        assert!(faults.take_status_fault("fault:internal").is_some());
        assert!(faults.take_status_fault("plain").is_none());
    }
}
