//! [`StatisticsPrivacy`]: what statistics show a caller who may count a kind's records but not
//! list them (the `analyst` role by default), so that counts cannot single anyone out.
//!
//! Without it, a filter on an identifying field (`roll_number=R0000042`) makes a group of one
//! and every count about that group a fact about one person; a range filter (`date_of_birth__lt`)
//! turns those counts into yes/no answers that a binary search strings together. So such a
//! caller filters on the grouping fields (and fields the application declares non-identifying)
//! only, never searches, and sees no group, nor total, smaller than the minimum.

use crate::error::{Result, ValidationErrors};
use crate::schema::Schema;

use super::output::Statistics;

/// The field a filter parameter names: `date_of_birth` for `date_of_birth__lt`,
/// `cf.nickname` for `cf.nickname__icontains`.
pub(super) fn param_field(key: &str) -> &str {
    key.split("__").next().unwrap_or(key)
}

/// Refuses every parameter `refused(key, value)` holds for, each named in one validation
/// error (400) with the message `reason` gives: how a caller is kept from asking what it may
/// not learn (statistics privacy, field scopes), before any query runs.
pub(super) fn refuse_params(
    params: &[(String, String)],
    refused: impl Fn(&str, &str) -> bool,
    reason: impl Fn() -> String,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    for (key, value) in params {
        if refused(key, value) {
            errors.add(key.clone(), reason());
        }
    }
    errors.into_result()
}

/// The statistics rule for callers who may not list the kind. See the module documentation.
///
/// What remains possible: the difference of two allowed queries (all of a department's
/// students, then all but one gender) can still narrow a count down to a few people.
/// Raising the minimum group makes that costlier; only callers who should see such counts
/// should hold the statistics permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatisticsPrivacy {
    enabled: bool,
    min_group: u64,
    filters: Vec<&'static str>,
}

impl Default for StatisticsPrivacy {
    /// On, with groups of at least [`StatisticsPrivacy::DEFAULT_MIN_GROUP`] and filters on
    /// the grouping fields only.
    fn default() -> Self {
        StatisticsPrivacy {
            enabled: true,
            min_group: Self::DEFAULT_MIN_GROUP,
            filters: Vec::new(),
        }
    }
}

impl StatisticsPrivacy {
    /// The smallest group shown by default.
    pub const DEFAULT_MIN_GROUP: u64 = 5;

    /// No restriction: every caller with the statistics permission filters on anything and
    /// sees every group (for kinds whose records are not about people, such as departments).
    pub fn off() -> Self {
        StatisticsPrivacy {
            enabled: false,
            ..Self::default()
        }
    }

    /// Groups (and totals) smaller than `min_group` are withheld.
    pub fn min_group(mut self, min_group: u64) -> Self {
        self.min_group = min_group;
        self
    }

    /// Also allows filters on `field`, which the application judges non-identifying.
    pub fn allow_filter(mut self, field: &'static str) -> Self {
        self.filters.push(field);
        self
    }

    /// The smallest group shown.
    pub fn min(&self) -> u64 {
        self.min_group
    }

    /// Whether the rule applies at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Refuses every parameter a restricted caller may not give: `search`, custom-field
    /// filters, and filters on fields that are neither grouping fields of `schema` nor
    /// allowed; each is named in the error.
    pub fn check(&self, schema: &Schema, params: &[(String, String)]) -> Result<()> {
        refuse_params(
            params,
            |key, _| {
                let field = param_field(key);
                !(schema.stats.contains(&field) || self.filters.contains(&field))
            },
            || self.refusal(schema),
        )
    }

    fn refusal(&self, schema: &Schema) -> String {
        let fields: Vec<&str> = schema.stats.iter().chain(&self.filters).copied().collect();
        format!(
            "statistics for callers who may not list `{}` records filter on {} only",
            schema.kind.as_str(),
            fields.join(", ")
        )
    }

    /// Withholds every group smaller than the minimum, and everything when the total is:
    /// `statistics.suppressed_below` says so.
    pub fn suppress(&self, statistics: &mut Statistics) {
        let min = self.min_group;
        let mut suppressed = statistics.total < min;
        if suppressed {
            statistics.total = 0;
            statistics.groups.iter_mut().for_each(|(_, g)| g.clear());
        }
        for (_, counts) in &mut statistics.groups {
            let before = counts.len();
            counts.retain(|(_, count)| *count >= min);
            suppressed |= counts.len() < before;
        }
        if suppressed {
            statistics.suppressed_below = Some(min);
        }
    }
}
