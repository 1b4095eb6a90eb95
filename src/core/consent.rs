//! Consent: what the SDK may do with the visitor's data (SPEC §8).
//!
//! `Pending` keeps events in memory and sends nothing, `Granted` persists and sends, `Denied` records nothing,
//! and switching to it purges what was stored. Local decisions (rules, prompts) work in every state.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Granted,
    Pending,
    Denied,
}

impl Consent {
    pub fn parse(s: &str) -> Option<Consent> {
        match s {
            "granted" => Some(Consent::Granted),
            "pending" => Some(Consent::Pending),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Granted => "granted",
            Consent::Pending => "pending",
            Consent::Denied => "denied",
        }
    }

    /// Events and the profile may be written to storage.
    pub fn may_persist(self) -> bool {
        self == Consent::Granted
    }

    /// Events may leave the device.
    pub fn may_send(self) -> bool {
        self == Consent::Granted
    }

    /// Events may be queued at all.
    pub fn may_record(self) -> bool {
        self != Consent::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decides() {
        for c in [Consent::Granted, Consent::Pending, Consent::Denied] {
            assert_eq!(Consent::parse(c.as_str()), Some(c));
        }
        assert_eq!(Consent::parse("yes"), None);
        assert!(
            Consent::Pending.may_record()
                && !Consent::Pending.may_send()
                && !Consent::Pending.may_persist()
        );
        assert!(!Consent::Denied.may_record());
        assert!(Consent::Granted.may_send() && Consent::Granted.may_persist());
    }
}
