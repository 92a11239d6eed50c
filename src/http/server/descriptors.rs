//! The file descriptor budget: raising the soft `RLIMIT_NOFILE` to the hard limit at start, and
//! the connection cap that leaves room below it for everything else the process opens.
//!
//! Without a cap, enough idle sockets use up the descriptors: `accept` fails, the database
//! cannot open a file, and even `/healthz` stops answering.

/// Descriptors kept for what is not a client connection and is not counted elsewhere: the
/// listener, stdio, the SQLite files (database, WAL, shared memory), log files, the tokio
/// runtime's own, and images being read or written.
const FIXED_RESERVE: u64 = 128;

/// The largest default cap: beyond it, memory (buffers of every idle connection) runs out
/// before descriptors do. An operator who wants more says so with `--max-connections`.
const MAX_DEFAULT_CAP: u64 = 16_384;

/// The soft and hard limits of open files, as the process now has them.
#[derive(Debug, Clone, Copy)]
pub struct DescriptorLimits {
    pub soft_before: u64,
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft limit of open files to the hard limit (the kernel lets any process do this)
/// and logs both. `None` where the limit cannot be read.
pub fn raise_to_hard_limit() -> Option<DescriptorLimits> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid, writable rlimit for the call to fill in.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            tracing::warn!(error = %std::io::Error::last_os_error(), "could not read the open-files limit");
            return None;
        }
        // `rlim_t` is not `u64` on every platform.
        #[allow(clippy::unnecessary_cast)]
        let (soft_before, hard) = (limit.rlim_cur as u64, limit.rlim_max as u64);
        let mut soft = soft_before;
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: `raised` is a valid rlimit; the call only reads it.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                soft = hard;
            } else {
                tracing::warn!(
                    error = %std::io::Error::last_os_error(),
                    soft_before, hard, "could not raise the open-files limit to the hard limit"
                );
            }
        }
        tracing::info!(soft_before, soft, hard, "open-files limit (RLIMIT_NOFILE)");
        Some(DescriptorLimits {
            soft_before,
            soft,
            hard,
        })
    }
    #[cfg(not(unix))]
    None
}

/// The default connection cap for a soft limit of `soft` descriptors: half of what is left
/// after the fixed reserve, the database pool, the probe lane and two outbound connections per
/// worker (Gemini), because a connection may hold a second descriptor (an upload's temporary
/// file, an image being read) while it is served.
pub fn default_cap(soft: u64, db_connections: u64, probe_connections: u64, workers: u64) -> usize {
    let others = FIXED_RESERVE + db_connections + probe_connections + 2 * workers;
    let cap = (soft.saturating_sub(others) / 2).clamp(1, MAX_DEFAULT_CAP);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The descriptors a cap of `cap` connections may need with everything else the process opens;
/// more than the soft limit means `accept` or a file open can fail before the cap is reached.
pub fn needed_for(cap: usize, db_connections: u64, probe_connections: u64, workers: u64) -> u64 {
    FIXED_RESERVE + db_connections + probe_connections + 2 * workers + 2 * cap as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_room_for_the_rest() {
        // The common 1024 default: room for the pool, the workers and the probes, then half.
        assert_eq!(
            default_cap(1024, 16, 16, 16),
            (1024 - 128 - 16 - 16 - 32) / 2
        );
        assert!(needed_for(default_cap(1024, 16, 16, 16), 16, 16, 16) <= 1024);
        // A raised limit is bounded by memory, not descriptors.
        assert_eq!(default_cap(1 << 20, 16, 16, 16), 16_384);
        // A tiny limit still lets one connection in.
        assert_eq!(default_cap(64, 16, 16, 16), 1);
    }
}
