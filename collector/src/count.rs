//! `wayline count`: the number of stored events, so that scripts and tests can check that
//! nothing was lost (`count` after a load run equals the events sent) without parsing
//! every event.

use std::path::Path;

use crate::store::{self, StoreError};

/// Counts stored events, reading the database read-only like `wayline events`.
pub fn stored_events(db: &Path) -> Result<u64, StoreError> {
    store::count_events(db)
}
