-- One row per problem found in the health definition seeds, naming the offending seed
-- row. Empty when the definitions are sound; int_health_definition_version stops the
-- build when it is not.
with

profiles as (
    select * from {{ ref('health_profiles') }}
),

rules as (
    select * from {{ ref('health_profile_rules') }}
),

pillars as (
    select * from {{ ref('health_pillars') }}
),

indicators as (
    select * from {{ ref('health_indicators') }}
),

pillar_weights as (
    select * from {{ ref('health_pillar_weights') }}
),

profile_indicators as (
    select * from {{ ref('health_profile_indicators') }}
),

product_rules as (
    select * from {{ ref('product_profile_rules') }}
),

dimensions as (
    select * from {{ ref('health_dimensions') }}
),

dimension_indicators as (
    select * from {{ ref('health_dimension_indicators') }}
),

profile_errors as (
    select
        'health_profiles' as seed_name,
        'profile_id=' || profile_id as seed_row,
        case
            when poor_threshold > good_threshold
                then 'band thresholds out of order: poor_threshold ' || cast(poor_threshold as {{ dbt.type_string() }})
                    || ' is above good_threshold ' || cast(good_threshold as {{ dbt.type_string() }})
            when poor_threshold < 0 or good_threshold > 100
                then 'band thresholds must lie within 0-100'
            when min_coverage < 0 or min_coverage > 1
                then 'min_coverage must lie within 0-1'
        end as message
    from profiles
),

default_errors as (
    select
        'health_profiles' as seed_name,
        'is_default' as seed_row,
        case
            when count(*) = 0 then 'no default profile: mark exactly one profile is_default = true'
            else 'several default profiles: mark exactly one profile is_default = true'
        end as message
    from profiles
    where is_default
    having count(*) <> 1
),

duplicate_profiles as (
    select
        'health_profiles' as seed_name,
        'profile_id=' || profile_id as seed_row,
        'duplicate profile_id' as message
    from profiles
    group by profile_id
    having count(*) > 1
),

rule_errors as (
    select
        'health_profile_rules' as seed_name,
        'priority=' || cast(rules.priority as {{ dbt.type_string() }}) as seed_row,
        case
            when profiles.profile_id is null then 'unknown profile_id ' || coalesce(rules.profile_id, '<null>')
            when rules.priority is null then 'priority is missing'
        end as message
    from rules
    left join profiles
        on rules.profile_id = profiles.profile_id
),

duplicate_rules as (
    select
        'health_profile_rules' as seed_name,
        'priority=' || cast(priority as {{ dbt.type_string() }}) as seed_row,
        'duplicate priority' as message
    from rules
    group by priority
    having count(*) > 1
    union all
    select
        'health_profile_rules' as seed_name,
        'customer_tier=' || customer_tier || ', lifecycle_stage=' || lifecycle_stage
            || ', support_package=' || support_package || ', region=' || region as seed_row,
        'duplicate rule: the same conditions appear ' || cast(count(*) as {{ dbt.type_string() }})
            || ' times (priorities ' || {{ ordered_listagg("cast(priority as " ~ dbt.type_string() ~ ")", "', '", "order by priority") }}
            || ')' as message
    from rules
    group by customer_tier, lifecycle_stage, support_package, region
    having count(*) > 1
),

-- The marts have a score column for each pillar of the contract (macro health_pillar_ids)
-- and for no other.
pillar_errors as (
    select
        'health_pillars' as seed_name,
        'pillar=' || coalesce(pillar, '<null>') as seed_row,
        'not a pillar of the marts contract: ' || coalesce(pillar, '<null>')
            || ' ({{ health_pillar_ids() | join(", ") }})' as message
    from pillars
    where pillar is null
        or pillar not in ({% for pillar in health_pillar_ids() %}'{{ pillar }}'{{ ', ' if not loop.last }}{% endfor %})
),

pillar_weight_errors as (
    select
        'health_pillar_weights' as seed_name,
        'profile_id=' || pillar_weights.profile_id || ', pillar=' || pillar_weights.pillar as seed_row,
        case
            when profiles.profile_id is null then 'unknown profile_id ' || pillar_weights.profile_id
            when pillars.pillar is null then 'unknown pillar ' || pillar_weights.pillar
            when pillar_weights.weight is null or pillar_weights.weight < 0
                then 'negative or missing weight ' || coalesce(cast(pillar_weights.weight as {{ dbt.type_string() }}), '<null>')
        end as message
    from pillar_weights
    left join profiles
        on pillar_weights.profile_id = profiles.profile_id
    left join pillars
        on pillar_weights.pillar = pillars.pillar
),

