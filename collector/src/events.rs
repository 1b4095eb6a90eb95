//! `wayline events`: the stored events as JSON lines, for operators and tests.

use std::io::{self, Write};
use std::path::Path;

use crate::store::{self, StoreError};

/// Writes every stored event's JSON body on its own line, in receive order.
///
/// A closed pipe (`wayline events | head`) ends the output quietly rather than as an error.
pub fn print(db: &Path, out: impl Write) -> Result<(), StoreError> {
    let mut out = io::BufWriter::new(out);
    let written = store::for_each_event(db, |body| writeln!(out, "{body}"))?;
    let flushed = written.and_then(|()| out.flush());
    match flushed {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(StoreError::Output(err)),
        _ => Ok(()),
    }
}
