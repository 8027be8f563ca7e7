-- depends_on: {{ ref('int_health_definition_errors') }}
-- One row: the definition_version (an md5 over the content of the health definition
-- seeds) stamped on every score row. Building this model first validates the
-- definitions: any row of int_health_definition_errors stops the build here, with
-- messages naming the offending seed rows, before a single score is written.
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

{% for seed in health_definition_seeds() %}
{{ seed['name'] }}_text as (
    select
        '{{ seed['name'] }}' as seed_name,
        {{ loop.index }} as seed_order,
        {{ dbt.listagg(definition_row_text(seed['columns']), "'~'", "order by " ~ definition_row_text(seed['columns'])) }}
            as seed_text
    from {{ ref(seed['name']) }}
),

{% endfor %}
seed_texts as (
    {% for seed in health_definition_seeds() %}
    select * from {{ seed['name'] }}_text
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.hash(dbt.listagg(dbt.concat(['seed_name', "':'", 'seed_text']), "'#'", 'order by seed_order')) }}
            as definition_version
    from seed_texts
)

select * from final
