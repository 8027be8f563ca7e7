-- One row per annual subscription and contract term (term_start_date <= day <
-- term_end_date), derived from the term structure alone: a year at a time back from the
-- subscription's latest known period end (current_period_end) to its start. A renewal in
-- place keeps the subscription id and moves the period forward a year, a renewal as a new
-- subscription starts another one; either way the term running on a day, and so the
-- renewal date, is the same whatever happened after that day (a later cancellation or
-- renewal changes neither). A term that ends before the subscription does (its end is
-- earlier than subscription_end_date) was renewed in place. Readers join on the days the
-- subscription is active.
with

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
    where account_id is not null
        and is_annual
),

subscriptions as (
    select
        subscription_id,
        account_id,
        min(subscription_start_date) as subscription_start_date,
        max(active_to_date) as subscription_end_date,
        -- Without a period end the first term's end anchors the terms.
        coalesce(
            max(current_period_end_date),
            cast({{ dbt.dateadd('year', 1, 'min(subscription_start_date)') }} as date)
        ) as anchor_date
    from items
    group by subscription_id, account_id
),

term_numbers as (
    -- Sixty yearly terms reach back further than any subscription.
    select generated_number - 1 as terms_back
    from ({{ dbt.generate_series(60) }}) as series
),

terms as (
    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.subscription_start_date,
        subscriptions.subscription_end_date,
        term_numbers.terms_back,
        -- The intervals in parentheses: dbt-spark's dateadd multiplies a year interval by 12.
        cast({{ dbt.dateadd('year', '(-term_numbers.terms_back)', 'subscriptions.anchor_date') }} as date)
            as term_end_date,
        cast({{ dbt.dateadd('year', '(-term_numbers.terms_back - 1)', 'subscriptions.anchor_date') }} as date)
            as full_term_start_date
    from subscriptions
    cross join term_numbers
),

final as (
    select
        subscription_id,
        account_id,
        cast(
            row_number() over (partition by subscription_id order by term_end_date)
            as {{ dbt.type_int() }}
        ) as term_number,
        -- A start off the anchor (e.g. a trial before the first paid period) lengthens
        -- the first term.
        case
            when full_term_start_date < subscription_start_date then subscription_start_date
            else full_term_start_date
        end as term_start_date,
        term_end_date,
        subscription_start_date,
        subscription_end_date
    from terms
    -- A period end within the first month is a trial's end, not a contract term's.
    where term_end_date > {{ add_days('subscription_start_date', 31) }}
)

select * from final
