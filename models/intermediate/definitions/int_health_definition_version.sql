-- depends_on: {{ ref('int_health_definition_errors') }}
-- The definition seeds (meta health_definition in their YAML); the list below only makes
-- dbt build them first, and the check under it keeps it in step with the meta.
-- depends_on: {{ ref('health_pillar_weights') }} {{ ref('health_profile_indicators') }}
-- depends_on: {{ ref('health_profile_rules') }} {{ ref('health_profiles') }}
-- depends_on: {{ ref('hierarchy_band_rules') }} {{ ref('product_features') }}
-- depends_on: {{ ref('product_profile_rules') }} {{ ref('health_dimensions') }}
-- depends_on: {{ ref('health_dimension_indicators') }}
-- depends_on: {{ ref('alert_rules') }}
-- One row: the definition_version (an md5 over the content of the health definition
-- seeds) stamped on every score row, and one version per part of the definition
-- (indicators, scoring), so that a run can tell which part changed. Building this model
-- first validates the definitions: any row of int_health_definition_errors stops the
-- build here, with messages naming the offending seed rows, before a score is written.
{%- set seeds = health_definition_seeds() %}
{%- if execute %}
    {%- set declared = seeds | map(attribute='unique_id') | list %}
    {%- set missing = [] %}
    {%- for unique_id in declared if unique_id not in model.depends_on.nodes %}
        {%- do missing.append(unique_id) %}
    {%- endfor %}
    {%- if missing %}
        {{ exceptions.raise_compiler_error(
            "Seeds with meta health_definition must be listed in the depends_on lines of "
            ~ "int_health_definition_version: " ~ (missing | join(', '))) }}
    {%- endif %}
{%- endif %}
{%- if execute and flags.WHICH in ["run", "build"] %}
    {%- set errors = run_query(
        "select seed_name, seed_row, message from " ~ ref('int_health_definition_errors')
        ~ " order by seed_name, seed_row, message"
    ) %}
    {%- if errors.rows | length > 0 %}
        {%- set lines = [] %}
        {%- for row in errors.rows %}
            {%- do lines.append("  - " ~ row[0] ~ " (" ~ row[1] ~ "): " ~ row[2]) %}
        {%- endfor %}
        {{ exceptions.raise_compiler_error(
            "Invalid health definition (" ~ (errors.rows | length) ~ " problem(s)); fix the seeds and rebuild:\n"
            ~ (lines | join("\n"))
        ) }}
    {%- endif %}
{%- endif %}

with

{% for seed in seeds %}
{{ seed['name'] }}_text as (
    select
        '{{ seed['name'] }}' as seed_name,
        '{{ seed['part'] }}' as definition_part,
        {{ loop.index }} as seed_order,
        {{ ordered_listagg(definition_row_text(seed['columns']), "'~'", "order by " ~ definition_row_text(seed['columns'])) }}
            as seed_text
    from {{ ref(seed['name']) }}
),

{% endfor %}
seed_texts as (
    {% for seed in seeds %}
    select * from {{ seed['name'] }}_text
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as seed_name,
        cast(null as {{ dbt.type_string() }}) as definition_part,
        0 as seed_order,
        cast(null as {{ dbt.type_string() }}) as seed_text
    {% endfor %}
),

final as (
    select
        {{ dbt.hash(ordered_listagg(dbt.concat(['seed_name', "':'", 'seed_text']), "'#'", 'order by seed_order')) }}
            as definition_version,
        {% for part in ['indicators', 'scoring'] %}
        {{ dbt.hash(ordered_listagg(
            "case when definition_part = '" ~ part ~ "' then " ~ dbt.concat(['seed_name', "':'", 'seed_text']) ~ " end",
            "'#'", 'order by seed_order')) }}
            as {{ part }}_definition_version{{ ',' if not loop.last }}
        {% endfor %}
    from seed_texts
)

select * from final
