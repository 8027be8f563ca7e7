{#- Enterprise hierarchies, part 2: roll-ups over subtrees, the roll-up methods and band
    rules, and the texts of the hierarchy marts. Part 1 (macros/hierarchy.sql) builds the
    links and closure rows these read, and holds the conventions and helpers both share.
    Documented in macros/_hierarchy__macros.yml. -#}


{#- ------------------------------------------------------------------------------
    hierarchy_rollup: per node x group (e.g. day) aggregates over the node's subtree.
    The members of a node are the rows of `member_relation` (passing `member_filter`)
    whose `member_column` is a descendant of the node in `closure_relation` (the node
    itself included: depth 0), with equal `join_columns` (e.g. a hierarchy version).
    Weight of a member row: `weight_expression` (SQL over the member's columns; null
    counts as 0; must not be negative). Output, after node_id and the group columns:
    - member_count, total_weight;
    - <band>_share for each of `bands`: weight of members whose `band_column` is that
      band / total weight (they sum to 1 when `bands` lists every band of the members);
    - for each measure (a column name, or {'name': ..., 'expression': ...}):
      <name>_mean (weighted mean over members with a value), <name>_min, <name>_max
      (over members with a value, whatever their weight).
    Shares and measures are null when the total weight is 0. Nodes without any member
    get no row: join the result to a spine of nodes where every node needs a row.
    Several weightings at once: `weights` = {name: expression, ...} and
    `weight_name_column` give one row per node, group and weighting (the name in that
    column) from a single join of members and closure, the costly part. -#}
{% macro hierarchy_rollup(closure_relation, member_relation, weight_expression='1', measures=[], band_column=none, bands=[], member_filter=none, group_columns=['as_of_date'], join_columns=[], member_column='account_id', ancestor_column='ancestor_id', descendant_column='descendant_id', weights=none, weight_name_column='weighting') -%}
    {{ return(adapter.dispatch('hierarchy_rollup', 'customer_health')(closure_relation, member_relation, weight_expression, measures, band_column, bands, member_filter, group_columns, join_columns, member_column, ancestor_column, descendant_column, weights, weight_name_column)) }}
{%- endmacro %}

{% macro default__hierarchy_rollup(closure_relation, member_relation, weight_expression, measures, band_column, bands, member_filter, group_columns, join_columns, member_column, ancestor_column, descendant_column, weights, weight_name_column) -%}
    {%- set double_type = type_double() -%}
    {%- set weight_expressions = (weights.values() | list) if weights else [weight_expression] -%}
    {%- set measure_names = [] -%}
    {%- for measure in measures -%}
        {%- do measure_names.append(measure['name'] if measure is mapping else measure) -%}
    {%- endfor -%}
select
    rollup_sums.node_id,
    {%- for column in group_columns %}
    rollup_sums.{{ column }},
    {%- endfor %}
    {%- if weights %}
    rollup_weightings.weight_name as {{ weight_name_column }},
    {%- endif %}
    rollup_sums.member_count,
    {{ _hierarchy_rollup_pick('total_weight', weights) }} as total_weight
    {%- for band in bands %},
    {{ _hierarchy_rollup_pick(band ~ '_weight', weights) }} / nullif({{ _hierarchy_rollup_pick('total_weight', weights) }}, 0) as {{ band }}_share
    {%- endfor %}
    {%- for name in measure_names %}
    {%- set measure_weight = _hierarchy_rollup_pick('measure_' ~ loop.index ~ '_weight', weights) %},
    {#- A weighted mean lies between the members' min and max; the clamp removes the last-bit
        overshoot of the division (e.g. 100.00000000000001 for an all-100 node). #}
    case when {{ measure_weight }} <> 0 then least(greatest(
        {{ _hierarchy_rollup_pick('measure_' ~ loop.index ~ '_weighted_sum', weights) }} / {{ measure_weight }},
        rollup_sums.measure_{{ loop.index }}_min), rollup_sums.measure_{{ loop.index }}_max) end as {{ name }}_mean,
    case when {{ _hierarchy_rollup_pick('total_weight', weights) }} > 0 then rollup_sums.measure_{{ loop.index }}_min end as {{ name }}_min,
    case when {{ _hierarchy_rollup_pick('total_weight', weights) }} > 0 then rollup_sums.measure_{{ loop.index }}_max end as {{ name }}_max
    {%- endfor %}
from (
    select
        cast(closure.{{ ancestor_column }} as {{ dbt.type_string() }}) as node_id,
        {%- for column in group_columns %}
        members.{{ column }},
        {%- endfor %}
        cast(count(*) as {{ dbt.type_bigint() }}) as member_count
        {%- for expression in weight_expressions %}
        {%- set weight = 'members.rollup_weight_' ~ loop.index %}
        {%- set suffix = loop.index %},
        {{ exact_sum(weight) }} as total_weight_{{ suffix }}
        {%- for band in bands %},
        {{ exact_sum("case when members." ~ band_column ~ " = '" ~ band ~ "' then " ~ weight ~ " else 0 end") }} as {{ band }}_weight_{{ suffix }}
        {%- endfor %}
        {%- for name in measure_names %}
        {%- set value = 'members.rollup_measure_' ~ loop.index %},
        {{ exact_sum('case when ' ~ value ~ ' is not null then ' ~ weight ~ ' * ' ~ value ~ ' end') }}
            as measure_{{ loop.index }}_weighted_sum_{{ suffix }},
        {{ exact_sum('case when ' ~ value ~ ' is not null then ' ~ weight ~ ' end') }} as measure_{{ loop.index }}_weight_{{ suffix }}
        {%- endfor %}
        {%- endfor %}
        {%- for name in measure_names %},
        min(members.rollup_measure_{{ loop.index }}) as measure_{{ loop.index }}_min,
        max(members.rollup_measure_{{ loop.index }}) as measure_{{ loop.index }}_max
        {%- endfor %}
    from (
        select
            member_rows.*,
            {%- for measure in measures %}
            cast({{ measure['expression'] if measure is mapping else 'member_rows.' ~ measure }} as {{ double_type }})
                as rollup_measure_{{ loop.index }},
            {%- endfor %}
            {%- for expression in weight_expressions %}
            cast(coalesce({{ expression }}, 0) as {{ double_type }}) as rollup_weight_{{ loop.index }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ member_relation }} as member_rows
        {%- if member_filter %}
        where {{ member_filter }}
        {%- endif %}
    ) as members
    inner join {{ closure_relation }} as closure
        on members.{{ member_column }} = closure.{{ descendant_column }}
        {%- for column in join_columns %}
        and members.{{ column }} = closure.{{ column }}
        {%- endfor %}
    group by
        closure.{{ ancestor_column }}
        {%- for column in group_columns %},
        members.{{ column }}
        {%- endfor %}
) as rollup_sums
{%- if weights %}
cross join (
    {%- for name in weights %}
    select cast('{{ name }}' as {{ dbt.type_string() }}) as weight_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
) as rollup_weightings
{%- endif %}
{%- endmacro %}


{#- A sum of the weighting on the row: with several weightings, the one named in the
    row's weighting column (sums are suffixed _1, _2, ... in the order of `weights`). -#}
{% macro _hierarchy_rollup_pick(prefix, weights) -%}
    {%- if weights -%}
        case rollup_weightings.weight_name
        {%- for name in weights %} when '{{ name }}' then rollup_sums.{{ prefix }}_{{ loop.index }}{% endfor %} end
    {%- else -%}
        rollup_sums.{{ prefix }}_1
    {%- endif -%}
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    Helpers of the health roll-up (fct_hierarchy_health_daily). -#}

{#- The roll-up methods of the marts contract and each one's member weight, as SQL over
    int_hierarchy_health_members: account_count weighs 1, contract_value the ARR (USD). -#}
{% macro hierarchy_rollup_weights() -%}
    {{ return({'account_count': '1', 'contract_value': 'arr'}) }}
{%- endmacro %}

{% macro hierarchy_rollup_methods() -%}
    {{ return(hierarchy_rollup_weights().keys() | list) }}
{%- endmacro %}

{#- A query with one row per roll-up method (column rollup_method). -#}
{% macro hierarchy_rollup_methods_query() -%}
    {%- for method in hierarchy_rollup_methods() %}
    select cast('{{ method }}' as {{ dbt.type_string() }}) as rollup_method
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A 0-100 score as whole-number text ('72'), as in the reasons of the account mart. -#}
{% macro hierarchy_score_text(expression) -%}
    cast(cast(round({{ expression }}, 0) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    top_n_per_group: the n first rows of every group of `relation`, ordered by the
    `order_by` expressions descending (the last one should make the order total), as
    one wide row per group: the group columns, then <column>_1 .. <column>_n for each
    of `columns` (null where the group has fewer rows). One row per group instead of n
    rows, so that callers build "first; second; third" texts without an ordered
    string aggregation. The default ranks with row_number(); DuckDB's max_by(..., n)
    does the same without sorting every group, several times faster on tens of
    millions of rows. -#}
{% macro top_n_per_group(relation, group_columns, order_by, columns, n=3) -%}
    {{ return(adapter.dispatch('top_n_per_group', 'customer_health')(relation, group_columns, order_by, columns, n)) }}
{%- endmacro %}

{#- The select list of both variants: the group columns, then <column>_<rank> for every
    rank and column, its value `value_pattern` with {rank} and {column} filled in. -#}
{% macro _top_n_select_list(group_columns, columns, n, value_pattern) -%}
    {%- for column in group_columns %}
    {{ column }},
    {%- endfor %}
    {%- for rank in range(1, n + 1) %}
    {%- set outer_loop = loop %}
    {%- for column in columns %}
    {{ value_pattern | replace('{rank}', rank | string) | replace('{column}', column) }} as {{ column }}_{{ rank }}
    {{- ',' if not (outer_loop.last and loop.last) }}
    {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{% macro default__top_n_per_group(relation, group_columns, order_by, columns, n) -%}
select
    {{- _top_n_select_list(group_columns, columns, n, 'max(case when top_rank = {rank} then {column} end)') }}
from (
    select
        ranked_rows.*,
        row_number() over (
            partition by {{ group_columns | join(', ') }}
            order by {% for expression in order_by %}{{ expression }} desc{{ ', ' if not loop.last }}{% endfor %}
        ) as top_rank
    from {{ relation }} as ranked_rows
) as ranked
where top_rank <= {{ n }}
group by {{ group_columns | join(', ') }}
{%- endmacro %}

{% macro duckdb__top_n_per_group(relation, group_columns, order_by, columns, n) -%}
select
    {{- _top_n_select_list(group_columns, columns, n, 'top_rows[{rank}].{column}') }}
from (
    select
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        max_by(
            { {%- for column in columns %}'{{ column }}': {{ column }}{{ ', ' if not loop.last }}{% endfor -%} },
            { {%- for expression in order_by %}'key_{{ loop.index }}': {{ expression }}{{ ', ' if not loop.last }}{% endfor -%} },
            {{ n }}
        ) as top_rows
    from {{ relation }}
    group by {{ group_columns | join(', ') }}
) as grouped
{%- endmacro %}

{#- " fell from 72 to 41" / " rose from" / " held at 72" / " joined at 64" /
    " no longer counts (was 35)": a member's own score on the two days compared. -#}
{% macro hierarchy_member_change_text(score_now, score_before) -%}
    case
        when {{ score_before }} is null
            then {{ dbt.concat(["' joined at '", hierarchy_score_text(score_now)]) }}
        when {{ score_now }} is null
            then {{ dbt.concat(["' no longer counts (was '", hierarchy_score_text(score_before), "')'"]) }}
        when round({{ score_now }}, 0) < round({{ score_before }}, 0)
            then {{ dbt.concat(["' fell from '", hierarchy_score_text(score_before), "' to '", hierarchy_score_text(score_now)]) }}
        when round({{ score_now }}, 0) > round({{ score_before }}, 0)
            then {{ dbt.concat(["' rose from '", hierarchy_score_text(score_before), "' to '", hierarchy_score_text(score_now)]) }}
        else {{ dbt.concat(["' held at '", hierarchy_score_text(score_now)]) }}
    end
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    Band of a roll-up node by the seed hierarchy_band_rules (fct_hierarchy_health_daily,
    fct_hierarchy_product_health_daily). A rule is one or more rows (conditions) with the
    same priority; the first rule whose conditions all hold gives the band.

    hierarchy_band_rule_slots: the rules pivoted into one row of `max_band_rules` slots
    (slot k = the k-th rule by priority): its band and its threshold per share and
    comparison (null: no condition), so that a node's band is one CASE per node row,
    without joining every node to every rule. Returns a complete query. -#}
{% macro hierarchy_band_comparisons() -%}
    {{ return({'>': 'above', '>=': 'at_least', '<': 'below', '<=': 'at_most'}) }}
{%- endmacro %}

{% macro hierarchy_band_shares() -%}
    {{ return(['good_share', 'average_share', 'poor_share']) }}
{%- endmacro %}

{% macro hierarchy_band_rule_slots(band_rules_relation) -%}
    {%- set max_band_rules = var('hierarchy_max_band_rules', 8) -%}
select
    {%- for slot in range(1, max_band_rules + 1) %}
    max(case when rule_slot = {{ slot }} then health_band end) as rule_{{ slot }}_band,
    max(case when rule_slot = {{ slot }} then 1 else 0 end) as rule_{{ slot }}_exists
    {%- for share in hierarchy_band_shares() %}
    {%- for comparison, suffix in hierarchy_band_comparisons().items() %},
    max(case when rule_slot = {{ slot }} and share_name = '{{ share }}' and comparison = '{{ comparison }}'
        then cast(threshold as {{ type_double() }}) end) as rule_{{ slot }}_{{ share }}_{{ suffix }}
    {%- endfor %}
    {%- endfor %}
    {{- ',' if not loop.last }}
    {%- endfor %}
from (
    select
        band_rules.*,
        dense_rank() over (order by band_rules.rule_priority) as rule_slot
    from {{ band_rules_relation }} as band_rules
) as ranked_rules
{%- endmacro %}

{#- hierarchy_band: the band of the node row `rollup_alias` (columns total_weight and the
    three shares) by the slots row `slots_alias` (hierarchy_band_rule_slots): the first
    rule whose conditions all hold, shares rounded to 9 decimals so that float noise never
    flips a band at a boundary; `insufficient_data` without members or weight. -#}
{% macro hierarchy_band(rollup_alias, slots_alias) -%}
    {%- set max_band_rules = var('hierarchy_max_band_rules', 8) -%}
    case
        when not {{ rollup_alias }}.total_weight > 0 then 'insufficient_data'
        {%- for slot in range(1, max_band_rules + 1) %}
        when {{ slots_alias }}.rule_{{ slot }}_exists = 1
            {%- for share in hierarchy_band_shares() %}
            {%- for comparison, suffix in hierarchy_band_comparisons().items() %}
            and ({{ slots_alias }}.rule_{{ slot }}_{{ share }}_{{ suffix }} is null
                or round({{ rollup_alias }}.{{ share }}, 9) {{ comparison }} {{ slots_alias }}.rule_{{ slot }}_{{ share }}_{{ suffix }})
            {%- endfor %}
            {%- endfor %}
            then {{ slots_alias }}.rule_{{ slot }}_band
        {%- endfor %}
    end
{%- endmacro %}
