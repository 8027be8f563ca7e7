-- Every account-day's score_change_30d is the sum of its parts (int_health_score_change_parts),
-- within float rounding: rows returned are account-days where it is not.
with

health as (
    select
        account_id,
        as_of_date,
        score_change_30d
    from {{ ref('fct_account_health_daily') }}
    where score_change_30d is not null
),

parts as (
    select
        account_id,
        as_of_date,
        sum(points) as parts_total
    from {{ ref('int_health_score_change_parts') }}
    group by account_id, as_of_date
),

final as (
    select
        health.account_id,
        health.as_of_date,
        health.score_change_30d,
        coalesce(parts.parts_total, 0) as parts_total
    from health
    left join parts
        on health.account_id = parts.account_id
        and health.as_of_date = parts.as_of_date
    where abs(health.score_change_30d - coalesce(parts.parts_total, 0)) > 0.000001
)

select * from final
