select account_id, product_id, as_of_date, health_score from (
)
