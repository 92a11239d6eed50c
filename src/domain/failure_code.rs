//! `FailureCode`: every code a video prompt can end `FAILED` with (DESIGN.md "Errors"), the one
//! list shared by the Gemini client, the job runner and the stored `error_code` column.
//!
//! The stored and displayed form is the stable upper-case name (`GEMINI_QUOTA`); `FromStr`
//! reads the column back.

use std::{fmt, str::FromStr};

/// Why a generation failed: what a record's `errorCode` says.
#[derive(Copy, Clone, Debug, Eq, PartialEq, Hash)]
pub enum FailureCode {
    /// Gemini refused the API key.
    GeminiAuth,
    /// No Gemini API key was stored when the worker ran.
    GeminiApiKeyMissing,
    /// 429: rate limit or quota, after the retries ran out.
    GeminiQuota,
    /// 500/502/503 or a broken connection, after the retries ran out.
    GeminiUnavailable,
    /// The prompt or the answer was blocked.
    GeminiBlocked,
    /// The answer was not the JSON asked for.
    GeminiBadOutput,
    /// An uploaded image failed processing or did not become ACTIVE in time.
    GeminiFileProcessing,
    /// 504 or our own request timeout, after the retries ran out.
    Timeout,
    /// A fault on our side (a refused request, a missing image, an unreadable record).
    Internal,
}

impl FailureCode {
    /// Every code, in DESIGN.md's order.
    pub const ALL: [FailureCode; 9] = [
        Self::GeminiAuth,
        Self::GeminiApiKeyMissing,
        Self::GeminiQuota,
        Self::GeminiUnavailable,
        Self::GeminiBlocked,
        Self::GeminiBadOutput,
        Self::GeminiFileProcessing,
        Self::Timeout,
        Self::Internal,
    ];

    /// The stable name stored in `error_code` and shown as `errorCode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GeminiAuth => "GEMINI_AUTH",
            Self::GeminiApiKeyMissing => "GEMINI_API_KEY_MISSING",
            Self::GeminiQuota => "GEMINI_QUOTA",
            Self::GeminiUnavailable => "GEMINI_UNAVAILABLE",
            Self::GeminiBlocked => "GEMINI_BLOCKED",
            Self::GeminiBadOutput => "GEMINI_BAD_OUTPUT",
            Self::GeminiFileProcessing => "GEMINI_FILE_PROCESSING",
            Self::Timeout => "TIMEOUT",
            Self::Internal => "INTERNAL",
        }
    }

    /// Parses a stored name back; `None` for anything unknown.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == value)
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored `error_code` that names no known failure code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure code {0:?}")]
pub struct UnknownFailureCode(pub String);

impl FromStr for FailureCode {
    type Err = UnknownFailureCode;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value).ok_or_else(|| UnknownFailureCode(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in FailureCode::ALL {
            assert_eq!(code.as_str().parse::<FailureCode>(), Ok(code));
            assert_eq!(FailureCode::parse(&code.to_string()), Some(code));
        }
    }

    #[test]
    fn the_names_are_designs_and_distinct() {
        let names: Vec<&str> = FailureCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(
            names,
            [
                "GEMINI_AUTH",
                "GEMINI_API_KEY_MISSING",
                "GEMINI_QUOTA",
                "GEMINI_UNAVAILABLE",
                "GEMINI_BLOCKED",
                "GEMINI_BAD_OUTPUT",
                "GEMINI_FILE_PROCESSING",
                "TIMEOUT",
                "INTERNAL",
            ]
        );
    }

    #[test]
    fn an_unknown_name_is_refused() {
        assert_eq!(
            "gemini_quota".parse::<FailureCode>(),
            Err(UnknownFailureCode("gemini_quota".into()))
        );
        assert_eq!(FailureCode::parse(""), None);
    }
}
