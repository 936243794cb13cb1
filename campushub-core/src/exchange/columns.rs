//! A kind's columns, derived from its [`Schema`] and its custom-field definitions: what an
//! export writes and what an import reads.

use crate::custom_fields::{CustomFieldDef, CustomFieldType};
use crate::kind::EntityKind;
use crate::query::CUSTOM_PREFIX;
use crate::schema::{FieldSpec, Schema};

/// Where a column's values come from and go to.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A writable schema field, under its own name.
    Field(&'static FieldSpec),
    /// A reference to another kind written as the referenced record's natural key (the
    /// `department` column holds the department's `code`; `department_id` is written from it).
    Reference {
        /// The referencing field (`department_id`).
        field: &'static FieldSpec,
        /// The member of a read record that embeds the referenced summary (`department`).
        embedded_as: &'static str,
        /// The referenced kind.
        kind: EntityKind,
        /// The referenced kind's natural key, carried in the summary (`code`).
        key: &'static str,
    },
    /// A custom field, `cf.<name>`.
    Custom {
        /// The key in `custom_fields`.
        name: String,
        /// Its value type.
        ty: CustomFieldType,
    },
}

/// One column: its header and its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header an export writes and an import matches exactly (`roll_number`,
    /// `department`, `cf.blood_group`).
    pub header: String,
    /// Where its values come from.
    pub source: Source,
}

impl Column {
    /// The body field an import's error on this column is reported under by the service
    /// (`department_id` for `department`, `custom_fields.<name>` for `cf.<name>`).
    fn reports(&self, field: &str) -> bool {
        match &self.source {
            Source::Field(spec) => spec.name == field,
            Source::Reference { field: spec, .. } => spec.name == field,
            Source::Custom { name, .. } => field
                .strip_prefix("custom_fields.")
                .or_else(|| field.strip_prefix(CUSTOM_PREFIX))
                .is_some_and(|rest| rest == name),
        }
    }
}

/// The columns of one kind, in export order: the natural key first, then the writable fields
/// in schema order, then one `cf.<name>` per custom-field definition (in
/// their display order).
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    columns: Vec<Column>,
}

impl Columns {
    /// The columns of `schema`'s kind with `definitions` (the kind's custom fields). Without
    /// `personal`, personal fields and personal custom fields are left out: a caller who may
    /// not see them neither exports them nor overwrites them on import.
    pub fn of(schema: &'static Schema, definitions: &[CustomFieldDef], personal: bool) -> Self {
        let mut columns: Vec<Column> = schema
            .fields
            .iter()
            .filter(|spec| schema.is_writable(spec.name) && spec.name != "custom_fields")
            .filter(|spec| personal || !spec.personal)
            .map(|spec| column_of(schema, spec))
            .collect();
        if let Some(key) = schema.natural_key {
            if let Some(at) = columns.iter().position(|c| c.header == key) {
                let column = columns.remove(at);
                columns.insert(0, column);
            }
        }
        if schema.has_custom_fields() {
            let mut definitions: Vec<&CustomFieldDef> = definitions.iter().collect();
            definitions.sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
            columns.extend(
                definitions
                    .into_iter()
                    .filter(|def| def.entity == schema.kind.as_str())
                    .filter(|def| personal || !def.sensitive)
                    .map(|def| Column {
                        header: format!("{CUSTOM_PREFIX}{}", def.name),
                        source: Source::Custom {
                            name: def.name.clone(),
                            ty: def.field_type,
                        },
                    }),
            );
        }
        Columns { columns }
    }

    /// The columns, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter()
    }

    /// How many columns there are.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there is no column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column at `index`.
    pub fn get(&self, index: usize) -> Option<&Column> {
        self.columns.get(index)
    }

    /// The column with the header `header`.
    pub fn by_header(&self, header: &str) -> Option<(usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, column)| column.header == header)
    }

    /// The header an error the service reports on body field `field` belongs to: the
    /// column's header, or the field's own name when no column writes it.
    pub fn header_for(&self, field: &str) -> String {
        self.columns
            .iter()
            .find(|column| column.reports(field))
            .map_or_else(|| field.to_owned(), |column| column.header.clone())
    }

    /// The headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|column| column.header.as_str())
    }
}

/// The column of writable field `spec`: a reference when a relation embeds a summary that
/// carries the referenced kind's natural key, the field itself otherwise.
fn column_of(schema: &Schema, spec: &'static FieldSpec) -> Column {
    let reference = schema.embedding_relations().find_map(|(relation, embed)| {
        let target = (relation.target?)();
        let key = target.natural_key?;
        (relation.field == spec.name && embed.fields.contains(&key)).then_some(Column {
            header: embed.as_field.to_owned(),
            source: Source::Reference {
                field: spec,
                embedded_as: embed.as_field,
                kind: relation.kind,
                key,
            },
        })
    });
    reference.unwrap_or(Column {
        header: spec.name.to_owned(),
        source: Source::Field(spec),
    })
}
