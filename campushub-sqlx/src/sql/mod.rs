//! Statement generation from a table description: placeholders, select lists, writes,
//! filters and keyset ordering, in either dialect.

mod builder;
mod filter;
mod join;
mod order;
mod page;
mod table_sql;

pub(crate) use builder::SqlBuilder;
pub(crate) use filter::push_conditions;
pub(crate) use order::push_order_and_limit;
pub(crate) use page::page_statement;
pub use page::DeferredJoin;
pub(crate) use table_sql::TableSql;
