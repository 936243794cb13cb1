//! The description a struct and its attributes make: read once, checked, then generated from
//! by `entity.rs` and `sql.rs`. Every mistake is a `syn::Error` spanned on what caused it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, Ident, LitStr, Path, Type};

/// The value type of a field, from its Rust type (or `#[field(choice)]`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Text,
    Int,
    Int32,
    Float,
    Bool,
    Uuid,
    Date,
    DateTime,
    Choice,
}

/// One stored (or embedded) field.
pub(crate) struct Field {
    pub(crate) ident: Ident,
    pub(crate) name: String,
    pub(crate) rust_ty: Type,
    /// `None` for an embedded summary.
    pub(crate) ty: Option<Ty>,
    pub(crate) nullable: bool,
    pub(crate) ops: Option<TokenStream>,
    pub(crate) order: bool,
    pub(crate) search: bool,
    pub(crate) natural_key: bool,
    pub(crate) unique: bool,
    pub(crate) required: bool,
    pub(crate) default: bool,
    pub(crate) stats: bool,
    pub(crate) sensitive: bool,
    /// Set by the server, never by a body: in the record and its schema, not in the input.
    pub(crate) read_only: bool,
    pub(crate) references: Option<Path>,
    /// A reference by kind name, where naming the type would make two modules import each
    /// other: checked like `references`, never embedded, no foreign key from `SqlEntity`.
    pub(crate) references_kind: Option<LitStr>,
    /// A `fn(T) -> T` applied to the input's value on every write (trimming, case folding).
    pub(crate) normalize: Option<Path>,
    /// The OpenAPI component naming the field's choices (`choices_named`).
    pub(crate) choices_named: Option<LitStr>,
    /// For an embedded summary: the referencing field and the referenced fields.
    pub(crate) embed: Option<(Ident, Vec<Ident>)>,
    pub(crate) constraints: Vec<TokenStream>,
    pub(crate) attrs: Vec<Attribute>,
    /// Where each attribute was written, so that a rule across fields points at it.
    pub(crate) spans: Vec<(String, Span)>,
}

impl Field {
    /// Whether a body sets the field (it is in the kind's input): not an embedded summary,
    /// not `read_only`.
    pub(crate) fn is_input(&self) -> bool {
        self.embed.is_none() && !self.read_only
    }

    /// Where attribute `name` was written, else the field's name.
    pub(crate) fn span_of(&self, name: &str) -> Span {
        self.spans
            .iter()
            .find(|(n, _)| n == name)
            .map_or(self.ident.span(), |(_, span)| *span)
    }
}

/// The whole kind.
pub(crate) struct Kind {
    pub(crate) ident: Ident,
    pub(crate) vis: syn::Visibility,
    pub(crate) kind: String,
    pub(crate) table: String,
    pub(crate) input: Ident,
    pub(crate) validate: Option<Path>,
    /// The kinds whose records embed this one (their cached lists go stale on its writes).
    pub(crate) embedded_in: Vec<LitStr>,
    pub(crate) core: TokenStream,
    pub(crate) sqlx: TokenStream,
    pub(crate) meta: Ident,
    /// The `Audit` block (`created_by`, `updated_by`), if the kind has one.
    pub(crate) audit: Option<Ident>,
    /// The custom-field values (`custom_fields: Map<String, Value>`), if the kind has them.
    pub(crate) custom_fields: Option<Field>,
    pub(crate) fields: Vec<Field>,
}

impl Kind {
    /// The stored fields (embedded summaries left out).
    pub(crate) fn stored(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.embed.is_none())
    }

    /// The embedded summaries.
    pub(crate) fn embedded(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.embed.is_some())
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The last segment of a path type and its single generic argument, if any.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    let arg = match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((segment.ident.to_string(), arg))
}

