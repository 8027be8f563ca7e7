-- One row per expansion candidate on the run's end day: an account (the benefactor to
-- sell to), a product module and the quadrant of the impact x benefactor grid it falls
-- in, with the evidence in columns and in words.
--
--   same impact, same benefactor  (upsell_seats): a healthy customer's licensed users
--       use a module it licenses up to (or beyond) its seat count: more seats of what
--       they use.
--   new impact, same benefactor   (cross_sell_module): a healthy customer already
--       touches the features of a module it does not license.
--   same impact, new benefactor   (expand_to_unit): another business unit of the same
--       enterprise tree, not a customer or using little, could buy a module a healthy
--       unit of the tree uses.
--   new impact, new benefactor    (new_module_to_unit): that other unit could start with a
--       module nobody in the tree licenses but some unit already tries.
--
-- Healthy = health band in var expansion_healthy_bands (default good); the thresholds are
-- vars too (see the model's YAML).
{%- set healthy_bands = var('expansion_healthy_bands', ['good']) %}
{%- set high_utilization = var('expansion_high_utilization', 0.9) %}
{%- set low_utilization = var('expansion_low_usage_utilization', 0.3) %}
{%- set min_feature_events = var('expansion_min_feature_events', 5) %}

with

modules as (
    select * from {{ ref('int_account_module_usage') }}
),

health as (
    select
        account_id,
        health_score,
        health_band
    from {{ ref('fct_account_health_daily') }}
    where as_of_date = {{ health_window_end() }}
),

utilization as (
    select
        account_id,
        raw_value as license_utilization
    from {{ ref('fct_indicator_scores_daily') }}
    where as_of_date = {{ health_window_end() }}
        and indicator_id = 'license_utilization'
),

accounts as (
    select
        account_id,
        account_name,
        account_type,
        has_billing_history
    from {{ ref('int_accounts_enriched') }}
),

hierarchy as (
    select
        account_id,
        root_account_id
    from {{ ref('int_account_hierarchy') }}
),

account_context as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.account_type,
        coalesce(hierarchy.root_account_id, accounts.account_id) as root_account_id,
        health.health_score,
        health.health_band,
        utilization.license_utilization,
        health.health_band in ({% for band in healthy_bands %}'{{ band }}'{% if not loop.last %}, {% endif %}{% endfor %})
            as is_healthy,
        case
            when health.account_id is null and accounts.has_billing_history then 'former_customer'
            when health.account_id is null then 'prospect'
            when utilization.license_utilization < {{ low_utilization }} then 'low_usage_customer'
            else 'customer'
        end as benefactor_status
    from accounts
    left join hierarchy
        on accounts.account_id = hierarchy.account_id
    left join health
        on accounts.account_id = health.account_id
    left join utilization
        on accounts.account_id = utilization.account_id
),

-- Same benefactor: the account itself.
upsell_seats as (
    select
        modules.account_id,
        modules.product_id,
        'same' as impact,
        'same' as benefactor,
        'upsell_seats' as play,
        modules.account_id as reference_account_id,
        modules.seat_utilization as evidence_strength,
        {{ dbt.concat([
            "cast(modules.licensed_active_users_30d as " ~ dbt.type_string() ~ ")",
            "' licensed users used '", "replace(modules.product_id, 'prod_', '')",
            "' in the last 30 days for '", "cast(modules.licensed_seats as " ~ dbt.type_string() ~ ")",
            "' seats ('",
            "cast(cast(round(100 * modules.seat_utilization, 0) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
            "'% utilization), plus '",
            "cast(modules.active_users_30d - modules.licensed_active_users_30d as " ~ dbt.type_string() ~ ")",
            "' users without a seat; health '", "account_context.health_band",
        ]) }} as evidence
    from modules
    inner join account_context
        on modules.account_id = account_context.account_id
    where modules.is_licensed
        and account_context.is_healthy
        and modules.seat_utilization >= {{ high_utilization }}
),

