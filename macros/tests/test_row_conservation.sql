{#- Row conservation for one raw table, by keys: every distinct raw key ends in exactly
    one of usable (`model`, the table's usable model), soft-deleted (`is_deleted` in its
    base model) or set aside (dq_rejected_rows), and nothing else appears there; every
    raw row whose key is null is soft-deleted or set aside. The base model, key column
    and source come from the registry (macros/staging_tables.sql); an optional raw table
    that was never landed counts as empty (optional_source()).

    One failing row per problem, so a lost key and a key counted twice cannot cancel out:
    `lost` (a raw key in none of the three), `counted_twice` (in more than one, or twice
    in one), `not_in_raw` (a key that is no raw key), `null_keys` (the raw rows with a
    null key and the null-key rows accounted for differ in number). -#}
{% test row_conservation(model, source_name, table_name, source_key='id') %}
{%- set entry = staging_table_entry(source_name, table_name) -%}
{%- set key = entry['key'] -%}

with

raw_keys as (
    select distinct cast({{ source_key }} as {{ dbt.type_string() }}) as record_id
    from {{ optional_source(source_name, table_name) }}
    where {{ source_key }} is not null
),

raw_null_keys as (
    select count(*) as row_count
    from {{ optional_source(source_name, table_name) }}
    where {{ source_key }} is null
),

outcomes as (
    select
        cast({{ key }} as {{ dbt.type_string() }}) as record_id,
        'usable' as outcome
    from {{ model }}
    union all
    select
        cast({{ key }} as {{ dbt.type_string() }}) as record_id,
        'soft_deleted' as outcome
    from {{ ref(entry['base_model']) }}
    where is_deleted
    union all
    select
        record_id,
        'set_aside' as outcome
    from {{ ref('dq_rejected_rows') }}
    where source_name = '{{ source_name }}'
        and table_name = '{{ table_name }}'
),

keyed_outcomes as (
    select
        record_id,
        count(*) as outcome_count,
        min(outcome) as first_outcome,
        max(outcome) as last_outcome
    from outcomes
    where record_id is not null
    group by record_id
),

key_problems as (
    select
        coalesce(raw_keys.record_id, keyed_outcomes.record_id) as record_id,
        case
            when keyed_outcomes.record_id is null then 'lost'
            when raw_keys.record_id is null then 'not_in_raw'
            else 'counted_twice'
        end as problem,
        cast(case when raw_keys.record_id is null then 0 else 1 end as {{ dbt.type_bigint() }}) as raw_count,
        cast(coalesce(keyed_outcomes.outcome_count, 0) as {{ dbt.type_bigint() }}) as outcome_count,
        keyed_outcomes.first_outcome,
        keyed_outcomes.last_outcome
    from raw_keys
    full outer join keyed_outcomes
        on raw_keys.record_id = keyed_outcomes.record_id
    where raw_keys.record_id is null
        or keyed_outcomes.record_id is null
        or keyed_outcomes.outcome_count <> 1
),

null_key_outcomes as (
    select
        count(*) as outcome_count,
        min(outcome) as first_outcome,
        max(outcome) as last_outcome
    from outcomes
    where record_id is null
),

null_key_problems as (
    select
        cast(null as {{ dbt.type_string() }}) as record_id,
        'null_keys' as problem,
        cast(raw_null_keys.row_count as {{ dbt.type_bigint() }}) as raw_count,
        cast(null_key_outcomes.outcome_count as {{ dbt.type_bigint() }}) as outcome_count,
        null_key_outcomes.first_outcome,
        null_key_outcomes.last_outcome
    from raw_null_keys
    cross join null_key_outcomes
    where raw_null_keys.row_count <> null_key_outcomes.outcome_count
        or null_key_outcomes.last_outcome = 'usable'
)

select * from key_problems
union all
select * from null_key_problems

{% endtest %}
