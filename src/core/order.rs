//! Sorting for the short lists the engines keep: idle thresholds, show times, candidate campaigns. All are
//! bounded to a few dozen items, where insertion sort is as fast as any. The standard library's sorts are
//! instantiated per element type and comparison at 1–3 KB of wasm each.

/// Sorts `items` by `key`, keeping the order of equal keys (stable). Quadratic: callers bound the length.
pub fn sort_by_key<T, K: PartialOrd>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::sort_by_key;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_the_standard_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..60)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut std = v;
            std.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, std);
        }
    }
}
