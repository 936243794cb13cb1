//! Who may do what with documents: as with contacts ([`owned_by_people`]); the bytes are
//! personal, so a download also needs the document's personal fields granted.

use crate::contacts::owned_by_people;
use crate::core::{Entity as _, RolePolicy};

use super::document::Document;

/// The built-in policy ([`RolePolicy::defaults`]) with documents: `admin` everything;
/// `registrar` reads, writes (uploads included) and counts them, and downloads their bytes;
/// `faculty` reads their metadata only; `student` reads its own (`owner_id` is its token's
/// `student_id`) and downloads their bytes.
pub fn policy() -> RolePolicy {
    owned_by_people(RolePolicy::defaults(), Document::KIND)
}
