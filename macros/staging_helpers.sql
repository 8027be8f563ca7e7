{#- Building blocks shared by the staging layer. -#}

{% macro latest_version(relation, key_column, loaded_at_column='_loaded_at', tiebreak_columns=[], where=none) -%}
    {{ return(adapter.dispatch('latest_version', 'customer_health')(relation, key_column, loaded_at_column, tiebreak_columns, where)) }}
{%- endmacro %}

{#- The current version of every record: the row with the latest load time per key.
    Rows with a null key cannot be de-duplicated and are all kept (staging sets them
    aside as `null_key`). Ties on the load time are broken on `tiebreak_columns`
    (descending) so that the choice is deterministic where the loader can tie.
    Most keys arrive once: only the rows of keys delivered more than once are ranked (a
    window over every row would sort the whole table with all its columns, the costliest
    step of a full build on product events); the others pass through.
    Adds `record_key`, the base model's primary key: the key as text, or for a row whose
    key is null `<null>|<load time>|<n>` (the n-th such row of that load time), so that
    every row kept is identified, null-key rows included.
    `where` limits the rows read (an incremental model's new loads). It is repeated in each
    of the five reads of the relation rather than put in a CTE: DuckDB materializes a CTE
    read more than once, and a full build of 310M product events (100,000 accounts x 365
    days) then filled the 69,326 MiB of free disk with temporary files (docs/decisions/0008). -#}
{% macro default__latest_version(relation, key_column, loaded_at_column, tiebreak_columns, where) -%}
    {%- if where is not none -%}
        {%- set relation = '(select * from ' ~ relation ~ ' where ' ~ where ~ ')' -%}
    {%- endif %}
    {%- set redelivered_keys -%}
        select {{ key_column }} as redelivered_key
        from {{ relation }}
        where {{ key_column }} is not null
        group by {{ key_column }}
        having count(*) > 1
    {%- endset %}
    select
        loaded.*,
        cast(1 as {{ dbt.type_bigint() }}) as version_rank,
        cast(loaded.{{ key_column }} as {{ dbt.type_string() }}) as record_key
    from {{ relation }} as loaded
    left join ({{ redelivered_keys }}) as redelivered
        on loaded.{{ key_column }} = redelivered.redelivered_key
    where redelivered.redelivered_key is null
        and loaded.{{ key_column }} is not null
    union all
    select
        loaded.*,
        cast(1 as {{ dbt.type_bigint() }}) as version_rank,
        {{ dbt.concat([
            "'<null>|'",
            "coalesce(" ~ dbt.cast('loaded.' ~ loaded_at_column, dbt.type_string()) ~ ", '<null>')",
            "'|'",
            dbt.cast(
                'row_number() over (partition by loaded.' ~ loaded_at_column
                ~ ' order by loaded.' ~ loaded_at_column ~ ')',
                dbt.type_string()
            ),
        ]) }} as record_key
    from {{ relation }} as loaded
    where loaded.{{ key_column }} is null
    union all
    select *
    from (
        select
            loaded.*,
            cast(row_number() over (
                partition by loaded.{{ key_column }}
                order by loaded.{{ loaded_at_column }} desc nulls last
                {%- for column in tiebreak_columns %}, loaded.{{ column }} desc nulls last{% endfor %}
            ) as {{ dbt.type_bigint() }}) as version_rank,
            cast(loaded.{{ key_column }} as {{ dbt.type_string() }}) as record_key
        from {{ relation }} as loaded
        inner join ({{ redelivered_keys }}) as redelivered
            on loaded.{{ key_column }} = redelivered.redelivered_key
    ) as versions
    where version_rank = 1
{%- endmacro %}

{#- Money in billing arrives as integer minor units; `exponent` is the currency's
    number of decimals (2 for usd, 0 for jpy: see seeds/reference/currencies.csv). -#}
{% macro minor_to_major(amount_column, exponent_column) -%}
    ({{ amount_column }} / power(10, coalesce({{ exponent_column }}, 2)))
{%- endmacro %}

{% macro is_future_timestamp(timestamp_column, loaded_at_column='loaded_at') -%}
    ({{ timestamp_column }} > {{ dbt.dateadd('hour', var('future_timestamp_tolerance_hours'), loaded_at_column) }})
{%- endmacro %}

{#- A 64-bit float on every engine (type_double() is 32-bit on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_health')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{#- A sum that does not depend on the order rows arrive in: floating-point addition is
    not associative, and parallel engines add partial sums in any order, so the same
    build could differ in the last bits (and a band could flip at its threshold). Each
    term is rounded to a whole number of 1e-15 (x * 1e15 in double, then rounded), the
    integers are added exactly (decimal(38, 0)), and the total comes back as a double
    divided by 1e15. The expression is the same on every engine: DuckDB and Spark add the
    same integers for the same terms, and round them back alike. Not decimal(38, 15):
    DuckDB's exact cast of that type back to a double costs about 60 ns a value (1.5 s for
    24M; a hierarchy roll-up converts 20 sums per row) and rounds differently from
    Spark's, while a decimal(38, 0) converts at integer speed (docs/decisions/0020, session 33). Sums up
    to 1e23 in magnitude. -#}
{% macro exact_sum(expression) -%}
    (cast(sum(cast(round(cast({{ expression }} as {{ type_double() }}) * 1e15) as decimal(38, 0))) as {{ type_double() }}) / 1e15)
{%- endmacro %}

{#- Texts aggregated in a given order (order_by_clause, e.g. 'order by priority'): the
    definition version's hash, reasons and error texts must not depend on how rows
    arrive. dbt.listagg keeps the order on DuckDB; dbt-spark's drops it (collect_list),
    hence the Spark variant in macros/spark/cross_db.sql. -#}
{% macro ordered_listagg(measure, delimiter_text, order_by_clause) -%}
    {{ return(adapter.dispatch('ordered_listagg', 'customer_health')(measure, delimiter_text, order_by_clause)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by_clause) -%}
    {{ return(dbt.listagg(measure, delimiter_text, order_by_clause)) }}
{%- endmacro %}

{#- A date `days` days after `date_expression` (negative: before), typed as a date on every
    engine (dbt.dateadd returns a timestamp on some). Compare dates with dates: a join on
    a timestamp expression against a date column cannot use a plain hash join on DuckDB. -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- A raw table that the raw-source contract marks optional (`meta: {optional: true}` on
    its dbt source table, e.g. crm.health_override__c): the source relation when the
    loader landed it, else an empty relation with the columns and `data_type`s its source
    YAML documents, so that an absent table reads as "no rows" and nothing else changes.
    Any other source is returned as source() returns it. Calling source() keeps the
    lineage either way. -#}
{% macro optional_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- if not (node.config.meta or {}).get('optional') -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set landed = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if landed is not none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- if not column.data_type -%}
            {{ exceptions.raise_compiler_error(
                "optional source " ~ source_name ~ "." ~ table_name ~ ": column " ~ column.name
                ~ " needs a data_type in its YAML (the type of the empty stand-in)") }}
        {%- endif -%}
        {%- do columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ return('(select ' ~ (columns | join(', ')) ~ ' where 1 = 0)') }}
{%- endmacro %}