indicator_errors as (
    select
        'health_profile_indicators' as seed_name,
        'profile_id=' || profile_indicators.profile_id
            || ', indicator_id=' || profile_indicators.indicator_id as seed_row,
        case
            when profiles.profile_id is null then 'unknown profile_id ' || profile_indicators.profile_id
            when indicators.indicator_id is null then 'unknown indicator ' || profile_indicators.indicator_id
            when pillars.pillar is null then 'unknown pillar ' || coalesce(profile_indicators.pillar, '<null>')
            when profile_indicators.weight is null or profile_indicators.weight < 0
                then 'negative or missing weight ' || coalesce(cast(profile_indicators.weight as {{ dbt.type_string() }}), '<null>')
            when profile_indicators.scoring_method not in ('linear', 'bands') or profile_indicators.scoring_method is null
                then 'unknown scoring_method ' || coalesce(profile_indicators.scoring_method, '<null>') || ' (linear or bands)'
            when profile_indicators.missing_policy not in ('ignore', 'neutral', 'poor') or profile_indicators.missing_policy is null
                then 'unknown missing_policy ' || coalesce(profile_indicators.missing_policy, '<null>') || ' (ignore, neutral or poor)'
            when profile_indicators.poor_value is null or profile_indicators.good_value is null
                then 'poor_value and good_value are required'
            when profile_indicators.poor_value = profile_indicators.good_value
                then 'poor_value equals good_value (' || cast(profile_indicators.good_value as {{ dbt.type_string() }}) || '): the direction is undefined'
            when pillar_weights.pillar is null
                then 'pillar ' || profile_indicators.pillar || ' has no row in health_pillar_weights for this profile'
        end as message
    from profile_indicators
    left join profiles
        on profile_indicators.profile_id = profiles.profile_id
    left join indicators
        on profile_indicators.indicator_id = indicators.indicator_id
    left join pillars
        on profile_indicators.pillar = pillars.pillar
    left join pillar_weights
        on profile_indicators.profile_id = pillar_weights.profile_id
        and profile_indicators.pillar = pillar_weights.pillar
),

duplicate_indicators as (
    select
        'health_profile_indicators' as seed_name,
        'profile_id=' || profile_id || ', indicator_id=' || indicator_id as seed_row,
        'indicator listed more than once for the profile' as message
    from profile_indicators
    group by profile_id, indicator_id
    having count(*) > 1
),

profiles_without_indicators as (
    select
        'health_profiles' as seed_name,
        'profile_id=' || profiles.profile_id as seed_row,
        'profile has no indicators in health_profile_indicators' as message
    from profiles
    where not exists (
        select 1 from profile_indicators
        where profile_indicators.profile_id = profiles.profile_id
    )
),

-- The weight that counts: pillars that have indicators, indicators within them.
used_pillar_weights as (
    select
        pillar_weights.profile_id,
        pillar_weights.pillar,
        pillar_weights.weight,
        sum(profile_indicators.weight) as indicator_weight_total
    from pillar_weights
    inner join profile_indicators
        on pillar_weights.profile_id = profile_indicators.profile_id
        and pillar_weights.pillar = profile_indicators.pillar
    group by pillar_weights.profile_id, pillar_weights.pillar, pillar_weights.weight
),

zero_weight_errors as (
    select
        'health_pillar_weights' as seed_name,
        'profile_id=' || profile_id as seed_row,
        'all pillar weights are zero for the pillars that have indicators' as message
    from used_pillar_weights
    group by profile_id
    having sum(weight) <= 0
    union all
    select
        'health_profile_indicators' as seed_name,
        'profile_id=' || profile_id || ', pillar=' || pillar as seed_row,
        'all indicator weights in the pillar are zero while the pillar weighs '
            || cast(weight as {{ dbt.type_string() }}) as message
    from used_pillar_weights
    where weight > 0 and indicator_weight_total <= 0
),