cross_sell_module as (
    select
        modules.account_id,
        modules.product_id,
        'new' as impact,
        'same' as benefactor,
        'cross_sell_module' as play,
        modules.account_id as reference_account_id,
        cast(modules.features_touched_90d as {{ type_double() }}) / nullif(modules.module_feature_count, 0) as evidence_strength,
        {{ dbt.concat([
            "'does not license '", "replace(modules.product_id, 'prod_', '')",
            "' but touched its features ('", "modules.features_touched", "') '",
            "cast(modules.events_90d as " ~ dbt.type_string() ~ ")", "' times in the last 90 days, '",
            "cast(modules.active_users_30d as " ~ dbt.type_string() ~ ")", "' users in the last 30 days; health '",
            "account_context.health_band",
        ]) }} as evidence
    from modules
    inner join account_context
        on modules.account_id = account_context.account_id
    where not modules.is_licensed
        and account_context.is_healthy
        and modules.events_90d >= {{ min_feature_events }}
),

-- New benefactor: other units of the same enterprise tree that are no customer or use
-- little (partners excluded).
target_units as (
    select * from account_context
    where benefactor_status in ('prospect', 'former_customer', 'low_usage_customer')
        and coalesce(account_type, '') <> 'Partner'
),

-- Healthy units that use a module they license: the reference for the same impact.
reference_units as (
    select
        account_context.root_account_id,
        account_context.account_id as reference_account_id,
        account_context.account_name as reference_account_name,
        account_context.health_band as reference_health_band,
        account_context.health_score as reference_health_score,
        modules.product_id,
        modules.seat_utilization,
        modules.licensed_seats
    from account_context
    inner join modules
        on account_context.account_id = modules.account_id
    where account_context.is_healthy
        and modules.is_licensed
        and modules.licensed_active_users_30d > 0
),

tree_licensed_modules as (
    select distinct
        account_context.root_account_id,
        modules.product_id
    from account_context
    inner join modules
        on account_context.account_id = modules.account_id
    where modules.is_licensed
),

-- Customers of the tree that try a module nobody in the tree licenses.
explorer_units as (
    select
        account_context.root_account_id,
        account_context.account_id as reference_account_id,
        account_context.account_name as reference_account_name,
        modules.product_id,
        modules.features_touched,
        modules.events_90d,
        cast(modules.features_touched_90d as {{ type_double() }}) / nullif(modules.module_feature_count, 0) as feature_share
    from account_context
    inner join modules
        on account_context.account_id = modules.account_id
    left join tree_licensed_modules
        on account_context.root_account_id = tree_licensed_modules.root_account_id
        and modules.product_id = tree_licensed_modules.product_id
    where not modules.is_licensed
        and modules.events_90d >= {{ min_feature_events }}
        and tree_licensed_modules.product_id is null
),

expand_to_unit_ranked as (
    select
        target_units.account_id,
        reference_units.product_id,
        reference_units.reference_account_id,
        reference_units.reference_account_name,
        reference_units.reference_health_band,
        reference_units.seat_utilization,
        reference_units.licensed_seats,
        target_units.benefactor_status,
        row_number() over (
            partition by target_units.account_id, reference_units.product_id
            order by reference_units.seat_utilization desc, reference_units.reference_health_score desc,
                reference_units.reference_account_id asc
        ) as reference_rank,
        count(*) over (partition by target_units.account_id, reference_units.product_id) as reference_count
    from target_units
    inner join reference_units
        on target_units.root_account_id = reference_units.root_account_id
        and target_units.account_id <> reference_units.reference_account_id
    left join modules as target_modules
        on target_units.account_id = target_modules.account_id
        and reference_units.product_id = target_modules.product_id
        and target_modules.is_licensed
    where target_modules.account_id is null
),

