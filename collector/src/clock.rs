//! ISO-8601 timestamps: parsing what clients send, writing what the collector stores, and
//! the clock-skew correction.
//!
//! Every stored timestamp is written in one shape, UTC with milliseconds
//! (`2026-11-25T15:42:01.123Z`), so that the strings sort in time order inside SQLite and
//! any reader can parse them without guessing offsets.

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Duration, OffsetDateTime, UtcOffset};

/// Parses an ISO-8601 date-time with an explicit offset (`Z`, `±hh:mm`, `±hhmm` or `±hh`, at most ±23:59),
/// as Segment's API takes "ISO-8601 date strings".
///
/// RFC 3339 is tried first because it is what every browser's `Date.toISOString()` emits (it also allows a
/// space for the `T`, and lower-case `t` and `z`); the wider ISO-8601 grammar (basic format, reduced precision
/// to the minute, decimal fractions of the minute or second, week and ordinal dates, …) is the fallback. A time
/// without an offset is refused: it names no instant, and guessing the server's zone would silently shift
/// events. So is an offset of 24 hours or more, which the ISO-8601 parser would take (up to ±25:59): no zone
/// has one, so it is a broken client's, and taking it would move the event by a day.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::DEFAULT))
        .ok()?;
    (parsed.offset().whole_hours().unsigned_abs() <= 23 && storable(parsed)).then_some(parsed)
}

