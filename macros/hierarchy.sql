{#- Enterprise hierarchies: parent/child links -> closure rows -> roll-ups over subtrees.
    Every public macro is a thin dispatch wrapper (namespace customer_health) around a
    default__ built on dbt's cross-database macros only, so that Spark (or any engine)
    needs a variant only where the default cannot work. Documented in
    macros/_hierarchy__macros.yml.

    Conventions shared by the macros:
    - a links relation has one row per node (per partition): the node's id and its
      parent's id (null for a top-level node). A parent id that is not a node of the
      same partition counts as "no parent".
    - `partition_columns` lets one relation hold several independent hierarchies (e.g.
      one per hierarchy version): nodes only link within equal partition values.
    - ids are text and must not contain '>' (the path separator). -#}


{#- ` and left.col = right.col` for every partition column. -#}
{% macro _hierarchy_partition_join(left_alias, right_alias, partition_columns) -%}
    {%- for column in partition_columns %} and {{ left_alias }}.{{ column }} = {{ right_alias }}.{{ column }}{% endfor -%}
{%- endmacro %}

{#- `alias.col, ` for every partition column (a select-list prefix). -#}
{% macro _hierarchy_partition_select(alias, partition_columns) -%}
    {%- for column in partition_columns %}{{ alias }}.{{ column }}, {% endfor -%}
{%- endmacro %}

{#- True when `node_column` already appears in the '>'-joined `path_column`. -#}
{% macro _hierarchy_path_contains(path_column, node_column) -%}
    ({{ dbt.position(dbt.concat(["'>'", node_column, "'>'"]), dbt.concat(["'>'", path_column, "'>'"])) }} > 0)
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    hierarchy_closure: the closure table of a forest, by a recursive CTE.
    One row per (ancestor, descendant) pair, the node itself included (depth 0):
    ancestor_id, descendant_id, depth (edges between them), path (the ids from the
    ancestor down to the descendant joined by '>'; on the row whose ancestor is the
    root it is the descendant's full hierarchy path from the root), root_id (the
    descendant's top-level ancestor), after the partition columns.
    On input with cycles it still terminates: a walk stops before a node already on its
    path; nodes on or below a cycle then have no root (root_id null).
    Returns a complete query (it starts with `with recursive`): use it as a whole model
    or as a subquery. -#}
{% macro hierarchy_closure(links_relation, node_column='account_id', parent_column='parent_account_id', partition_columns=[]) -%}
    {{ return(adapter.dispatch('hierarchy_closure', 'customer_health')(links_relation, node_column, parent_column, partition_columns)) }}
{%- endmacro %}

{% macro default__hierarchy_closure(links_relation, node_column, parent_column, partition_columns) -%}
    {%- set text_type = dbt.type_string() -%}
with recursive

closure_nodes as (
    select
        {{ _hierarchy_partition_select('links', partition_columns) }}
        cast(links.{{ node_column }} as {{ text_type }}) as node_id,
        cast(links.{{ parent_column }} as {{ text_type }}) as parent_id
    from {{ links_relation }} as links
),

-- Links to a parent that is not a node of the partition are no links.
closure_edges as (
    select
        {{ _hierarchy_partition_select('child', partition_columns) }}
        child.node_id as child_id,
        child.parent_id
    from closure_nodes as child
    inner join closure_nodes as parent
        on child.parent_id = parent.node_id
        {{- _hierarchy_partition_join('child', 'parent', partition_columns) }}
),

-- Top-down from every node; UNION ALL (DuckDB 2.0), and the path check keeps a cycle
-- in the input from looping.
closure_walk as (
    select
        {{ _hierarchy_partition_select('closure_nodes', partition_columns) }}
        closure_nodes.node_id as ancestor_id,
        closure_nodes.node_id as descendant_id,
        0 as depth,
        closure_nodes.node_id as path
    from closure_nodes

    union all

    select
        {{ _hierarchy_partition_select('walk', partition_columns) }}
        walk.ancestor_id,
        edges.child_id as descendant_id,
        walk.depth + 1 as depth,
        cast({{ dbt.concat(['walk.path', "'>'", 'edges.child_id']) }} as {{ text_type }}) as path
    from closure_walk as walk
    inner join closure_edges as edges
        on walk.descendant_id = edges.parent_id
        {{- _hierarchy_partition_join('walk', 'edges', partition_columns) }}
    where not {{ _hierarchy_path_contains('walk.path', 'edges.child_id') }}
),

closure_roots as (
    select
        {{ _hierarchy_partition_select('closure_nodes', partition_columns) }}
        closure_nodes.node_id as root_id
    from closure_nodes
    left join closure_edges
        on closure_nodes.node_id = closure_edges.child_id
        {{- _hierarchy_partition_join('closure_nodes', 'closure_edges', partition_columns) }}
    where closure_edges.child_id is null
),

closure_descendant_roots as (
    select
        {{ _hierarchy_partition_select('walk', partition_columns) }}
        walk.descendant_id,
        closure_roots.root_id
    from closure_walk as walk
    inner join closure_roots
        on walk.ancestor_id = closure_roots.root_id
        {{- _hierarchy_partition_join('walk', 'closure_roots', partition_columns) }}
)

select
    {{ _hierarchy_partition_select('walk', partition_columns) }}
    walk.ancestor_id,
    walk.descendant_id,
    cast(walk.depth as {{ dbt.type_int() }}) as depth,
    walk.path,
    descendant_roots.root_id
from closure_walk as walk
left join closure_descendant_roots as descendant_roots
    on walk.descendant_id = descendant_roots.descendant_id
    {{- _hierarchy_partition_join('walk', 'descendant_roots', partition_columns) }}
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    hierarchy_closure_unrolled: the same rows as hierarchy_closure, by `max_depth`
    self-joins instead of recursion, for engines whose recursion is weak or limited.
    Each node walks up at most max_depth parent links (var hierarchy_max_depth,
    default 12), stopping before a node already on its chain. Pairs further apart than
    max_depth are missing and their descendants get root_id null: a not_null test on
    root_id of an acyclic hierarchy detects a hierarchy deeper than max_depth. -#}
{% macro hierarchy_closure_unrolled(links_relation, node_column='account_id', parent_column='parent_account_id', partition_columns=[], max_depth=none) -%}
    {%- set depth_limit = (max_depth if max_depth is not none else var('hierarchy_max_depth', 12)) | int -%}
    {{ return(adapter.dispatch('hierarchy_closure_unrolled', 'customer_health')(links_relation, node_column, parent_column, partition_columns, depth_limit)) }}
{%- endmacro %}

{% macro default__hierarchy_closure_unrolled(links_relation, node_column, parent_column, partition_columns, max_depth) -%}
    {%- set text_type = dbt.type_string() -%}
with

closure_nodes as (
    select
        {{ _hierarchy_partition_select('links', partition_columns) }}
        cast(links.{{ node_column }} as {{ text_type }}) as node_id,
        cast(links.{{ parent_column }} as {{ text_type }}) as parent_id
    from {{ links_relation }} as links
),

-- has_parent: the node links to a parent that is a node of the partition.
closure_linked_nodes as (
    select
        {{ _hierarchy_partition_select('child', partition_columns) }}
        child.node_id,
        parent.node_id as parent_id,
        parent.node_id is not null as has_parent
    from closure_nodes as child
    left join closure_nodes as parent
        on child.parent_id = parent.node_id
        {{- _hierarchy_partition_join('child', 'parent', partition_columns) }}
),

-- One row per node with its chain of ancestors: level_k is k links above the node.
closure_chains as (
    select
        {{ _hierarchy_partition_select('level_0', partition_columns) }}
        {%- for level in range(max_depth + 1) %}
        level_{{ level }}.node_id as node_{{ level }},
        level_{{ level }}.has_parent as has_parent_{{ level }}{{ ',' if not loop.last }}
        {%- endfor %}
    from closure_linked_nodes as level_0
    {%- for level in range(1, max_depth + 1) %}
    left join closure_linked_nodes as level_{{ level }}
        on level_{{ level - 1 }}.parent_id = level_{{ level }}.node_id
        {{- _hierarchy_partition_join('level_0', 'level_' ~ level, partition_columns) }}
        and level_{{ level }}.node_id not in (
            {%- for previous in range(level) %}level_{{ previous }}.node_id{{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- endfor %}
),

-- The root is the one node on the chain without a parent (none on or below a cycle,
-- none when the chain is longer than max_depth).
closure_rooted_chains as (
    select
        closure_chains.*,
        coalesce(
            {%- for level in range(max_depth + 1) %}
            case when not has_parent_{{ level }} then node_{{ level }} end{{ ',' if not loop.last }}
            {%- endfor %}
        ) as root_id
    from closure_chains
)

{% for depth in range(max_depth + 1) -%}
select
    {{ _hierarchy_partition_select('chains', partition_columns) }}
    chains.node_{{ depth }} as ancestor_id,
    chains.node_0 as descendant_id,
    cast({{ depth }} as {{ dbt.type_int() }}) as depth,
    {% if depth == 0 -%}
    chains.node_0 as path,
    {%- else -%}
    cast({{ dbt.concat(_hierarchy_path_parts(range(depth, -1, -1), 'chains.node_')) }} as {{ text_type }}) as path,
    {%- endif %}
    chains.root_id
from closure_rooted_chains as chains
where chains.node_{{ depth }} is not null
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
{%- endmacro %}

{#- ['chains.node_3', "'>'", 'chains.node_2', ...] for the concat of a chain path. -#}
{% macro _hierarchy_path_parts(levels, prefix) -%}
    {%- set parts = [] -%}
    {%- for level in levels -%}
        {%- do parts.append(prefix ~ level) -%}
        {%- if not loop.last %}{% do parts.append("'>'") %}{% endif -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    hierarchy_closure_by_method: hierarchy_closure or hierarchy_closure_unrolled, as
    chosen by `method` or else the var hierarchy_closure_method ('recursive' by
    default; 'unrolled' for engines with weak recursion). The models call this one. -#}
{% macro hierarchy_closure_by_method(links_relation, node_column='account_id', parent_column='parent_account_id', partition_columns=[], method=none) -%}
    {%- set chosen = method or var('hierarchy_closure_method', 'recursive') -%}
    {%- if chosen == 'recursive' -%}
        {{ return(hierarchy_closure(links_relation, node_column, parent_column, partition_columns)) }}
    {%- elif chosen == 'unrolled' -%}
        {{ return(hierarchy_closure_unrolled(links_relation, node_column, parent_column, partition_columns)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("hierarchy_closure_method must be 'recursive' or 'unrolled', got: " ~ (chosen | tojson)) }}
    {%- endif -%}
{%- endmacro %}


{#- ------------------------------------------------------------------------------
    hierarchy_links: the parent link each node keeps, and why a recorded link is
    ignored. One row per node of `nodes_relation` (one row per node and partition in):
    node_id, recorded_parent_id (as given), parent_id (the link used: null for a
    top-level node and wherever the recorded link is ignored), link_issue:
    - 'self_parent': the node names itself as parent;
    - 'missing_parent': the parent is not a node of the partition (deleted, set aside,
      never loaded);
    - 'cycle': the node is on a cycle of parent links (length >= 2). Every node on the
      cycle loses its link and becomes top-level; nodes below the cycle keep theirs.
      cycle_path then lists the cycle from the node round to itself, each id the
      parent of the next ('a>c>b>a': a is c's parent, c is b's, b is a's).
    Cycles are found on the closure of the remaining links: a node is on a cycle when
    its parent is one of its own descendants. Terminates on any input. -#}
{% macro hierarchy_links(nodes_relation, node_column='account_id', parent_column='parent_account_id', partition_columns=[]) -%}
    {{ return(adapter.dispatch('hierarchy_links', 'customer_health')(nodes_relation, node_column, parent_column, partition_columns)) }}
{%- endmacro %}

{% macro default__hierarchy_links(nodes_relation, node_column, parent_column, partition_columns) -%}
    {%- set text_type = dbt.type_string() -%}
with

link_nodes as (
    select
        {{ _hierarchy_partition_select('nodes', partition_columns) }}
        cast(nodes.{{ node_column }} as {{ text_type }}) as node_id,
        cast(nodes.{{ parent_column }} as {{ text_type }}) as recorded_parent_id
    from {{ nodes_relation }} as nodes
),

link_candidates as (
    select
        {{ _hierarchy_partition_select('nodes', partition_columns) }}
        nodes.node_id,
        nodes.recorded_parent_id,
        case when nodes.recorded_parent_id <> nodes.node_id then parents.node_id end as candidate_parent_id,
        case
            when nodes.recorded_parent_id = nodes.node_id then 'self_parent'
            when nodes.recorded_parent_id is not null and parents.node_id is null then 'missing_parent'
        end as parent_issue
    from link_nodes as nodes
    left join link_nodes as parents
        on nodes.recorded_parent_id = parents.node_id
        {{- _hierarchy_partition_join('nodes', 'parents', partition_columns) }}
),

link_closure as (
    {{ hierarchy_closure_by_method('link_candidates', 'node_id', 'candidate_parent_id', partition_columns) | indent(4) }}
),

link_cycle_nodes as (
    select
        {{ _hierarchy_partition_select('candidates', partition_columns) }}
        candidates.node_id,
        {{ dbt.concat(['closure.path', "'>'", 'candidates.node_id']) }} as cycle_path
    from link_candidates as candidates
    inner join link_closure as closure
        on candidates.node_id = closure.ancestor_id
        and candidates.candidate_parent_id = closure.descendant_id
        {{- _hierarchy_partition_join('candidates', 'closure', partition_columns) }}
)

select
    {{ _hierarchy_partition_select('candidates', partition_columns) }}
    candidates.node_id,
    candidates.recorded_parent_id,
    case when cycle_nodes.node_id is null then candidates.candidate_parent_id end as parent_id,
    cast(coalesce(
        candidates.parent_issue,
        case when cycle_nodes.node_id is not null then 'cycle' end
    ) as {{ text_type }}) as link_issue,
    cast(cycle_nodes.cycle_path as {{ text_type }}) as cycle_path
from link_candidates as candidates
left join link_cycle_nodes as cycle_nodes
    on candidates.node_id = cycle_nodes.node_id
    {{- _hierarchy_partition_join('candidates', 'cycle_nodes', partition_columns) }}
{%- endmacro %}


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

{% macro default__top_n_per_group(relation, group_columns, order_by, columns, n) -%}
select
    {%- for column in group_columns %}
    {{ column }},
    {%- endfor %}
    {%- for rank in range(1, n + 1) %}
    {%- set outer_loop = loop %}
    {%- for column in columns %}
    max(case when top_rank = {{ rank }} then {{ column }} end) as {{ column }}_{{ rank }}
    {{- ',' if not (outer_loop.last and loop.last) }}
    {%- endfor %}
    {%- endfor %}
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
    {%- for column in group_columns %}
    {{ column }},
    {%- endfor %}
    {%- for rank in range(1, n + 1) %}
    {%- set outer_loop = loop %}
    {%- for column in columns %}
    top_rows[{{ rank }}].{{ column }} as {{ column }}_{{ rank }}
    {{- ',' if not (outer_loop.last and loop.last) }}
    {%- endfor %}
    {%- endfor %}
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