fn value_type(ty: &Type) -> Option<Ty> {
    let (name, _) = last_segment(ty)?;
    Some(match name.as_str() {
        "String" => Ty::Text,
        "i64" => Ty::Int,
        "i32" => Ty::Int32,
        "f64" => Ty::Float,
        "bool" => Ty::Bool,
        "Uuid" => Ty::Uuid,
        "NaiveDate" => Ty::Date,
        "DateTime" => Ty::DateTime,
        _ => return None,
    })
}

/// Parses the struct-level `#[entity(...)]` and every field's `#[field(...)]`.
pub(crate) fn parse(input: &DeriveInput) -> syn::Result<Kind> {
    let ident = input.ident.clone();
    let mut kind = snake_case(&ident.to_string());
    let mut table = None;
    let mut input_ident = format_ident!("{}Input", ident);
    let mut validate = None;
    let mut embedded_in = Vec::new();
    let mut core = quote!(::campushub::core);
    let mut sqlx = quote!(::campushub::sqlx);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("entity")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("kind") {
                kind = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("table") {
                table = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("input") {
                input_ident = meta.value()?.parse()?;
            } else if meta.path.is_ident("validate") {
                validate = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("embedded_in") {
                meta.parse_nested_meta(|kind| {
                    let name = kind.path.require_ident()?;
                    embedded_in.push(LitStr::new(&name.to_string(), name.span()));
                    Ok(())
                })?;
            } else if meta.path.is_ident("core") {
                let path: Path = meta.value()?.parse()?;
                core = quote!(#path);
            } else if meta.path.is_ident("sqlx") {
                let path: Path = meta.value()?.parse()?;
                sqlx = quote!(#path);
            } else {
                return Err(meta.error(
                    "unknown `entity` attribute; expected `kind`, `table`, `input`, `validate`, \
                     `embedded_in`, `core` or `sqlx`",
                ));
            }
            Ok(())
        })?;
    }
    let table = table.unwrap_or_else(|| format!("{kind}s"));

    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "`#[derive(Entity)]` needs a struct with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &data.fields,
            "`#[derive(Entity)]` needs a struct with named fields",
        ));
    };

    let mut meta = None;
    let mut audit = None;
    let mut custom_fields = None;
    let mut fields = Vec::new();
    for field in &named.named {
        let Some(field_ident) = field.ident.clone() else {
            continue;
        };
        match last_segment(&field.ty).map(|(name, _)| name).as_deref() {
            Some("RecordMeta") => meta = Some(field_ident),
            Some("Audit") => audit = Some(field_ident),
            Some("Map") => custom_fields = Some(custom_fields_field(field, field_ident)?),
            _ => fields.push(parse_field(field, field_ident)?),
        }
    }
    let Some(meta) = meta else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a kind needs a metadata field: `#[serde(flatten)] meta: RecordMeta`",
        ));
    };
    let kind = Kind {
        ident,
        vis: input.vis.clone(),
        kind,
        table,
        input: input_ident,
        validate,
        embedded_in,
        core,
        sqlx,
        meta,
        audit,
        custom_fields,
        fields,
    };
    check(&kind)?;
    Ok(kind)
}

/// The custom-field values: a `Map<String, Value>` named `custom_fields` (its column, the
/// `cf.` filters and the custom-field definitions all use that name), without `#[field]`.
fn custom_fields_field(field: &syn::Field, ident: Ident) -> syn::Result<Field> {
    if ident != "custom_fields" {
        return Err(syn::Error::new_spanned(
            &ident,
            "a kind's custom-field values are a `Map<String, Value>` named `custom_fields`",
        ));
    }
    if let Some(attr) = field.attrs.iter().find(|a| a.path().is_ident("field")) {
        return Err(syn::Error::new_spanned(
            attr,
            "`custom_fields` takes no `#[field]` attributes: each custom field's rules come \
             from its definition",
        ));
    }
    let mut out = plain_field(field, ident, field.ty.clone(), false);
    out.default = true;
    Ok(out)
}

