-- hierarchy_band_rules: every offending rule with what is wrong. A condition needs a
-- share, a comparison and a threshold (or none of them, for the catch-all); all rows of
-- a rule give one band; some rule has no condition, so that every node with members
-- gets a band; at most var hierarchy_max_band_rules (8) rules, the slots that
-- fct_hierarchy_health_daily evaluates.
with

rules as (
    select * from {{ ref('hierarchy_band_rules') }}
),

incomplete_conditions as (
    select
        rule_priority,
        'a condition needs share_name, comparison and threshold together' as problem
    from rules
    where not (
        (share_name is null and comparison is null and threshold is null)
        or (share_name is not null and comparison is not null and threshold is not null)
    )
),

mixed_bands as (
    select
        rule_priority,
        'the rows of one rule name different bands' as problem
    from rules
    group by rule_priority
    having count(distinct health_band) > 1
),

catch_all as (
    select count(*) as catch_all_count
    from rules
    where share_name is null
),

missing_catch_all as (
    select
        cast(null as {{ dbt.type_int() }}) as rule_priority,
        'no rule without condition: some nodes would get no band' as problem
    from catch_all
    where catch_all_count = 0
),

too_many_rules as (
    select
        cast(null as {{ dbt.type_int() }}) as rule_priority,
        'more rules than var hierarchy_max_band_rules ({{ var("hierarchy_max_band_rules", 8) }}): raise it' as problem
    from rules
    having count(distinct rule_priority) > {{ var('hierarchy_max_band_rules', 8) }}
)

select * from incomplete_conditions
union all
select * from mixed_bands
union all
select * from missing_catch_all
union all
select * from too_many_rules
