//! `#[derive(Entity)]`: the input struct, the `Schema` and the `Entity` implementation.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Field, Kind, Ty};

/// The schema field type of `field`.
fn field_type(kind: &Kind, field: &Field) -> TokenStream {
    let core = &kind.core;
    let rust_ty = &field.rust_ty;
    match field.ty {
        Some(Ty::Text) => quote!(#core::FieldType::Text),
        Some(Ty::Int | Ty::Int32) => quote!(#core::FieldType::Int),
        Some(Ty::Float) => quote!(#core::FieldType::Number),
        Some(Ty::Bool) => quote!(#core::FieldType::Bool),
        Some(Ty::Uuid) => quote!(#core::FieldType::Uuid),
        Some(Ty::Date) => quote!(#core::FieldType::Date),
        Some(Ty::DateTime) => quote!(#core::FieldType::DateTime),
        Some(Ty::Choice) => quote!(#core::FieldType::Choice(<#rust_ty>::ALL)),
        None => quote!(#core::FieldType::Json),
    }
}

/// The filter operators `filter` alone means for a field of type `ty`.
fn default_ops(ty: Option<Ty>) -> TokenStream {
    match ty {
        Some(Ty::Text) => quote!(STRING),
        Some(Ty::Int | Ty::Int32 | Ty::Float | Ty::Date | Ty::DateTime) => quote!(ORDERED),
        _ => quote!(EXACT),
    }
}

fn field_spec(kind: &Kind, field: &Field) -> TokenStream {
    let core = &kind.core;
    let name = &field.name;
    let ty = field_type(kind, field);
    let mut spec = quote!(#core::FieldSpec::new(#name, #ty));
    if let Some(ops) = &field.ops {
        let ops = if ops.to_string() == "default" {
            default_ops(field.ty)
        } else {
            ops.clone()
        };
        spec = quote!(#spec.filter(#core::schema::Ops::#ops));
    }
    if field.order {
        spec = quote!(#spec.order());
    }
    if field.nullable {
        spec = if field.ops.is_some() {
            quote!(#spec.nullable())
        } else {
            quote!(#spec.optional())
        };
    }
    if field.ty == Some(Ty::Int32) {
        spec = quote!(#spec.int32());
    }
    for constraint in &field.constraints {
        spec = quote!(#spec.#constraint);
    }
    if field.sensitive {
        spec = quote!(#spec.personal());
    }
    if let Some(name) = &field.choices_named {
        spec = quote!(#spec.choices_named(#name));
    }
    spec
}

/// The value of `self.<field>` as an `Option<Scalar>`.
fn scalar(kind: &Kind, field: &Field) -> TokenStream {
    let core = &kind.core;
    let ident = &field.ident;
    // `v` is a reference to the value.
    let convert = match field.ty {
        Some(Ty::Choice) => quote!(#core::Scalar::from(v.as_str())),
        Some(Ty::Int32) => quote!(#core::Scalar::Int(i64::from(*v))),
        Some(Ty::Float) => quote!(#core::Scalar::Float(*v)),
        _ => quote!(#core::Scalar::from(::core::clone::Clone::clone(v))),
    };
    if field.nullable {
        quote!(self.#ident.as_ref().map(|v| #convert))
    } else {
        quote!({
            let v = &self.#ident;
            Some(#convert)
        })
    }
}

pub(crate) fn expand(kind: &Kind) -> TokenStream {
    let Kind {
        ident,
        vis,
        core,
        meta,
        input,
        ..
    } = kind;
    let kind_name = &kind.kind;
    let mut specs: Vec<TokenStream> = kind.stored().map(|f| field_spec(kind, f)).collect();
    let custom = kind.custom_fields.as_ref();
    if custom.is_some() {
        specs.push(quote!(#core::FieldSpec::new("custom_fields", #core::FieldType::Object)));
    }
    let names = |pick: fn(&Field) -> bool| -> Vec<String> {
        kind.fields
            .iter()
            .filter(|f| pick(f))
            .map(|f| f.name.clone())
            .collect()
    };
    let search = names(|f| f.search);
    let stats = names(|f| f.stats);
    let mut writable = names(Field::is_input);
    writable.extend(custom.map(|f| f.name.clone()));
    let required = names(|f| f.is_input() && (f.required || !(f.nullable || f.default)));
    let read_only = names(|f| !f.is_input());
    let audit_read_only = kind
        .audit
        .as_ref()
        .map(|_| quote!(#core::audit::AUDIT_FIELDS[0], #core::audit::AUDIT_FIELDS[1],));
    let natural_key = match kind.fields.iter().find(|f| f.natural_key) {
        Some(f) => {
            let name = &f.name;
            quote!(Some(#name))
        }
        None => quote!(None),
    };
    let relations = kind.stored().filter_map(|f| {
        let target = f.references.as_ref()?;
        let name = &f.name;
        let embed = kind.embedded().find_map(|e| {
            let (from, fields) = e.embed.as_ref()?;
            (*from == f.ident).then(|| {
                let as_field = &e.name;
                let fields = fields.iter().map(|f| f.to_string());
                quote!(.embed(#core::Embed::new(#as_field, &[#(#fields),*])))
            })
        });
        Some(quote!(#core::Relation::to::<#target>(#name) #embed))
    });
    let relations_by_kind = kind.stored().filter_map(|f| {
        let target = f.references_kind.as_ref()?;
        let name = &f.name;
        Some(quote!(#core::Relation::to_kind(#core::EntityKind::new(#target), #name)))
    });
    let embedded_in = kind
        .embedded_in
        .iter()
        .map(|name| quote!(#core::EntityKind::new(#name)));

    // What a body sets: the input fields, then the custom-field values.
    let stored: Vec<&Field> = kind
        .stored()
        .filter(|f| f.is_input())
        .chain(custom)
        .collect();
    let stored_idents: Vec<_> = stored.iter().map(|f| &f.ident).collect();
    // The input's values as the record keeps them: through the field's `normalize`, if any.
    let from_input: Vec<TokenStream> = stored
        .iter()
        .map(|f| {
            let ident = &f.ident;
            match &f.normalize {
                Some(normalize) => quote!(#normalize(input.#ident)),
                None => quote!(input.#ident),
            }
        })
        .collect();
    // Server-set fields start at their type's default (`None` for an `Option`) and keep their
    // value through replaces and patches: only the application's own code writes them.
    let server_idents: Vec<_> = kind
        .stored()
        .filter(|f| f.read_only)
        .map(|f| &f.ident)
        .collect();
    let input_fields = stored.iter().map(|f| {
        let Field { ident, attrs, .. } = f;
        let ty = if f.nullable {
            let inner = &f.rust_ty;
            quote!(Option<#inner>)
        } else {
            let inner = &f.rust_ty;
            quote!(#inner)
        };
        // `#[field(default)]` is `#[serde(default)]` on the input, unless the field says so.
        let has_default = attrs
            .iter()
            .any(|a| a.path().is_ident("serde") && quote!(#a).to_string().contains("default"));
        let default = (f.default && !has_default).then(|| quote!(#[serde(default)]));
        quote!(#(#attrs)* #default pub #ident: #ty)
    });
    let embedded_idents: Vec<_> = kind.embedded().map(|f| &f.ident).collect();
    let embedded_names: Vec<_> = kind.embedded().map(|f| &f.name).collect();
    let field_names: Vec<_> = kind.fields.iter().map(|f| &f.name).collect();
    let field_values = kind.fields.iter().map(|f| {
        if f.embed.is_some() {
            quote!(None)
        } else {
            scalar(kind, f)
        }
    });
    let unique = kind.stored().filter(|f| f.unique).map(|f| {
        let name = &f.name;
        let ident = &f.ident;
        if f.nullable {
            quote!(if let Some(value) = &self.#ident { out.push((#name, value.clone())); })
        } else {
            quote!(out.push((#name, self.#ident.clone()));)
        }
    });
    let validate = kind
        .validate
        .as_ref()
        .map(|path| quote!(#path(self, errors);));
    let input_doc = format!("What a client sends to create or replace a [`{ident}`].");
    // The audit block: set from the actor at creation, its `updated_by` at every write.
    let (audit_created, audit_written) = match &kind.audit {
        Some(audit) => (
            Some(quote!(#audit: #core::Audit::created(actor),)),
            Some(quote!(self.#audit.written(actor);)),
        ),
        None => (None, None),
    };
    let custom_accessors = custom.map(|f| {
        // The field's own type (a `serde_json::Map<String, Value>` under whatever name the
        // deriving crate imported it), so that the expansion names no crate of its own.
        let Field { ident, rust_ty, .. } = f;
        quote! {
            fn custom_fields(&self) -> Option<&#rust_ty> {
                Some(&self.#ident)
            }

            fn custom_fields_mut(&mut self) -> Option<&mut #rust_ty> {
                Some(&mut self.#ident)
            }
        }
    });

    quote! {
        #[doc = #input_doc]
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #vis struct #input {
            #(#input_fields,)*
        }

        impl #core::Entity for #ident {
            type Create = #input;
            const KIND: #core::EntityKind = #core::EntityKind::new(#kind_name);

            fn schema() -> &'static #core::Schema {
                const FIELDS: &[#core::FieldSpec] = &[
                    #core::schema::META_FIELDS[0],
                    #core::schema::META_FIELDS[1],
                    #core::schema::META_FIELDS[2],
                    #(#specs,)*
                ];
                const RELATIONS: &[#core::Relation] =
                    &[#(#relations,)* #(#relations_by_kind,)*];
                static SCHEMA: #core::Schema = #core::Schema {
                    kind: <#ident as #core::Entity>::KIND,
                    fields: FIELDS,
                    search: &[#(#search),*],
                    natural_key: #natural_key,
                    stats: &[#(#stats),*],
                    relations: RELATIONS,
                    embedded_in: &[#(#embedded_in),*],
                    writable: &[&[#(#writable),*]],
                    required: &[&[#(#required),*]],
                    read_only: &[#audit_read_only #(#read_only),*],
                };
                &SCHEMA
            }

            fn meta(&self) -> &#core::RecordMeta {
                &self.#meta
            }

            fn meta_mut(&mut self) -> &mut #core::RecordMeta {
                &mut self.#meta
            }

            fn from_input(input: #input, meta: #core::RecordMeta, actor: &str) -> Self {
                let _ = actor;
                #ident {
                    #meta: meta,
                    #(#stored_idents: #from_input,)*
                    #(#server_idents: ::core::default::Default::default(),)*
                    #(#embedded_idents: None,)*
                    #audit_created
                }
            }

            fn to_input(&self) -> #input {
                #input {
                    #(#stored_idents: ::core::clone::Clone::clone(&self.#stored_idents),)*
                }
            }

            fn apply_input(&mut self, input: #input, actor: &str) {
                let _ = actor;
                #(self.#stored_idents = #from_input;)*
                #audit_written
            }

            fn validate(&self, errors: &mut #core::ValidationErrors) {
                let _ = &errors;
                #validate
            }

            fn field(&self, name: &str) -> Option<#core::Scalar> {
                if let Some(value) = self.#meta.field(name) {
                    return value;
                }
                match name {
                    #(#field_names => #field_values,)*
                    _ => None,
                }
            }

            #custom_accessors

            fn unique_values(&self) -> Vec<(&'static str, String)> {
                let mut out = Vec::new();
                #(#unique)*
                out
            }

            fn set_embedded(&mut self, field: &str, summary: Option<&#core::Embedded>) {
                match field {
                    #(#embedded_names => self.#embedded_idents = summary.cloned(),)*
                    _ => {}
                }
            }
        }
    }
}
