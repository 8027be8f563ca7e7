{#- Changes (+1 / -1) of "distinct members seen in the last `window_days` days" for each
    group, from a relation with one row per group, member and active day. A member
    active on day a counts on days a .. a + window_days - 1; consecutive active days
    make one interval [a, min(a + window_days, next active day)). A running sum of
    `delta` over the days gives the distinct count on each day; `flagged_delta` counts
    only members whose `flag_column` is true (e.g. licensed users).
    Output columns: the group columns, change_date, delta, flagged_delta. -#}
{% macro sliding_window_deltas(relation, group_columns, member_column, day_column, window_days, flag_column=none) -%}
    {{ return(adapter.dispatch('sliding_window_deltas', 'customer_health')(relation, group_columns, member_column, day_column, window_days, flag_column)) }}
{%- endmacro %}

{% macro default__sliding_window_deltas(relation, group_columns, member_column, day_column, window_days, flag_column) -%}
    {%- set groups = group_columns | join(', ') -%}
    {%- set flag = ('case when ' ~ flag_column ~ ' then 1 else 0 end') if flag_column else '0' -%}
    {%- set window_end = add_days('interval_start', window_days) -%}
    select
        {{ groups }},
        change_date,
        sum(delta) as delta,
        sum(flagged_delta) as flagged_delta
    from (
        select
            {{ groups }},
            case when signs.sign = 1 then interval_start else interval_end end as change_date,
            signs.sign as delta,
            signs.sign * flagged as flagged_delta
        from (
            select
                {{ groups }},
                interval_start,
                flagged,
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
                    lead(cast({{ day_column }} as date)) over (
                        partition by {{ groups }}, {{ member_column }} order by {{ day_column }}
                    ) as next_active_date
                from {{ relation }}
            ) as active_days
        ) as intervals
        cross join (select 1 as sign union all select -1 as sign) as signs
    ) as changes
    group by {{ groups }}, change_date
{%- endmacro %}