expand_to_unit as (
    select
        account_id,
        product_id,
        'same' as impact,
        'new' as benefactor,
        'expand_to_unit' as play,
        reference_account_id,
        seat_utilization as evidence_strength,
        {{ dbt.concat([
            "replace(benefactor_status, '_', ' ')", "' in an enterprise where '",
            "reference_account_name", "' ('", "reference_health_band", "' health) uses '",
            "replace(product_id, 'prod_', '')", "' ('",
            "cast(cast(round(100 * seat_utilization, 0) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
            "'% of '", "cast(licensed_seats as " ~ dbt.type_string() ~ ")", "' seats in use)'",
            "case when reference_count > 1 then ' and ' || cast(reference_count - 1 as " ~ dbt.type_string() ~ ") || ' more healthy unit(s) use it too' else '' end",
        ]) }} as evidence
    from expand_to_unit_ranked
    where reference_rank = 1
),

new_module_to_unit_ranked as (
    select
        target_units.account_id,
        explorer_units.product_id,
        explorer_units.reference_account_id,
        explorer_units.reference_account_name,
        explorer_units.features_touched,
        explorer_units.events_90d,
        explorer_units.feature_share,
        target_units.benefactor_status,
        row_number() over (
            partition by target_units.account_id, explorer_units.product_id
            order by explorer_units.feature_share desc, explorer_units.events_90d desc,
                explorer_units.reference_account_id asc
        ) as reference_rank
    from target_units
    inner join explorer_units
        on target_units.root_account_id = explorer_units.root_account_id
        and target_units.account_id <> explorer_units.reference_account_id
),

new_module_to_unit as (
    select
        account_id,
        product_id,
        'new' as impact,
        'new' as benefactor,
        'new_module_to_unit' as play,
        reference_account_id,
        feature_share as evidence_strength,
        {{ dbt.concat([
            "replace(benefactor_status, '_', ' ')", "' in an enterprise where nobody licenses '",
            "replace(product_id, 'prod_', '')", "' but '", "reference_account_name",
            "' already tries its features ('", "features_touched", "', '",
            "cast(events_90d as " ~ dbt.type_string() ~ ")", "' events in 90 days)'",
        ]) }} as evidence
    from new_module_to_unit_ranked
    where reference_rank = 1
),

candidates as (
    select * from upsell_seats
    union all
    select * from cross_sell_module
    union all
    select * from expand_to_unit
    union all
    select * from new_module_to_unit
),

final as (
    select
        {{ dbt.hash(dbt.concat(['candidates.account_id', "'|'", 'candidates.product_id', "'|'", 'candidates.play'])) }}
            as expansion_candidate_id,
        {{ health_window_end() }} as as_of_date,
        candidates.account_id,
        account_context.account_name,
        account_context.root_account_id,
        candidates.product_id,
        candidates.impact,
        candidates.benefactor,
        {{ dbt.concat(['candidates.impact', "'_impact_'", 'candidates.benefactor', "'_benefactor'"]) }} as quadrant,
        candidates.play,
        account_context.benefactor_status,
        account_context.health_band,
        cast(account_context.health_score as {{ type_double() }}) as health_score,
        cast(account_context.license_utilization as {{ type_double() }}) as license_utilization,
        candidates.reference_account_id,
        modules.is_licensed as is_module_licensed,
        cast(coalesce(modules.licensed_seats, 0) as {{ dbt.type_bigint() }}) as module_licensed_seats,
        cast(coalesce(modules.active_users_30d, 0) as {{ dbt.type_bigint() }}) as module_active_users_30d,
        cast(modules.seat_utilization as {{ type_double() }}) as module_seat_utilization,
        cast(coalesce(modules.features_touched_90d, 0) as {{ dbt.type_bigint() }}) as module_features_touched_90d,
        cast(coalesce(modules.events_90d, 0) as {{ dbt.type_bigint() }}) as module_events_90d,
        cast(candidates.evidence_strength as {{ type_double() }}) as evidence_strength,
        cast(
            row_number() over (
                partition by candidates.play
                order by candidates.evidence_strength desc, account_context.health_score desc,
                    candidates.account_id asc, candidates.product_id asc
            )
            as {{ dbt.type_int() }}
        ) as candidate_rank,
        candidates.evidence
    from candidates
    inner join account_context
        on candidates.account_id = account_context.account_id
    left join modules
        on candidates.account_id = modules.account_id
        and candidates.product_id = modules.product_id
)

select * from final
