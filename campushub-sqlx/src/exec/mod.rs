//! Running one [`crate::Statement`] on a connection of each backend: binding and decoding
//! [`crate::SqlValue`]s. Shared by the backends' stores and the kinds' migration runner, so it
//! depends on neither.

#[cfg(feature = "postgres")]
pub(crate) mod pg;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
