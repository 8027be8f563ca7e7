{#- Data tests of daily models test the days the run wrote.

    Every data test of the project carries the `where` config `__run_window__`
    (dbt_project.yml). dbt's documented hook for templating `where` is the dispatched
    macro get_where_subquery (https://docs.getdbt.com/reference/resource-configs/where,
    "Custom logic"); this project's implementation, found first through the `dispatch`
    search order in dbt_project.yml, turns the placeholder into the run's window on the
    tested model's declared `event_time` (half-open: >= start and < end + 1 day) when the
    run passes the window vars (the pipeline always does). Without them (`dbt test` by
    hand) and for models without an event_time (staging, dimensions, seeds, sources) the
    whole table is tested, and so is any test with a `where` of its own. A run replaces exactly its window's days of a daily
    model, so the other days are as they were when their own run tested them. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__run_window__' -%}
        {%- set day_column = _event_time_of(relation) -%}
        {%- if day_column and (run_var('health_start_date', '') | string | trim) != '' -%}
            {%- set filtered -%}
                (select * from {{ relation }} where {{ in_health_window(day_column) }}) dbt_subquery
            {%- endset -%}
            {{ return(filtered) }}
        {%- endif -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return(dbt.default__get_where_subquery(relation)) }}
{%- endmacro %}

{#- The event_time config of the model (or snapshot, seed) stored in `relation`. -#}
{% macro _event_time_of(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ['model', 'seed', 'snapshot']
            and (node.alias or node.name) == relation.identifier
            and node.schema == relation.schema -%}
            {{ return(node.config.get('event_time')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
