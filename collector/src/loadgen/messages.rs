//! The batches the load generator sends: Segment `track` messages shaped like the browser
//! SDK's, about 700 bytes each with a browser-like `context`, because the collector's cost
//! per event (JSON parsing, normalising, the stored body) grows with the message size.

use std::fmt::Write;

use crate::clock;

/// Products cycled through so that properties differ from event to event.
const PRODUCTS: [(&str, &str, &str); 4] = [
    ("sku-1042", "Trail Runner 2", "129.90"),
    ("sku-2210", "Merino Crew Socks", "19.50"),
    ("sku-3307", "Rain Shell Jacket", "249.00"),
    ("sku-4415", "Insulated Bottle 750 ml", "34.95"),
];
/// Events per synthetic visitor, so that anonymous ids repeat as on a real site.
const EVENTS_PER_VISITOR: usize = 20;

/// Writes batch bodies whose `messageId`s are unique within a run (`lg-<run>-<n>`) and,
/// through the run id, across runs into the same database.
#[derive(Debug, Clone)]
pub struct Generator {
    run: String,
    write_key: String,
}

impl Generator {
    pub fn new(run: String, write_key: String) -> Self {
        Self { run, write_key }
    }

    /// A run id from the clock and the process id: two runs never share message ids.
    pub fn fresh_run_id() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        format!("{:x}{:x}", nanos % (1 << 48), std::process::id())
    }

    /// Replaces `out` with the body of a batch of events `first .. first + len`, stamped
    /// with the current time.
    pub fn batch(&self, first: usize, len: usize, out: &mut String) {
        out.clear();
        let now = clock::format(clock::now());
        out.push_str("{\"batch\":[");
        for n in first..first + len {
            if n > first {
                out.push(',');
            }
            self.message(n, &now, out);
        }
        // `write!` into a String cannot fail.
        let _ = write!(
            out,
            "],\"sentAt\":\"{now}\",\"writeKey\":\"{}\"}}",
            self.write_key
        );
    }

    fn message(&self, n: usize, timestamp: &str, out: &mut String) {
        let (sku, name, price) = PRODUCTS[n % PRODUCTS.len()];
        let visitor = n / EVENTS_PER_VISITOR;
        let _ = write!(
            out,
            concat!(
                "{{\"type\":\"track\",\"event\":\"Product Viewed\",\"messageId\":\"lg-{run}-{n}\",",
                "\"anonymousId\":\"lg-{run}-visitor-{visitor}\",\"timestamp\":\"{ts}\",",
                "\"properties\":{{\"product_id\":\"{sku}\",\"name\":\"{name}\",\"price\":{price},",
                "\"currency\":\"EUR\",\"position\":{position}}},",
                "\"context\":{{\"library\":{{\"name\":\"wayline\",\"version\":\"0.1.0\"}},",
                "\"page\":{{\"path\":\"/products/{sku}\",\"referrer\":\"http://127.0.0.1:8080/\",",
                "\"search\":\"?ref=home\",\"title\":\"{name} | Wayline Demo Store\",",
                "\"url\":\"http://127.0.0.1:8080/products/{sku}?ref=home\"}},",
                "\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "Chrome/126.0.0.0 Safari/537.36\",\"locale\":\"en-US\",\"timezone\":\"Europe/Berlin\",",
                "\"screen\":{{\"width\":1920,\"height\":1080,\"density\":1}}}}}}"
            ),
            run = self.run,
            n = n,
            visitor = visitor,
            ts = timestamp,
            sku = sku,
            name = name,
            price = price,
            position = n % 12 + 1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn batches_are_valid_segment_json_of_realistic_size() {
        let generator = Generator::new("r1".into(), "wk_demo".into());
        let mut body = String::new();
        generator.batch(100, 50, &mut body);
        let value: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["writeKey"], "wk_demo");
        assert!(value["sentAt"].as_str().unwrap().ends_with('Z'));
        let batch = value["batch"].as_array().unwrap();
        assert_eq!(batch.len(), 50);
        assert_eq!(batch[0]["messageId"], "lg-r1-100");
        assert_eq!(batch[49]["messageId"], "lg-r1-149");
        assert_eq!(batch[0]["type"], "track");
        assert_eq!(batch[0]["anonymousId"], "lg-r1-visitor-5");
        let per_message = body.len() / 50;
        assert!(
            (650..=750).contains(&per_message),
            "{per_message} bytes per message"
        );
        assert_ne!(Generator::fresh_run_id(), "");
    }
}
