//! A time-bucketed series: the compact state behind windowed counts, sums, minima and maxima.
//!
//! Time is cut into buckets of `bucket_ms`; a window of `span` buckets covers the current (partial) bucket and
//! the `span - 1` before it. So `within: 7d` with 1-hour buckets counts events whose bucket is one of the last
//! 168, i.e. from between 7d − 1h and 7d ago up to now. Only non-empty buckets are stored, so a visitor who
//! came on three days costs three cells, not 168.

/// How values in one bucket (and across buckets) combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    Sum,
    Min,
    Max,
}

impl Combine {
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Combine::Sum => a + b,
            Combine::Min => a.min(b),
            Combine::Max => a.max(b),
        }
    }
}

/// Bucket sizes tried, largest first: the largest one that divides the window into at least
/// [`MIN_BUCKETS`] buckets is used, so the window's edge is accurate to within 1/60 of it.
const NICE_BUCKETS_MS: [i64; 10] = [
    86_400_000, 43_200_000, 21_600_000, 10_800_000, 3_600_000, 900_000, 300_000, 60_000, 10_000,
    1_000,
];
const MIN_BUCKETS: i64 = 60;

/// Below this, a merged count or engaged time is float noise (or history one tab dropped), not a value: counts
/// are whole, and engaged time is counted in milliseconds.
pub const NOISE: f64 = 1e-6;

/// The bucket size and bucket count for a window. The count is rounded down, so the buckets never reach further
/// back than the window: an event is forgotten between `window - bucket` and `window` after it happened, also
/// when no nice size fits (`within: 10s` is 60 buckets of 166 ms, 9,960 ms, not 61 reaching back 10,126 ms).
pub fn layout(window_ms: i64) -> (i64, i64) {
    let window_ms = window_ms.max(1);
    let mut bucket = (window_ms / MIN_BUCKETS).max(1);
    for &b in NICE_BUCKETS_MS.iter() {
        if window_ms % b == 0 && window_ms / b >= MIN_BUCKETS {
            bucket = b;
            break;
        }
    }
    (bucket, window_ms / bucket)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub bucket_ms: i64,
    pub span: i64,
    /// (bucket index, combined value), ascending by index.
    pub cells: Vec<(i64, f64)>,
}

impl Series {
    pub fn new(window_ms: i64) -> Series {
        let (bucket_ms, span) = layout(window_ms);
        Series {
            bucket_ms,
            span,
            cells: Vec::new(),
        }
    }

    fn index(&self, t: i64) -> i64 {
        t.div_euclid(self.bucket_ms)
    }

    /// The first bucket index still inside the window at `now`.
    fn first_live(&self, now: i64) -> i64 {
        self.index(now) - self.span + 1
    }

    pub fn add(&mut self, t: i64, x: f64, op: Combine) {
        self.put(self.index(t), x, op);
        self.prune(t);
    }

    /// Combines `x` into bucket `idx`, adding the bucket if it is not there.
    fn put(&mut self, idx: i64, x: f64, op: Combine) {
        // From the end: events mostly arrive in time order, so the bucket is usually the last one or new.
        let mut i = self.cells.len();
        while i > 0 && self.cells[i - 1].0 > idx {
            i -= 1;
        }
        match i.checked_sub(1).and_then(|j| self.cells.get_mut(j)) {
            Some(cell) if cell.0 == idx => cell.1 = op.apply(cell.1, x),
            _ => self.cells.insert(i, (idx, x)),
        }
    }

    /// Where bucket `idx` is kept, if it is.
    fn find(&self, idx: i64) -> Option<usize> {
        self.cells.binary_search_by_key(&idx, |c| c.0).ok()
    }

    /// The value of bucket `idx`, 0 when it holds none.
    fn at(&self, idx: i64) -> f64 {
        self.find(idx).map_or(0.0, |k| self.cells[k].1)
    }

