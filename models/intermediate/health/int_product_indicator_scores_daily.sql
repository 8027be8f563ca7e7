-- One row per customer account, licensed product module, day of the scoring span and
-- indicator of the module's health profile: the raw value of the product-level
-- indicator (seed health_indicators, product_* rows) and its score and weights, scored
-- by the same machinery as accounts (macro health_indicator_scores) under the profile of
-- seed product_profile_rules. A null raw_value means "no data".
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'window_replace',
        partition_by='as_of_date' if target.type == 'spark' else none,
        event_time='as_of_date',
        on_schema_change='fail',
        tags=['daily'],
    )
}}

with

product_usage as (
    select * from {{ ref('int_product_usage_daily') }}
    where {{ in_scoring_span('as_of_date') }}
),

-- The module's profile on the day (seed product_profile_rules).
product_days as (
    {{ product_profiles('product_usage') | indent(4) }}
),

-- The product-level indicators' raw values, on the module-day rows they score (null: no
-- data). Scored in place: unpivoting them and joining them back cost half of the model
-- (docs/decisions/0022).
product_values as (
    select
        *,
        case
            when licensed_seats > 0 then cast(licensed_active_users_30d as {{ type_double() }}) / licensed_seats
        end as product_license_utilization,
        case
            when active_users_prior_30d > 0
                then cast(active_users_30d - active_users_prior_30d as {{ type_double() }}) / active_users_prior_30d
        end as product_active_user_trend,
        case
            when key_features_licensed > 0 then cast(key_features_used_30d as {{ type_double() }}) / key_features_licensed
        end as product_feature_breadth,
        case
            when account_active_users_30d > 0
                then cast(active_users_30d as {{ type_double() }}) / account_active_users_30d
        end as product_user_reach
    from product_days
),

final as (
    {{ health_indicator_scores(
        'product_values',
        none,
        ['account_id', 'product_id'],
        value_columns=['product_license_utilization', 'product_active_user_trend', 'product_feature_breadth',
            'product_user_reach'],
    ) | indent(4) }}
)

select * from final
