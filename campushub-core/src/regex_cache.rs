//! Regular expressions compiled once per process: the patterns schemas declare and the ones
//! custom-field definitions carry. A write checks every patterned value, so compiling per
//! value would cost tens of microseconds each time.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use regex::{Regex, RegexBuilder};

/// Compiled-size limit: a pathological pattern (an author's) is an error, not a memory blow-up.
const SIZE_LIMIT: usize = 1 << 20;

/// How many compiled patterns are kept; past that the cache starts over. Patterns are few
/// (the declared ones and the definitions'), so this bounds memory against a flood of distinct
/// author patterns without an LRU.
const CAPACITY: usize = 256;

/// Patterns compiled so far.
static COMPILED: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);

/// `pattern` compiled with the size limit, reusing an earlier compilation.
///
/// The compiled pattern is shared behind an `Arc`: a cloned `Regex` would start with an empty
/// pool of match caches and rebuild them on every use.
pub(crate) fn compiled(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    let cached = |cache: &HashMap<String, Arc<Regex>>| cache.get(pattern).cloned();
    if let Some(regex) = COMPILED.lock().ok().as_deref().and_then(cached) {
        return Ok(regex);
    }
    let regex = Arc::new(RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).build()?);
    if let Ok(mut cache) = COMPILED.lock() {
        if cache.len() >= CAPACITY {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), Arc::clone(&regex));
    }
    Ok(regex)
}
