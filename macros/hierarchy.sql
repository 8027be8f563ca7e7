{#- Enterprise hierarchies: parent/child links -> closure rows -> roll-ups over subtrees.
    Part 1: links and closure rows (part 2, roll-ups over them: macros/hierarchy_rollup.sql).
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
