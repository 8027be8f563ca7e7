{#- Changes (+1 / -1) of "distinct members seen in the last `window_days` days" for each
    group, from a relation with one row per group, member and active day. A member
    active on day a counts on days a .. a + window_days - 1; consecutive active days
    make one interval [a, min(a + window_days, next active day)). A running sum of
    `delta` over the days gives the distinct count on each day; `flagged_delta` counts
    only members whose `flag_column` is true (e.g. licensed users), and, when
    `flag_end_column` is given, only before that date (e.g. the day a user's seat is
    freed: a deactivated user stops counting as a licensed user from that day on).
    Output columns: the group columns, change_date, delta, flagged_delta. -#}
{% macro sliding_window_deltas(relation, group_columns, member_column, day_column, window_days, flag_column=none, flag_end_column=none) -%}
    {{ return(adapter.dispatch('sliding_window_deltas', 'customer_health')(relation, group_columns, member_column, day_column, window_days, flag_column, flag_end_column)) }}
{%- endmacro %}

{% macro default__sliding_window_deltas(relation, group_columns, member_column, day_column, window_days, flag_column, flag_end_column=none) -%}
    {%- set groups = group_columns | join(', ') -%}
    {%- set flag = ('case when ' ~ flag_column ~ ' then 1 else 0 end') if flag_column else '0' -%}
    {%- set flag_end = ('cast(' ~ flag_end_column ~ ' as date)') if flag_end_column else 'cast(null as date)' -%}
    {%- set window_end = add_days('interval_start', window_days) -%}
    select
        {{ groups }},
        change_date,
        sum(delta) as delta,
        sum(flagged_delta) as flagged_delta
    from (
        -- Change kinds: 1 the interval's start, 2 its end, 3 the flagged member's earlier
        -- end (only when its flag ends inside the interval).
        select
            {{ groups }},
            case
                when kinds.change_kind = 1 then interval_start
                when kinds.change_kind = 2 then interval_end
                else flagged_end
            end as change_date,
            case kinds.change_kind when 1 then 1 when 2 then -1 else 0 end as delta,
            case
                when kinds.change_kind = 1 then flagged
                when kinds.change_kind = 2 and flagged_end = interval_end then -flagged
                when kinds.change_kind = 3 then -flagged
                else 0
            end as flagged_delta
        from (
            select
                {{ groups }},
                interval_start,
                interval_end,
                case when flag_end is null or interval_start < flag_end then flagged else 0 end as flagged,
                case when flag_end is not null and flag_end < interval_end then flag_end else interval_end end
                    as flagged_end
            from (
                select
                    {{ groups }},
                    interval_start,
                    flagged,
                    flag_end,
                    case
                        when next_active_date is not null and next_active_date < {{ window_end }}
                            then next_active_date
                        else {{ window_end }}
                    end as interval_end
                from (
                    select
                        {{ groups }},
                        cast({{ day_column }} as date) as interval_start,
                        {{ flag }} as flagged,
                        {{ flag_end }} as flag_end,
                        lead(cast({{ day_column }} as date)) over (
                            partition by {{ groups }}, {{ member_column }} order by {{ day_column }}
                        ) as next_active_date
                    from {{ relation }}
                ) as active_days
            ) as raw_intervals
        ) as intervals
        cross join (
            select 1 as change_kind
            union all
            select 2 as change_kind
            union all
            select 3 as change_kind
        ) as kinds
        where kinds.change_kind <> 3
            or (intervals.flagged = 1 and intervals.flagged_end < intervals.interval_end)
    ) as changes
    group by {{ groups }}, change_date
{%- endmacro %}

{#- The same distinct counts for a few days, directly: for each group and each day of
    `days_relation` (column as_of_date), the distinct members seen in the `window_days`
    days ending on the day (`members`), those of them whose `flag_column` is true and whose
    `flag_end_column` is after the day (`flagged_members`, the running sum of
    flagged_delta), and the distinct members of the `window_days` days before those
    (`prior_members`, the count of the day `window_days` earlier). A range join reads
    2 x window_days days of `relation` per day: cheaper than the running sums, which need
    every day of the span, when a run writes one or two days (recompute_scoring_span false,
    docs/decisions/0403). Groups without a member in the 2 x window_days days have no row.
    The counts are typed as sums of counts, like the running sums (DuckDB: hugeint, Spark:
    bigint), so that either way writes the same column types to an incremental table. -#}
{% macro trailing_window_counts(relation, group_columns, member_column, day_column, window_days, days_relation, flag_column=none, flag_end_column=none) -%}
    {%- set day = 'members_seen.' ~ day_column -%}
    {%- set member = 'members_seen.' ~ member_column -%}
    {%- set in_window = day ~ ' > ' ~ add_days('days.as_of_date', -window_days) -%}
    {%- set flagged -%}
        {%- if flag_column -%}
        {{ flagged_on_day('members_seen.' ~ flag_column, ('members_seen.' ~ flag_end_column) if flag_end_column else none, 'days.as_of_date') }}
        {%- else -%}
        1 = 0
        {%- endif -%}
    {%- endset -%}
    select
        {% for column in group_columns -%}
        {{ column }},
        {% endfor -%}
        as_of_date,
        sum(members) as members,
        sum(flagged_members) as flagged_members,
        sum(prior_members) as prior_members
    from (
        select
            {% for column in group_columns -%}
            members_seen.{{ column }},
            {% endfor -%}
            days.as_of_date,
            count(distinct case when {{ in_window }} then {{ member }} end) as members,
            count(distinct case when {{ in_window }} and {{ flagged }} then {{ member }} end) as flagged_members,
            count(distinct case when not ({{ in_window }}) then {{ member }} end) as prior_members
        from {{ relation }} as members_seen
        inner join {{ days_relation }} as days
            on {{ day }} > {{ add_days('days.as_of_date', -2 * window_days) }}
            and {{ day }} <= days.as_of_date
        group by
            {% for column in group_columns -%}
            members_seen.{{ column }},
            {% endfor -%}
            days.as_of_date
    ) as counted
    group by
        {% for column in group_columns -%}
        {{ column }},
        {% endfor -%}
        as_of_date
{%- endmacro %}

{#- The counts of sliding_window_deltas on every day: one row per subject (`subjects`, a
    relation with the `group_columns`) and day of `days` (a day_spine), each count the
    running sum of its delta column up to the day. `counts`: pairs of (delta column of
    `deltas`, name of the count), e.g. [('delta', 'active_users_30d')]. -#}
{% macro running_counts(subjects, days, deltas, group_columns, counts) -%}
    select
        {%- for column in group_columns %}
        {{ subjects }}.{{ column }},
        {%- endfor %}
        {{ days }}.as_of_date,
        {%- for delta_column, name in counts %}
        sum(coalesce({{ deltas }}.{{ delta_column }}, 0)) over (
            partition by {% for column in group_columns %}{{ subjects }}.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by {{ days }}.as_of_date
            rows between unbounded preceding and current row
        ) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ subjects }}
    cross join {{ days }}
    left join {{ deltas }}
        on
        {%- for column in group_columns %} {{ subjects }}.{{ column }} = {{ deltas }}.{{ column }}
        and
        {%- endfor %} {{ days }}.as_of_date = {{ deltas }}.change_date
{%- endmacro %}

{#- True for a member whose `flag` holds on `day`: the flag is set and its end (when given,
    e.g. the day a user's seat is freed) is after the day. The one definition of a licensed
    user holding a seat, for the counts above and int_account_module_usage. -#}
{% macro flagged_on_day(flag, flag_end, day) -%}
    {{ flag }}
    {%- if flag_end %} and ({{ flag_end }} is null or {{ flag_end }} > {{ day }}){% endif -%}
{%- endmacro %}
