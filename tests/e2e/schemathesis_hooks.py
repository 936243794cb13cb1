"""schemathesis hooks for the contract test (tests/e2e/contract.rs loads this module).

The condition headers (`If-Match`, `If-None-Match`) declare `format: entity-tags` next to
their pattern: `*`, or a comma-separated list of entity tags, strong (`"..."`) or weak
(`W/"..."`). schemathesis cannot invert that pattern for a header (its coverage phase keeps
header values alphanumeric, which no entity tag is), so it is told here how to make values of
that syntax. It adds no leniency: every value made matches the declared pattern, and values
outside it are still generated as negative cases.
"""

import schemathesis
from hypothesis import strategies as st

# etagc (RFC 9110 section 8.8.3): any visible ASCII character but the double quote.
ETAGC = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) != '"')

entity_tag = st.builds(
    lambda weak, opaque: ("W/" if weak else "") + '"' + opaque + '"',
    st.booleans(),
    st.text(alphabet=ETAGC, max_size=48),
)

schemathesis.openapi.format(
    "entity-tags",
    st.one_of(st.just("*"), st.lists(entity_tag, min_size=1, max_size=3).map(", ".join)),
)
