-- One row per churn-model example (int_churn_model_examples) and feature: the feature's
-- value and the latest day whose data it uses (value_date, never after the example's
-- feature_date: no leakage from the future). Features: every indicator's raw value on
-- the feature date (raw_<indicator>), its change over the 30 days before
-- (change_30d_<indicator>), the health score, pillar scores, coverage and 30-day score
-- change, the account's size (ln(1 + ARR), ln(1 + seats)), its tenure and the days to
-- the end of its annual contract term (contract dates are known in advance). Indicators
-- outside the account's profile that day have no row (the model imputes them).
with

examples as (
    select * from {{ ref('int_churn_model_examples') }}
),

indicator_scores as (
    select
        account_id,
        as_of_date,
        indicator_id,
        raw_value
    from {{ ref('fct_indicator_scores_daily') }}
    where raw_value is not null
),

indicators as (
    select
        indicator_id,
        indicator_label
    from {{ ref('health_indicators') }}
),

health as (
    select * from {{ ref('fct_account_health_daily') }}
),

items as (
    select * from {{ ref('int_subscription_items_enriched') }}
),

terms as (
    select * from {{ ref('int_subscription_terms') }}
),

accounts as (
    select * from {{ ref('int_accounts_enriched') }}
),

-- The end of the annual term running on the feature date (term structure only).
contract_terms as (
    select
        examples.example_id,
        min(terms.term_end_date) as term_end_date
    from examples
    inner join items
        on examples.account_id = items.account_id
        and items.active_from_date <= examples.feature_date
        and examples.feature_date < items.active_to_date
    inner join terms
        on items.subscription_id = terms.subscription_id
        and terms.term_start_date <= examples.feature_date
        and examples.feature_date < terms.term_end_date
    group by examples.example_id
),

raw_values as (
    select
        examples.example_id,
        {{ dbt.concat(["'raw_'", 'indicator_scores.indicator_id']) }} as feature_name,
        indicators.indicator_label as feature_label,
        indicator_scores.raw_value as feature_value,
        indicator_scores.as_of_date as value_date
    from examples
    inner join indicator_scores
        on examples.account_id = indicator_scores.account_id
        and examples.feature_date = indicator_scores.as_of_date
    inner join indicators
        on indicator_scores.indicator_id = indicators.indicator_id
),

changes as (
    select
        examples.example_id,
        {{ dbt.concat(["'change_30d_'", 'now_scores.indicator_id']) }} as feature_name,
        {{ dbt.concat(['indicators.indicator_label', "' 30-day change'"]) }} as feature_label,
        now_scores.raw_value - prior_scores.raw_value as feature_value,
        now_scores.as_of_date as value_date
    from examples
    inner join indicator_scores as now_scores
        on examples.account_id = now_scores.account_id
        and examples.feature_date = now_scores.as_of_date
    inner join indicator_scores as prior_scores
        on now_scores.account_id = prior_scores.account_id
        and now_scores.indicator_id = prior_scores.indicator_id
        and prior_scores.as_of_date = {{ add_days('now_scores.as_of_date', -30) }}
    inner join indicators
        on now_scores.indicator_id = indicators.indicator_id
),

account_values as (
    select
        examples.example_id,
        health.as_of_date as value_date,
        health.health_score,
        health.engagement_score,
        health.outcomes_score,
        health.relationship_score,
        health.strategic_score,
        health.coverage,
        health.score_change_30d,
        ln(1 + coalesce(health.arr, 0)) as log_arr,
        ln(1 + coalesce(health.licensed_seats, 0)) as log_seats,
        ln(1 + {{ dbt.datediff('accounts.first_subscription_date', 'examples.feature_date', 'day') }}) as log_tenure_days,
        {{ dbt.datediff('examples.feature_date', 'contract_terms.term_end_date', 'day') }} as days_to_term_end
    from examples
    inner join health
        on examples.account_id = health.account_id
        and examples.feature_date = health.as_of_date
    left join accounts
        on examples.account_id = accounts.account_id
    left join contract_terms
        on examples.example_id = contract_terms.example_id
),

{%- set account_features = [
    ('health_score', 'health score'),
    ('engagement_score', 'engagement pillar'),
    ('outcomes_score', 'outcomes pillar'),
    ('relationship_score', 'relationship pillar'),
    ('strategic_score', 'strategic pillar'),
    ('coverage', 'data coverage'),
    ('score_change_30d', 'health score 30-day change'),
    ('log_arr', 'ARR (USD)'),
    ('log_seats', 'licensed seats'),
    ('log_tenure_days', 'tenure (days)'),
    ('days_to_term_end', 'days to annual term end'),
] %}

account_features as (
    {%- for name, label in account_features %}
    select
        example_id,
        '{{ name }}' as feature_name,
        '{{ label }}' as feature_label,
        cast({{ name }} as {{ type_double() }}) as feature_value,
        value_date
    from account_values
    where {{ name }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

all_features as (
    select
        example_id,
        feature_name,
        feature_label,
        cast(feature_value as {{ type_double() }}) as feature_value,
        value_date
    from raw_values
    union all
    select
        example_id,
        feature_name,
        feature_label,
        cast(feature_value as {{ type_double() }}) as feature_value,
        value_date
    from changes
    union all
    select
        example_id,
        feature_name,
        feature_label,
        feature_value,
        value_date
    from account_features
),

final as (
    select
        all_features.example_id,
        examples.account_id,
        examples.feature_date,
        all_features.feature_name,
        all_features.feature_label,
        all_features.feature_value,
        all_features.value_date
    from all_features
    inner join examples
        on all_features.example_id = examples.example_id
)

select * from final
