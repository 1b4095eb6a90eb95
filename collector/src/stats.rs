//! Confidence intervals for the campaigns report: whether a campaign's lift over its holdout is more than noise.
//!
//! A lift of +25 points between 1 of 4 and 1 of 2 visitors says nothing; the same lift over thousands of visitors
//! says a lot. The report gives the 95% interval of the difference of the two conversion rates, by Newcombe's
//! hybrid score method (Newcombe 1998, "Interval estimation for the difference between independent proportions",
//! method 10): it combines the Wilson score interval of each rate. Unlike the textbook Wald interval
//! (`d ± z·√(p₁q₁/n₁ + p₂q₂/n₂)`), it stays within −1…1, is not degenerate at 0% or 100%, and keeps close to its
//! nominal coverage for the small arms a holdout has.

/// The standard normal quantile for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `trials` (95%), as proportions; `None` without trials.
pub fn wilson(successes: i64, trials: i64) -> Option<(f64, f64)> {
    if trials <= 0 || successes < 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The 95% interval of `x1/n1 − x2/n2`, as proportions (Newcombe's method 10); `None` when an arm has no trials.
pub fn difference_interval(x1: i64, n1: i64, x2: i64, n2: i64) -> Option<(f64, f64)> {
    let (l1, u1) = wilson(x1, n1)?;
    let (l2, u2) = wilson(x2, n2)?;
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((low.max(-1.0), high.min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounded(v: (f64, f64)) -> (f64, f64) {
        let r = |x: f64| (x * 10_000.0).round() / 10_000.0;
        (r(v.0), r(v.1))
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
        assert_eq!(rounded(wilson(81, 263).unwrap()), (0.2553, 0.3662));
        assert_eq!(rounded(wilson(15, 148).unwrap()), (0.0624, 0.1605));
        assert_eq!(rounded(wilson(0, 20).unwrap()), (0.0, 0.1611));
        assert_eq!(rounded(wilson(1, 29).unwrap()), (0.0061, 0.1718));
    }

    #[test]
    fn difference_matches_newcombes_worked_examples() {
        // Newcombe (1998), "Interval estimation for the difference between independent proportions", Table II,
        // method 10.
        let cases = [
            ((56, 70, 48, 80), (0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.1705, 0.8090)),
            ((5, 56, 0, 29), (-0.0381, 0.1926)),
            ((0, 10, 0, 20), (-0.1611, 0.2775)),
            ((0, 10, 0, 10), (-0.2775, 0.2775)),
            ((10, 10, 0, 20), (0.6791, 1.0)),
            ((10, 10, 0, 10), (0.6075, 1.0)),
        ];
        for ((x1, n1, x2, n2), expected) in cases {
            assert_eq!(
                rounded(difference_interval(x1, n1, x2, n2).unwrap()),
                expected,
                "{x1}/{n1} − {x2}/{n2}"
            );
        }
    }

    #[test]
    fn an_arm_without_visitors_has_no_interval() {
        assert_eq!(difference_interval(1, 4, 0, 0), None);
        assert_eq!(difference_interval(0, 0, 1, 2), None);
        assert_eq!(wilson(3, 2), None);
    }

    #[test]
    fn the_interval_narrows_as_the_arms_grow_and_always_holds_the_observed_difference() {
        let small = difference_interval(1, 4, 1, 2).unwrap();
        assert!(
            small.0 < 0.0 && small.1 > 0.0,
            "1/4 against 1/2 is noise: {small:?}"
        );
        let large = difference_interval(2_500, 10_000, 5_000, 10_000).unwrap();
        assert!(
            large.1 < 0.0,
            "2,500/10,000 against 5,000/10,000 is not: {large:?}"
        );
        for (x1, n1, x2, n2) in [
            (0, 1, 1, 1),
            (3, 7, 2, 9),
            (50, 50, 0, 3),
            (1, 1000, 999, 1000),
        ] {
            let (low, high) = difference_interval(x1, n1, x2, n2).unwrap();
            let d = x1 as f64 / n1 as f64 - x2 as f64 / n2 as f64;
            assert!(
                (-1.0..=d).contains(&low) && (d..=1.0).contains(&high),
                "{x1}/{n1} − {x2}/{n2}: {low}…{high}"
            );
        }
    }
}
