//! `#[derive(SqlEntity)]`: the table description and the row mapping.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Field, Kind, Ty};

fn col_type(kind: &Kind, field: &Field) -> TokenStream {
    let sqlx = &kind.sqlx;
    match field.ty {
        Some(Ty::Text | Ty::Choice) | None => quote!(#sqlx::ColType::Text),
        Some(Ty::Int | Ty::Int32) => quote!(#sqlx::ColType::Int),
        Some(Ty::Float) => quote!(#sqlx::ColType::Float),
        Some(Ty::Bool) => quote!(#sqlx::ColType::Bool),
        Some(Ty::Uuid) => quote!(#sqlx::ColType::Uuid),
        Some(Ty::Date) => quote!(#sqlx::ColType::Date),
        Some(Ty::DateTime) => quote!(#sqlx::ColType::DateTime),
    }
}

/// `self.<field>` as a `SqlValue`.
fn value(kind: &Kind, field: &Field) -> TokenStream {
    let sqlx = &kind.sqlx;
    let ident = &field.ident;
    match (field.ty, field.nullable) {
        (Some(Ty::Choice), false) => quote!(#sqlx::SqlValue::from(self.#ident.as_str())),
        (Some(Ty::Choice), true) => {
            quote!(#sqlx::SqlValue::from(self.#ident.as_ref().map(|v| v.as_str())))
        }
        _ => quote!(#sqlx::SqlValue::from(::core::clone::Clone::clone(&self.#ident))),
    }
}

/// The field read from `row`.
fn read(field: &Field) -> TokenStream {
    let name = &field.name;
    let (required, optional) = match field.ty {
        Some(Ty::Text) | None => (quote!(text), quote!(opt_text)),
        Some(Ty::Int) => (quote!(int), quote!(opt_int)),
        Some(Ty::Int32) => (quote!(int32), quote!(opt_int)),
        Some(Ty::Float) => (quote!(float), quote!(opt_float)),
        Some(Ty::Bool) => (quote!(bool), quote!(opt_bool)),
        Some(Ty::Uuid) => (quote!(uuid), quote!(opt_uuid)),
        Some(Ty::Date) => (quote!(date), quote!(opt_date)),
        Some(Ty::DateTime) => (quote!(datetime), quote!(opt_datetime)),
        Some(Ty::Choice) => (quote!(choice), quote!(choice)),
    };
    match (field.ty, field.nullable) {
        (_, false) => quote!(row.#required(#name)?),
        (Some(Ty::Int32), true) => quote!(match row.opt_int(#name)? {
            Some(_) => Some(row.int32(#name)?),
            None => None,
        }),
        (Some(Ty::Choice), true) => quote!(match row.opt_text(#name)? {
            Some(_) => Some(row.choice(#name)?),
            None => None,
        }),
        (_, true) => quote!(row.#optional(#name)?),
    }
}

/// The kind's SQL description, or an error at the first attribute it cannot describe.
pub(crate) fn expand_checked(kind: &Kind) -> syn::Result<TokenStream> {
    if let Some(field) = kind.stored().find(|f| f.references_kind.is_some()) {
        return Err(syn::Error::new(
            field.span_of("references_kind"),
            "`SqlEntity` cannot name the table of a reference by kind: use \
             `references = Type` for a foreign key, or describe the table by hand",
        ));
    }
    Ok(expand(kind))
}

fn expand(kind: &Kind) -> TokenStream {
    let Kind {
        ident, sqlx, meta, ..
    } = kind;
    let table = &kind.table;
    let stored: Vec<&Field> = kind.stored().collect();
    let mut columns: Vec<TokenStream> = stored
        .iter()
        .map(|f| {
            let name = &f.name;
            let ty = col_type(kind, f);
            quote!(#sqlx::Column::new(#name, #ty))
        })
        .collect();
    let mut values: Vec<TokenStream> = stored.iter().map(|f| value(kind, f)).collect();
    let mut idents: Vec<&syn::Ident> = stored.iter().map(|f| &f.ident).collect();
    let mut reads: Vec<TokenStream> = stored.iter().map(|f| read(f)).collect();
    // The custom-field values in a JSON column, then the audit block's two text columns, as
    // the built-in kinds store them.
    if let Some(custom) = &kind.custom_fields {
        let ident = &custom.ident;
        columns.push(quote!(#sqlx::Column::new("custom_fields", #sqlx::ColType::Json)));
        values.push(quote!(#sqlx::SqlValue::from(::core::clone::Clone::clone(&self.#ident))));
        idents.push(ident);
        reads.push(quote!(row.json_map("custom_fields")?));
    }
    if let Some(audit) = &kind.audit {
        columns.push(quote!(#sqlx::AUDIT_COLUMNS[0]));
        columns.push(quote!(#sqlx::AUDIT_COLUMNS[1]));
        for by in [quote!(created_by), quote!(updated_by)] {
            values
                .push(quote!(#sqlx::SqlValue::from(::core::clone::Clone::clone(&self.#audit.#by))));
        }
        idents.push(audit);
        reads.push(quote!(row.audit()?));
    }
    let embedded: Vec<_> = kind.embedded().map(|f| &f.ident).collect();
    let unique = stored.iter().filter(|f| f.unique).map(|f| {
        let name = &f.name;
        let constraint = format!("{table}_{name}_key");
        quote!(#sqlx::UniqueKey { constraint: #constraint, columns: &[#name], field: #name })
    });
    let foreign = stored.iter().filter_map(|f| {
        let target = f.references.as_ref()?;
        let name = &f.name;
        Some(quote!(#sqlx::ForeignKey {
            column: #name,
            table: <#target as #sqlx::SqlEntity>::TABLE,
        }))
    });
    quote! {
        impl #sqlx::SqlEntity for #ident {
            const TABLE: &'static str = #table;

            fn columns() -> &'static [#sqlx::Column] {
                const COLUMNS: &[#sqlx::Column] = &[#(#columns),*];
                COLUMNS
            }

            fn values(&self) -> Vec<#sqlx::SqlValue> {
                vec![#(#values),*]
            }

            fn from_row(row: &#sqlx::SqlRow<'_>) -> #sqlx::Result<Self> {
                Ok(#ident {
                    #meta: row.meta()?,
                    #(#idents: #reads,)*
                    #(#embedded: None,)*
                })
            }

            fn unique_keys() -> &'static [#sqlx::UniqueKey] {
                const KEYS: &[#sqlx::UniqueKey] = &[#(#unique),*];
                KEYS
            }

            fn foreign_keys() -> &'static [#sqlx::ForeignKey] {
                const KEYS: &[#sqlx::ForeignKey] = &[#(#foreign),*];
                KEYS
            }
        }
    }
}
