//! Waiting for something the server does on its own time (a record finishing, a file being
//! deleted, a socket closing): poll a condition until it holds. The deadline is a safety net
//! that turns a hang into a readable failure, not a measurement: nothing passes *because* it
//! was fast enough.

use std::{fmt::Display, time::Duration};

/// How long [`eventually`] waits before giving up: far beyond what any awaited step takes.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Pause between two looks; short, since what is awaited usually takes milliseconds.
const POLL: Duration = Duration::from_millis(20);

/// What a condition answers: `bool` (holds or not) or `Option<T>` (holds with the value `T`).
pub trait Outcome {
    type Value;
    fn settled(self) -> Option<Self::Value>;
}

impl Outcome for bool {
    type Value = ();
    fn settled(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn settled(self) -> Option<T> {
        self
    }
}

/// Polls `check` until it holds and returns what it held with; panics naming `what` (the
/// awaited state: "the stand-in holds no files") after [`PATIENCE`].
pub async fn eventually<O: Outcome>(what: impl Display, check: impl AsyncFnMut() -> O) -> O::Value {
    eventually_within(PATIENCE, what, check).await
}

/// [`eventually`] with another deadline: for a test whose meaning needs the step to happen
/// before something slower could have caused it (say it), or a benchmark's longer run.
pub async fn eventually_within<O: Outcome>(
    patience: Duration,
    what: impl Display,
    mut check: impl AsyncFnMut() -> O,
) -> O::Value {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(value) = check().await.settled() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {} s waiting until {what}",
            patience.as_secs()
        );
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{eventually, eventually_within};

    #[tokio::test]
    async fn it_returns_once_the_condition_holds_with_what_it_held_with() {
        let mut looks = 0;
        let value = eventually("the third look", async || {
            looks += 1;
            (looks == 3).then_some(looks * 10)
        })
        .await;
        assert_eq!(value, 30);
    }

    #[tokio::test]
    #[should_panic(expected = "gave up after 0 s waiting until pigs fly")]
    async fn it_fails_naming_what_never_happened() {
        eventually_within(Duration::from_millis(50), "pigs fly", async || false).await;
    }
}
