//! What the engine reports when a membership or a stage changes.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SegmentEnter {
        segment: String,
        at: i64,
    },
    SegmentExit {
        segment: String,
        at: i64,
    },
    /// `from`/`to` are `None` when the visitor had, or now has, no stage.
    Stage {
        journey: String,
        from: Option<String>,
        to: Option<String>,
        at: i64,
    },
}

impl Change {
    /// The unit that changed: whether it is a journey, and its name.
    pub fn unit(&self) -> (bool, &str) {
        match self {
            Change::SegmentEnter { segment, .. } | Change::SegmentExit { segment, .. } => {
                (false, segment)
            }
            Change::Stage { journey, .. } => (true, journey),
        }
    }

    pub fn at(&self) -> i64 {
        match self {
            Change::SegmentEnter { at, .. }
            | Change::SegmentExit { at, .. }
            | Change::Stage { at, .. } => *at,
        }
    }
}
