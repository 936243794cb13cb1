//! [`SeededRng`]: the seeded generator of randomized tests, so that a failing run's choices
//! can be replayed from the seed its failure message prints.

/// SplitMix64: one `u64` of state, deterministic; for test choices, not for secrets.
///
/// ```
/// use campushub_testkit::SeededRng;
///
/// let mut a = SeededRng::new(7);
/// let mut b = SeededRng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(3) < 3);
/// ```
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// The generator of `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// The seed named by the variable `name` (decimal), else `default`: a test prints the
    /// seed it ran with, and the variable replays it.
    pub fn seed_from_env(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(default)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; multiply-shift, whose bias is far below what a test
    /// notices).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}
