//! `wayline drops`: what the browser SDK reported dropping before it could deliver, per
//! source and reason, as JSON lines.

use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use crate::store::{self, ClientDrops, StoreError};

/// Writes one `{"source":…,"reason":…,"count":…}` line per source and reason, sorted by
/// source then reason. Nothing is written when no client has reported a drop.
///
/// A closed pipe (`wayline drops | head`) ends the output quietly rather than as an error.
pub fn print(db: &Path, out: impl Write) -> Result<(), StoreError> {
    let rows = store::client_drops(db)?;
    let mut out = io::BufWriter::new(out);
    let written = rows
        .iter()
        .try_for_each(|row| writeln!(out, "{}", line(row)))
        .and_then(|()| out.flush());
    match written {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(StoreError::Output(err)),
        _ => Ok(()),
    }
}

/// One output line. Written by hand so the keys keep this order (a `serde_json` object
/// would sort them).
fn line(row: &ClientDrops) -> String {
    format!(
        r#"{{"source":{},"reason":{},"count":{}}}"#,
        Value::from(row.source.as_str()),
        Value::from(row.reason.as_str()),
        row.count
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_key_order_and_escape_names() {
        let row = ClientDrops {
            source: "shop \"eu\"".into(),
            reason: "overflow".into(),
            count: 2,
        };
        assert_eq!(
            line(&row),
            r#"{"source":"shop \"eu\"","reason":"overflow","count":2}"#
        );
    }
}
