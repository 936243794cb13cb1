-- Counter rows are updated in place by every write, as HOT updates: each one adds a tuple
-- version to a chain on the same page, and the arbiter check of the next upsert
-- (`ON CONFLICT`) walks the chain from the index entry to the live version. Pages are only
-- pruned of dead versions when their free space falls under the fillfactor's reserve (10 %
-- of a full page), so with packed pages the chains grew to dozens of versions and a
-- single-row write spent most of its trigger's time walking them (measured in
-- `docs/performance.md`, "Statistics and analytics from counts the writes keep"). A
-- fillfactor of 10 keeps 90 % of each page free: an access prunes as soon as a page is a
-- tenth full, the chains stay short, and the table (a few thousand rows) costs a few
-- megabytes. CLUSTER rewrites the existing rows under the new fillfactor.
ALTER TABLE campushub_group_counts SET (fillfactor = 10);
CLUSTER campushub_group_counts USING campushub_group_counts_pkey;
