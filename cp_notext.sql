select account_id, as_of_date, part_kind, part_key, points from (
)