product_rule_errors as (
    select
        'product_profile_rules' as seed_name,
        'priority=' || coalesce(cast(product_rules.priority as {{ dbt.type_string() }}), '<null>') as seed_row,
        case
            when product_rules.priority is null then 'priority is missing'
            when profiles.profile_id is null then 'unknown profile_id ' || coalesce(product_rules.profile_id, '<null>')
            when product_rules.product_id is null or product_rules.customer_tier is null
                then 'product_id and customer_tier are required (`*` matches anything)'
        end as message
    from product_rules
    left join profiles
        on product_rules.profile_id = profiles.profile_id
    union all
    select
        'product_profile_rules' as seed_name,
        'priority=' || cast(priority as {{ dbt.type_string() }}) as seed_row,
        'duplicate priority' as message
    from product_rules
    group by priority
    having count(*) > 1
),

-- Every licensed module must be scored: one rule has to match anything.
product_catch_all_errors as (
    select
        'product_profile_rules' as seed_name,
        'product_id=*, customer_tier=*' as seed_row,
        'no catch-all rule (product_id = *, customer_tier = *): a licensed module could go unscored' as message
    from (
        select count(*) as catch_all_rules
        from product_rules
        where product_id = '*' and customer_tier = '*'
    ) as counted
    where catch_all_rules = 0
),

dimension_errors as (
    select
        'health_dimensions' as seed_name,
        'dimension=' || coalesce(dimension, '<null>') as seed_row,
        case
            when dimension is null or dimension not in ('relationship', 'impact')
                then 'unknown dimension ' || coalesce(dimension, '<null>') || ' (relationship or impact)'
            when strong_threshold is null or strong_threshold < 0 or strong_threshold > 100
                then 'strong_threshold must lie within 0-100'
        end as message
    from dimensions
    union all
    select
        'health_dimensions' as seed_name,
        'dimension=' || dimension as seed_row,
        'duplicate dimension' as message
    from dimensions
    group by dimension
    having count(*) > 1
    union all
    select
        'health_dimensions' as seed_name,
        'dimension=' || expected.dimension as seed_row,
        'missing row: the quadrant needs both relationship and impact' as message
    from (
        select 'relationship' as dimension
        union all
        select 'impact' as dimension
    ) as expected
    left join dimensions
        on expected.dimension = dimensions.dimension
    where dimensions.dimension is null
),

dimension_indicator_errors as (
    select
        'health_dimension_indicators' as seed_name,
        'dimension=' || coalesce(dimension_indicators.dimension, '<null>')
            || ', indicator_id=' || coalesce(dimension_indicators.indicator_id, '<null>') as seed_row,
        case
            when dimensions.dimension is null
                then 'unknown dimension ' || coalesce(dimension_indicators.dimension, '<null>')
            when indicators.indicator_id is null
                then 'unknown indicator ' || coalesce(dimension_indicators.indicator_id, '<null>')
            when dimension_indicators.weight is null or dimension_indicators.weight < 0
                then 'negative or missing weight ' || coalesce(cast(dimension_indicators.weight as {{ dbt.type_string() }}), '<null>')
        end as message
    from dimension_indicators
    left join dimensions
        on dimension_indicators.dimension = dimensions.dimension
    left join indicators
        on dimension_indicators.indicator_id = indicators.indicator_id
    union all
    select
        'health_dimension_indicators' as seed_name,
        'dimension=' || dimension || ', indicator_id=' || indicator_id as seed_row,
        'indicator listed more than once for the dimension' as message
    from dimension_indicators
    group by dimension, indicator_id
    having count(*) > 1
    union all
    select
        'health_dimension_indicators' as seed_name,
        'dimension=' || dimensions.dimension as seed_row,
        'the dimension has no indicator with a positive weight' as message
    from dimensions
    left join dimension_indicators
        on dimensions.dimension = dimension_indicators.dimension
        and dimension_indicators.weight > 0
    group by dimensions.dimension
    having count(dimension_indicators.indicator_id) = 0
),

all_errors as (
    select * from profile_errors
    union all select * from default_errors
    union all select * from duplicate_profiles
    union all select * from rule_errors
    union all select * from duplicate_rules
    union all select * from pillar_errors
    union all select * from pillar_weight_errors
    union all select * from indicator_errors
    union all select * from duplicate_indicators
    union all select * from profiles_without_indicators
    union all select * from zero_weight_errors
    union all select * from product_rule_errors
    union all select * from product_catch_all_errors
    union all select * from dimension_errors
    union all select * from dimension_indicator_errors
),

final as (
    select distinct
        seed_name,
        seed_row,
        message
    from all_errors
    where message is not null
)

select * from final