/// Writes a time as ISO-8601 UTC with millisecond precision. Every time the collector formats went through
/// [`parse`] or [`correct_skew`], which keep to the years 0000–9999 in UTC; a time whose UTC date the `time` crate
/// cannot hold (`9999-12-31T23:59-01:00`, which [`parse`] refuses) is written in its own offset's date rather than
/// panicking.
pub fn format(at: OffsetDateTime) -> String {
    let utc = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

/// The current time, cut to whole milliseconds so that the stored `receivedAt` is exactly
/// the value the skew correction was computed from.
pub fn now() -> OffsetDateTime {
    truncate_to_millis(OffsetDateTime::now_utc())
}

/// `receivedAt − (sentAt − originalTimestamp)`: the client's clock error is the difference
/// between its idea of "now" when it sent the batch (`sentAt`) and the server's (`receivedAt`);
/// removing that error from the event's own time places it on the server's clock.
///
/// Returns the original time unchanged when the result would leave the four-digit years
/// that the stored format can hold (only absurd client clocks get there).
pub fn correct_skew(
    original: OffsetDateTime,
    sent_at: OffsetDateTime,
    received_at: OffsetDateTime,
) -> OffsetDateTime {
    let client_lag: Duration = sent_at - original;
    match received_at.checked_sub(client_lag) {
        Some(corrected) if storable(corrected) => corrected,
        _ => original,
    }
}

/// How far after its `receivedAt` an event's stored `timestamp` may be: no event happens after the collector received
/// it, so a later time is a client clock's error. Within this much (a clock a little fast) the time is kept, and with
/// it the order and spacing of the sender's events; past it (a wrong date, a wrong zone, a broken clock with no
/// `sentAt` to correct it by) [`not_after_receipt`] takes `receivedAt` instead.
pub const FUTURE_TOLERANCE: Duration = Duration::HOUR;

/// `timestamp`, or `received_at` when `timestamp` is more than [`FUTURE_TOLERANCE`] after it.
pub fn not_after_receipt(timestamp: OffsetDateTime, received_at: OffsetDateTime) -> OffsetDateTime {
    if timestamp - received_at > FUTURE_TOLERANCE {
        received_at
    } else {
        timestamp
    }
}

fn truncate_to_millis(at: OffsetDateTime) -> OffsetDateTime {
    let whole_millis = at.nanosecond() / 1_000_000 * 1_000_000;
    at.replace_nanosecond(whole_millis).unwrap_or(at)
}

/// Whether [`format`] can write the time as a four-digit UTC year. A time written with a negative offset late on
/// 9999-12-31 (`9999-12-31T23:59:59-23:59`) falls in the year 10000 in UTC, past what the `time` crate holds:
/// converting it with `to_offset` panics, which took down the request (and, with the release build's
/// `panic = "abort"`, the collector), so it is converted with `checked_to_offset` and refused.
fn storable(at: OffsetDateTime) -> bool {
    at.checked_to_offset(UtcOffset::UTC)
        .is_some_and(|utc| (0..=9999).contains(&utc.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        parse(text).unwrap()
    }

    #[test]
    fn parses_browser_iso_strings_and_offsets() {
        assert_eq!(
            format(at("2026-11-25T15:42:01.123Z")),
            "2026-11-25T15:42:01.123Z"
        );
        assert_eq!(
            format(at("2026-11-25T16:42:01.123456+01:00")),
            "2026-11-25T15:42:01.123Z"
        );
        assert_eq!(
            format(at("2026-11-25T15:42:01Z")),
            "2026-11-25T15:42:01.000Z"
        );
        assert_eq!(format(at("20261125T154201Z")), "2026-11-25T15:42:01.000Z");
    }

    #[test]
    fn parses_the_iso_8601_and_rfc_3339_forms_documented() {
        for (text, utc) in [
            // Offsets: `Z` (either case), ±hh:mm, ±hhmm, ±hh, up to ±23:59.
            ("2026-11-25T16:42:01+01:00", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25T16:42:01+0100", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25T16:42:01+01", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25T10:42:01-05", "2026-11-25T15:42:01.000Z"),
            ("2026-11-26T15:41:01+23:59", "2026-11-25T15:42:01.000Z"),
            ("2026-11-24T15:43:01-23:59", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25T15:42:01-00:00", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25t15:42:01z", "2026-11-25T15:42:01.000Z"),
            // RFC 3339's space for the `T`.
            ("2026-11-25 15:42:01Z", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25 15:42:01.5+00:00", "2026-11-25T15:42:01.500Z"),
            ("2026-11-25t15:42:01.5z", "2026-11-25T15:42:01.500Z"),
            ("+002026-11-25T15:42:01Z", "2026-11-25T15:42:01.000Z"),
            // ISO 8601: basic format, minutes only, decimal fractions, week and ordinal dates.
            ("20261125T164201+0100", "2026-11-25T15:42:01.000Z"),
            ("2026-11-25T15:42Z", "2026-11-25T15:42:00.000Z"),
            ("2026-11-25T15:42.5Z", "2026-11-25T15:42:30.000Z"),
            ("2026-11-25T15:42:01,25Z", "2026-11-25T15:42:01.250Z"),
            ("2026-W48-3T15:42:01Z", "2026-11-25T15:42:01.000Z"),
            ("2026-329T15:42:01Z", "2026-11-25T15:42:01.000Z"),
        ] {
            assert_eq!(parse(text).map(format).as_deref(), Some(utc), "{text:?}");
        }
    }

    #[test]
    fn refuses_offsets_beyond_23_59() {
        for text in [
            "2026-11-25T15:42:01+24:00",
            "2026-11-25T15:42:01-24:00",
            "2026-11-25T15:42:01+2400",
            "2026-11-25T15:42:01+24",
            "2026-11-25T15:42:01+25:30",
            "20261125T154201-2459",
        ] {
            assert!(parse(text).is_none(), "{text:?} should not parse");
        }
    }

    #[test]
    fn refuses_times_without_an_instant() {
        for text in [
            "",
            "yesterday",
            "2026-11-25",
            "2026-11-25T15:42:01",
            "2026-13-25T15:42:01Z",
            "2026-11-25T15Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T15:42:01+01:00:00",
            "2026-11-25 15:42:01+01",
            "2026-11-25 15:42:01+0100",
            "2026-11-25 15:42Z",
            "20261125t154201z",
            "2026-11-25T15:42:60Z",
            "1764085321",
        ] {
            assert!(parse(text).is_none(), "{text:?} should not parse");
        }
    }

    #[test]
    fn refuses_times_whose_utc_date_is_past_year_9999_without_panicking() {
        // Valid ISO 8601 with an offset, but in UTC the year 10000, which `to_offset` panics on.
        for text in [
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:00:00-01:00",
            "+009999-12-31T23:30:00-01",
            "99991231T235959-0100",
        ] {
            assert!(parse(text).is_none(), "{text:?} should not parse");
        }
        assert_eq!(
            parse("9999-12-31T23:59:59.999Z").map(format).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
    }

    #[test]
    fn skew_correction_moves_event_onto_server_clock() {
        // The client's clock runs 10 minutes fast: it stamped the event 3 s before sending.
        let original = at("2026-11-25T15:52:00.000Z");
        let sent = at("2026-11-25T15:52:03.000Z");
        let received = at("2026-11-25T15:42:03.500Z");
        assert_eq!(
            format(correct_skew(original, sent, received)),
            "2026-11-25T15:42:00.500Z"
        );
    }

    #[test]
    fn skew_correction_out_of_range_keeps_original() {
        let original = at("0001-01-01T00:00:00Z");
        let sent = at("9999-01-01T00:00:00Z");
        let received = at("2026-11-25T15:42:03.500Z");
        assert_eq!(correct_skew(original, sent, received), original);
    }

    #[test]
    fn a_time_more_than_the_tolerance_after_receipt_is_the_receipt() {
        let received = at("2026-11-25T15:42:03.500Z");
        for (time, stored) in [
            ("2026-11-25T15:42:03.500Z", "2026-11-25T15:42:03.500Z"),
            ("2026-11-20T00:00:00Z", "2026-11-20T00:00:00.000Z"),
            ("2026-11-25T16:42:03.500Z", "2026-11-25T16:42:03.500Z"),
            ("2026-11-25T16:42:03.501Z", "2026-11-25T15:42:03.500Z"),
            ("2099-01-01T00:00:00Z", "2026-11-25T15:42:03.500Z"),
            ("9999-12-31T23:59:59.999Z", "2026-11-25T15:42:03.500Z"),
        ] {
            assert_eq!(
                format(not_after_receipt(at(time), received)),
                stored,
                "{time}"
            );
        }
    }

    #[test]
    fn now_has_whole_milliseconds() {
        assert_eq!(now().nanosecond() % 1_000_000, 0);
    }
}
