//! `wayline count`: the number of stored events, so that scripts and tests can check that
//! nothing was lost (`count` after a load run equals the events sent) without parsing
//! every event.

use std::path::Path;

use crate::store::{self, StoreError};

/// Counts stored events, reading the database read-only like `wayline events`.
pub fn stored_events(db: &Path) -> Result<u64, StoreError> {
    // Walks the rows through the store's reader rather than adding a query of its own, so
    // the read-only opening and schema checks stay in one place; a few hundred thousand
    // rows take well under a second.
    let mut count = 0u64;
    store::for_each_event(db, |_| {
        count += 1;
        Ok::<(), std::convert::Infallible>(())
    })?
    .unwrap_or_else(|never| match never {});
    Ok(count)
}
