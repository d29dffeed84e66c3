//! Every way a captcha request can fail, in protocol-neutral terms, and the one mapping of the
//! engine's errors onto them. Protocols map faults to their own codes and messages.

use std::time::Duration;

use super::input::BadBody;
use crate::error::{AudioError, IssueError, RedeemError, VerifyError};

/// Every way a captcha request can fail, in protocol-neutral terms. Protocols map these to
/// their own codes and messages.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The body could not be read as fields.
    Body(BadBody),
    /// A required field is missing, empty where it must not be, or of the wrong type.
    Field(&'static str),
    /// The path exists with other methods, listed in `allow`.
    Method { allow: String },
    /// The scope is not 1–32 characters of `A-Z a-z 0-9 _ - .`.
    InvalidScope,
    /// The protocol asked for something this engine does not offer (a kind, a size).
    Unsupported,
    /// A client id that is not registered (IDaaS).
    UnknownClient,
    /// The caller's own credentials are wrong (siteverify's secret).
    Forbidden,
    /// A wrong solution; the challenge stays valid while `attempts_left > 0`.
    Wrong { attempts_left: u32 },
    /// Not a challenge we issued.
    Unknown,
    /// The challenge's time ran out.
    Expired,
    /// The challenge was already solved.
    Used,
    /// The challenge was locked by too many wrong answers.
    Locked,
    /// The client is locked out after too many wrong answers.
    LockedOut { retry_after: Duration },
    /// The client is over its rate limit.
    RateLimited { retry_after: Duration },
    /// The server cannot serve it now: store down or full, drawing or signing failed.
    Busy,
    /// The server cannot tell its clients apart (no client address), so per-client limits
    /// cannot work: a configuration mistake, refused loudly (see the layer's log line).
    NoClient,
    /// Pictures cost a solved proof of work: none was given (`required`), or it was refused.
    Work { required: bool },
    /// A credential was refused (never `Busy`, which is [`Fault::Busy`]).
    Credential(RedeemError),
}

impl From<IssueError> for Fault {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            IssueError::InvalidScope => Fault::InvalidScope,
            IssueError::InvalidSize(..) | IssueError::UnsupportedKind => Fault::Unsupported,
            IssueError::Draw | IssueError::Busy(_) | IssueError::Overloaded => Fault::Busy,
            IssueError::WorkRequired => Fault::Work { required: true },
            IssueError::WorkRefused => Fault::Work { required: false },
        }
    }
}

impl From<AudioError> for Fault {
    fn from(e: AudioError) -> Self {
        match e {
            AudioError::Unknown => Fault::Unknown,
            AudioError::Expired => Fault::Expired,
            AudioError::NotSpoken => Fault::Unsupported,
            AudioError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            AudioError::Overloaded | AudioError::Sound => Fault::Busy,
        }
    }
}

impl From<VerifyError> for Fault {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Wrong { attempts_left } => Fault::Wrong { attempts_left },
            // A challenge of a kind not offered here (a newer instance's): the client should
            // get a new one, as for any challenge not recognised.
            VerifyError::Unknown | VerifyError::UnknownKind(_) => Fault::Unknown,
            VerifyError::Expired => Fault::Expired,
            VerifyError::Used => Fault::Used,
            VerifyError::Locked => Fault::Locked,
            VerifyError::LockedOut { retry_after } => Fault::LockedOut { retry_after },
            VerifyError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            VerifyError::Busy(_) | VerifyError::Sign => Fault::Busy,
        }
    }
}

impl From<RedeemError> for Fault {
    fn from(e: RedeemError) -> Self {
        match e {
            RedeemError::Busy(_) => Fault::Busy,
            RedeemError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            other => Fault::Credential(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_faults_once() {
        assert!(matches!(Fault::from(VerifyError::Sign), Fault::Busy));
        assert!(matches!(Fault::from(IssueError::Draw), Fault::Busy));
        assert!(matches!(
            Fault::from(RedeemError::Busy(crate::error::StoreError::Timeout)),
            Fault::Busy
        ));
        assert!(matches!(
            Fault::from(RedeemError::Used),
            Fault::Credential(RedeemError::Used)
        ));
    }
}
