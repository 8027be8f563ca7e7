{#- product_profiles: the health profile of each licensed product module on each day,
    assigned by seed product_profile_rules (first match in ascending priority; `*` matches
    anything). Scoring, not measuring: int_product_usage_daily holds the module's measures
    and its account's tier, and the product scoring models (int_product_indicator_scores_daily,
    int_product_health_scores) assign the profile, so that a change of the rules is rescored
    without counting the module's users again (docs/decisions/0004-rescoring-path.md).

    The rules depend on the module and the tier only, so they are matched once per distinct
    (product_id, customer_tier) pair, not once per module-day, and joined back
    (null-safe: an account may have no tier, which only `*` matches).
    - product_days: a relation with product_id and customer_tier, and any other columns.
    Returns a complete query: the columns of product_days, and health_profile_id. -#}
{% macro product_profiles(product_days) -%}
with

profile_rules as (
    select * from {{ ref('product_profile_rules') }}
),

profile_pairs as (
    select distinct
        product_id,
        customer_tier
    from {{ product_days }}
),

profile_matches as (
    select
        profile_pairs.product_id,
        profile_pairs.customer_tier,
        profile_rules.profile_id,
        row_number() over (
            partition by profile_pairs.product_id, profile_pairs.customer_tier
            order by profile_rules.priority
        ) as match_rank
    from profile_pairs
    inner join profile_rules
        on (profile_rules.product_id = '*' or profile_rules.product_id = profile_pairs.product_id)
        and (profile_rules.customer_tier = '*' or profile_rules.customer_tier = profile_pairs.customer_tier)
)

select
    product_days.*,
    profile_matches.profile_id as health_profile_id
from {{ product_days }} as product_days
-- The definition checks require a catch-all rule: every licensed module is scored.
inner join profile_matches
    on product_days.product_id = profile_matches.product_id
    and product_days.customer_tier is not distinct from profile_matches.customer_tier
    and profile_matches.match_rank = 1
{%- endmacro %}
