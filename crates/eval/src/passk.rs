//! The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language
//! Models Trained on Code"): the chance that at least one of k samples drawn
//! without replacement from n, of which c pass, passes.

/// `1 - C(n-c, k) / C(n, k)`, as the product `1 - Π_{i=n-c+1..=n} (1 - k/i)`
/// so that no binomial coefficient overflows. `None` unless `1 <= k <= n` and
/// `c <= n`.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    let all_fail: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    Some(1.0 - all_fail)
}

/// The mean of [`pass_at_k`] over problems given as `(n, c)` pairs; `None` when
/// there are no problems or some problem has fewer than k samples.
pub fn mean_pass_at_k(counts: impl IntoIterator<Item = (usize, usize)>, k: usize) -> Option<f64> {
    let mut sum = 0.0;
    let mut problems = 0usize;
    for (n, c) in counts {
        sum += pass_at_k(n, c, k)?;
        problems += 1;
    }
    (problems > 0).then(|| sum / problems as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn single_sample() {
        assert_eq!(pass_at_k(1, 1, 1), Some(1.0));
        assert_eq!(pass_at_k(1, 0, 1), Some(0.0));
    }

    #[test]
    fn pass_at_1_is_the_pass_rate() {
        assert!(close(pass_at_k(10, 3, 1).unwrap(), 0.3));
        assert!(close(pass_at_k(200, 37, 1).unwrap(), 37.0 / 200.0));
    }

    #[test]
    fn matches_the_binomial_form() {
        // 1 - C(7,5)/C(10,5) = 1 - 21/252
        assert!(close(pass_at_k(10, 3, 5).unwrap(), 1.0 - 21.0 / 252.0));
        // 1 - C(8,2)/C(10,2) = 1 - 28/45
        assert!(close(pass_at_k(10, 2, 2).unwrap(), 1.0 - 28.0 / 45.0));
    }

    #[test]
    fn edges() {
        assert_eq!(pass_at_k(5, 1, 5), Some(1.0));
        assert_eq!(pass_at_k(5, 0, 5), Some(0.0));
        assert_eq!(pass_at_k(10, 0, 3), Some(0.0));
        assert_eq!(pass_at_k(10, 10, 1), Some(1.0));
        assert_eq!(pass_at_k(3, 1, 4), None);
        assert_eq!(pass_at_k(3, 1, 0), None);
        assert_eq!(pass_at_k(3, 4, 1), None);
        // Large n stays finite.
        let p = pass_at_k(100_000, 1, 100).unwrap();
        assert!(close(p, 0.001), "{p}");
    }

    #[test]
    fn mean_over_problems() {
        assert!(close(mean_pass_at_k([(1, 1), (1, 0)], 1).unwrap(), 0.5));
        assert_eq!(mean_pass_at_k([(1, 1), (1, 0)], 2), None);
        assert_eq!(mean_pass_at_k([], 1), None);
    }
}
