//! Lists nested under another kind's record: `/api/v1/students/{id}/contacts` lists the
//! contacts whose `owner_id` is that student's id, the resource's list route with one filter
//! fixed by the path (see [`ResourceRoutes::nested_under`](crate::ResourceRoutes::nested_under)).

/// Where a resource's list is also served: under the records of kind `parent`, filtered by
/// `field` equal to the parent's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nested {
    /// The parent kind's path segment (`students`).
    pub parent: &'static str,
    /// The field of the nested kind that holds the parent's id (`owner_id`): a filterable
    /// `Uuid` field.
    pub field: &'static str,
}

impl Nested {
    /// The route's path template: `/api/v1/<parent>/{id}/<segment>`.
    pub fn path(&self, segment: &str) -> String {
        format!(
            "{}/{}/{{id}}/{segment}",
            crate::routing::API_PREFIX,
            self.parent
        )
    }

    /// The list parameters of a nested request: the client's, less any it gave for `field`,
    /// plus `field` = `parent_id`.
    pub(crate) fn params(
        &self,
        parent_id: uuid::Uuid,
        client: &[(String, String)],
    ) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = client
            .iter()
            .filter(|(name, _)| name != self.field)
            .cloned()
            .collect();
        params.push((self.field.to_owned(), parent_id.to_string()));
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_fixes_the_field_whatever_the_client_sent() {
        let nested = Nested {
            parent: "students",
            field: "owner_id",
        };
        assert_eq!(nested.path("contacts"), "/api/v1/students/{id}/contacts");
        let id = uuid::Uuid::nil();
        let client = vec![
            ("owner_id".to_owned(), "someone else".to_owned()),
            ("ordering".to_owned(), "priority".to_owned()),
        ];
        assert_eq!(
            nested.params(id, &client),
            vec![
                ("ordering".to_owned(), "priority".to_owned()),
                ("owner_id".to_owned(), id.to_string()),
            ]
        );
    }
}