/// A field with no `#[field]` attribute read yet.
fn plain_field(field: &syn::Field, ident: Ident, rust_ty: Type, nullable: bool) -> Field {
    Field {
        name: ident.to_string(),
        ident,
        ty: value_type(&rust_ty),
        rust_ty,
        nullable,
        ops: None,
        order: false,
        search: false,
        natural_key: false,
        unique: false,
        required: false,
        default: false,
        stats: false,
        sensitive: false,
        read_only: false,
        references: None,
        references_kind: None,
        normalize: None,
        choices_named: None,
        embed: None,
        constraints: Vec::new(),
        attrs: field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc") || a.path().is_ident("serde"))
            .cloned()
            .collect(),
        spans: Vec::new(),
    }
}

fn parse_field(field: &syn::Field, ident: Ident) -> syn::Result<Field> {
    let (rust_ty, nullable) = match last_segment(&field.ty) {
        Some((name, Some(inner))) if name == "Option" => (inner.clone(), true),
        _ => (field.ty.clone(), false),
    };
    let mut out = plain_field(field, ident, rust_ty, nullable);
    let mut filter_span = None;
    let mut order_span = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
        attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            if let Some(name) = path.get_ident() {
                out.spans.push((name.to_string(), path.span()));
            }
            if path.is_ident("filter") {
                filter_span = Some(path.span());
                out.ops = Some(if meta.input.peek(syn::Token![=]) {
                    let ops: LitStr = meta.value()?.parse()?;
                    let name = match ops.value().as_str() {
                        "eq" => "EQ",
                        "exact" => "EXACT",
                        "ordered" => "ORDERED",
                        "string" => "STRING",
                        _ => {
                            return Err(syn::Error::new_spanned(
                                ops,
                                "unknown filter; expected \"eq\", \"exact\", \"ordered\" or \
                                 \"string\"",
                            ))
                        }
                    };
                    let name = format_ident!("{}", name);
                    quote!(#name)
                } else {
                    quote!(default)
                });
            } else if path.is_ident("order") {
                order_span = Some(path.span());
                out.order = true;
            } else if path.is_ident("search") {
                out.search = true;
            } else if path.is_ident("natural_key") {
                out.natural_key = true;
                out.unique = true;
            } else if path.is_ident("unique") {
                out.unique = true;
            } else if path.is_ident("required") {
                out.required = true;
            } else if path.is_ident("default") {
                out.default = true;
            } else if path.is_ident("stats") {
                out.stats = true;
            } else if path.is_ident("sensitive") {
                out.sensitive = true;
            } else if path.is_ident("read_only") {
                out.read_only = true;
            } else if path.is_ident("choice") {
                out.ty = Some(Ty::Choice);
            } else if path.is_ident("references") {
                out.references = Some(meta.value()?.parse()?);
            } else if path.is_ident("references_kind") {
                out.references_kind = Some(meta.value()?.parse()?);
            } else if path.is_ident("normalize") {
                out.normalize = Some(meta.value()?.parse()?);
            } else if path.is_ident("choices_named") {
                out.choices_named = Some(meta.value()?.parse()?);
            } else if path.is_ident("max_chars") || path.is_ident("text") {
                // A number or a constant's path (`EMAIL_MAX_CHARS`).
                let max: Expr = meta.value()?.parse()?;
                let method = path.get_ident().cloned();
                out.constraints.push(quote!(#method(#max)));
            } else if path.is_ident("range") {
                let content;
                syn::parenthesized!(content in meta.input);
                let bounds = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated(
                    &content,
                )?;
                let bounds: Vec<&Expr> = bounds.iter().collect();
                let [min, max] = bounds[..] else {
                    return Err(meta.error("expected `range(min, max)`"));
                };
                out.constraints.push(quote!(range(#min, #max)));
            } else if path.is_ident("pattern") {
                // A path to a `Pattern` constant (`campushub::core::schema::constraints::EMAIL`).
                let pattern: Expr = meta.value()?.parse()?;
                out.constraints.push(quote!(pattern(#pattern)));
            } else if path.is_ident("embed") {
                let mut from = None;
                let mut fields = Vec::new();
                meta.parse_nested_meta(|inner| {
                    if inner.path.is_ident("from") {
                        from = Some(inner.value()?.parse::<Ident>()?);
                    } else if inner.path.is_ident("fields") {
                        inner.parse_nested_meta(|name| {
                            fields.push(name.path.require_ident()?.clone());
                            Ok(())
                        })?;
                    } else {
                        return Err(inner.error("expected `from = field` or `fields(a, b)`"));
                    }
                    Ok(())
                })?;
                let Some(from) = from else {
                    return Err(meta.error("`embed` needs `from = <the referencing field>`"));
                };
                out.embed = Some((from, fields));
            } else {
                return Err(meta.error(
                    "unknown `field` attribute; expected `filter`, `order`, `search`, \
                     `natural_key`, `unique`, `required`, `default`, `stats`, `sensitive`, \
                     `read_only`, `choice`, `choices_named`, `references`, `references_kind`, \
                     `embed`, `normalize`, `max_chars`, `text`, `range` or `pattern`",
                ));
            }
            Ok(())
        })?;
    }
    if out.embed.is_none() && out.ty.is_none() {
        return Err(syn::Error::new_spanned(
            &field.ty,
            "unsupported field type: use String, i64, i32, f64, bool, Uuid, NaiveDate, \
             DateTime<Utc> (or an Option of one), or mark a string enum `#[field(choice)]`",
        ));
    }
    if let (Some(span), true) = (order_span, out.nullable) {
        return Err(syn::Error::new(
            span,
            "only non-null fields can be ordered by (keyset pagination has no NULL cases)",
        ));
    }
    if out.read_only && (out.natural_key || out.required || out.default) {
        let attr = ["natural_key", "required", "default"]
            .into_iter()
            .find(|attr| out.spans.iter().any(|(name, _)| name == attr))
            .unwrap_or("read_only");
        return Err(syn::Error::new(
            out.span_of(attr),
            "a `read_only` field is set by the server, never by a body: it cannot be a \
             natural key, `required` or `default`",
        ));
    }
    if let (Some(span), Some(_)) = (filter_span, &out.embed) {
        return Err(syn::Error::new(
            span,
            "an embedded summary cannot be filtered",
        ));
    }
    Ok(out)
}

/// Rules across fields.
fn check(kind: &Kind) -> syn::Result<()> {
    let mut natural = kind.fields.iter().filter(|f| f.natural_key);
    if let (Some(_), Some(second)) = (natural.next(), natural.next()) {
        return Err(syn::Error::new(
            second.span_of("natural_key"),
            "a kind has at most one natural key",
        ));
    }
    for field in &kind.fields {
        if (field.unique || field.search) && field.ty != Some(Ty::Text) {
            let (what, attr) = if field.natural_key {
                ("natural key", "natural_key")
            } else if field.unique {
                ("unique field", "unique")
            } else {
                ("search field", "search")
            };
            return Err(syn::Error::new(
                field.span_of(attr),
                format!("the {what} must be a text (String) field"),
            ));
        }
        let reference = if field.references.is_some() {
            Some("references")
        } else {
            field.references_kind.as_ref().map(|_| "references_kind")
        };
        if let Some(attr) = reference.filter(|_| field.ty != Some(Ty::Uuid)) {
            return Err(syn::Error::new(
                field.span_of(attr),
                "a reference must be a Uuid (or Option<Uuid>) field",
            ));
        }
        if field.choices_named.is_some() && field.ty != Some(Ty::Choice) {
            return Err(syn::Error::new(
                field.span_of("choices_named"),
                "`choices_named` names the choices of a `choice` field",
            ));
        }
        if let Some((from, _)) = &field.embed {
            let source = kind.fields.iter().find(|f| f.ident == *from);
            if source.is_none_or(|f| f.references.is_none()) {
                return Err(syn::Error::new_spanned(
                    from,
                    "`embed(from = ...)` must name a field with `#[field(references = Kind)]`",
                ));
            }
        }
    }
    Ok(())
}
