{#- The seeds whose content defines health: every seed whose config meta says
    `health_definition: <part>` (`indicators`: what the daily indicator values depend on;
    `scoring`: how values become scores, bands and roll-ups), sorted by name, with the
    columns documented in its YAML in their order, less those marked
    `meta: {documentation_only: true}`. The definition_version is a hash over exactly
    these rows (int_health_definition_version); customer_health/definitions.py reads the
    same facts from the manifest and computes the same hash from the CSV files.
    `graph` is filled only when models execute: at parse time the list is empty. -#}
{% macro health_definition_seeds(part=none) -%}
    {%- set seeds = [] -%}
    {%- if not execute -%}
        {{ return(seeds) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed') | sort(attribute='name') -%}
        {%- set declared = node.config.meta.get('health_definition') -%}
        {%- if declared and (part is none or declared == part) -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() -%}
                {%- if not (column.meta or {}).get('documentation_only') -%}
                    {%- do columns.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do seeds.append({'name': node.name, 'unique_id': node.unique_id, 'part': declared, 'columns': columns}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(seeds) }}
{%- endmacro %}

{#- Text of one seed row: fields joined by '|', nulls as ''. Decimal seed columns are
    typed decimal(18,4), so their text is stable across engines ('70.0000'). -#}
{% macro definition_row_text(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