    /// Another tab's series merged with this one, over `base` (what this tab last took in or wrote; all three
    /// pruned to the same instant). A sum takes theirs plus what this tab added since `base`, bucket by bucket;
    /// `shared` takes one back from the latest bucket this tab added to (a session both tabs counted). A minimum
    /// or maximum combines both, which repeating changes nothing. `changed`: this series differs from `base`. `floor`: the values are never negative (counts,
    /// engaged time), so a bucket at or below a hair above 0 is float noise or dropped history, and goes.
    pub fn merged(
        &self,
        base: &Series,
        theirs: &Series,
        op: Combine,
        changed: bool,
        shared: bool,
        floor: bool,
    ) -> Series {
        let mut out = theirs.clone();
        if op != Combine::Sum {
            for &(i, x) in &self.cells {
                out.put(i, x, op);
            }
            return out;
        }
        if !changed && !shared {
            return out;
        }
        // What this tab added, bucket by bucket: its own buckets less the base's, then the base's it no longer has
        // (dropped by the byte budget), negative.
        let mut delta = Series {
            cells: Vec::new(),
            ..*self
        };
        for &(i, x) in &self.cells {
            delta.put(i, x - base.at(i), op);
        }
        for &(i, x) in &base.cells {
            if self.find(i).is_none() {
                delta.put(i, -x, op);
            }
        }
        if shared {
            let mut k = delta.cells.len();
            while k > 0 {
                k -= 1;
                if delta.cells[k].1 >= 1.0 {
                    delta.cells[k].1 -= 1.0;
                    break;
                }
            }
        }
        for &(i, d) in &delta.cells {
            if d != 0.0 {
                out.put(i, d, op);
            }
        }
        if floor {
            out.cells.retain(|c| c.1 > NOISE);
        }
        // No more buckets than a restored series may hold.
        while out.cells.len() as i64 > out.span + 1 {
            out.drop_oldest();
        }
        out
    }

    /// Moves every bucket `d` ms earlier (the clock was set back by `d`), by whole buckets and rounded down, so
    /// that no event leaves the window sooner than it would have.
    pub fn shift_back(&mut self, d: i64) {
        for c in &mut self.cells {
            c.0 -= d / self.bucket_ms;
        }
    }

    /// Drops buckets that have left the window at `now`: they can never count again, since time only moves on.
    pub fn prune(&mut self, now: i64) {
        let first = self.first_live(now);
        let mut dead = 0;
        while self.cells.get(dead).is_some_and(|c| c.0 < first) {
            dead += 1;
        }
        // Cells are plain data: shifting them down is a memmove, lighter in wasm than a `Drain`.
        let len = self.cells.len();
        self.cells.copy_within(dead.., 0);
        self.cells.truncate(len - dead);
    }

    /// The combined value of the buckets inside the window at `now`, or `None` when there are none.
    pub fn value(&self, now: i64, op: Combine) -> Option<f64> {
        let first = self.first_live(now);
        let mut out: Option<f64> = None;
        for &(i, x) in &self.cells {
            if i >= first {
                out = Some(match out {
                    Some(a) => op.apply(a, x),
                    None => x,
                });
            }
        }
        out
    }

    /// The next instant after `now` at which the value changes by time alone: when the oldest live bucket
    /// leaves the window.
    pub fn next_change(&self, now: i64) -> Option<i64> {
        let first = self.first_live(now);
        self.cells
            .iter()
            .find(|c| c.0 >= first)
            .map(|c| (c.0 + self.span) * self.bucket_ms)
    }

    /// Drops the oldest bucket (to respect the state byte budget).
    pub fn drop_oldest(&mut self) -> bool {
        if self.cells.is_empty() {
            return false;
        }
        let len = self.cells.len();
        self.cells.copy_within(1.., 0);
        self.cells.truncate(len - 1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    #[test]
    fn layouts() {
        assert_eq!(layout(7 * D), (H, 168));
        assert_eq!(layout(30 * 60_000), (10_000, 180));
        assert_eq!(layout(45_000), (750, 60)); // no nice size fits: window / 60
        assert_eq!(layout(H), (60_000, 60));
        assert_eq!(layout(30 * D), (12 * H, 60));
        assert_eq!(layout(90 * D), (D, 90));
        assert_eq!(layout(1_000), (16, 62));
        assert_eq!(layout(10_000), (166, 60));
    }

    #[test]
    fn counts_expire_exactly_at_next_change() {
        let mut s = Series::new(7 * D);
        s.add(10 * D + 5, 1.0, Combine::Sum);
        s.add(12 * D, 1.0, Combine::Sum);
        assert_eq!(s.value(12 * D, Combine::Sum), Some(2.0));
        let t = s.next_change(12 * D).unwrap();
        assert_eq!(t, 17 * D); // bucket of 10d+5 is [10d, 10d+1h): it leaves when 17d's bucket begins
        assert_eq!(s.value(t - 1, Combine::Sum), Some(2.0));
        assert_eq!(s.value(t, Combine::Sum), Some(1.0));
        assert_eq!(s.next_change(t), Some(19 * D));
        assert_eq!(s.value(19 * D, Combine::Sum), None);
    }

    #[test]
    fn min_max_and_out_of_order() {
        let mut s = Series::new(D);
        s.add(5 * H, 3.0, Combine::Max);
        s.add(2 * H, 9.0, Combine::Max);
        s.add(5 * H, 4.0, Combine::Max);
        assert_eq!(s.value(6 * H, Combine::Max), Some(9.0));
        assert_eq!(s.cells.len(), 2);
    }
}
