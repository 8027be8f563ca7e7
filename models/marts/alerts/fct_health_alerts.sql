-- One row per alert: an episode of consecutive scored days on which an alert rule held
-- for an account (public mart; see the marts contract). Rebuilt on every run from the
-- daily alert conditions, so a window recalculation is reflected in every episode.
with

conditions as (
    select * from {{ ref('int_alert_conditions_daily') }}
),

scored_days as (
    select distinct as_of_date from {{ ref('fct_account_health_daily') }}
),

-- Days that were never scored (no run covered them) do not break an episode: episodes
-- are runs of consecutive *scored* days, numbered here.
calendar as (
    select
        as_of_date,
        row_number() over (order by as_of_date) as day_number
    from scored_days
),

numbered_conditions as (
    select
        conditions.*,
        calendar.day_number,
        calendar.day_number - row_number() over (
            partition by conditions.account_id, conditions.alert_type
            order by conditions.as_of_date
        ) as episode_number
    from conditions
    inner join calendar
        on conditions.as_of_date = calendar.as_of_date
),

episodes as (
    select
        account_id,
        alert_type,
        episode_number,
        min(as_of_date) as opened_on,
        max(as_of_date) as last_condition_on,
        max(day_number) as last_day_number,
        count(*) as condition_days
    from numbered_conditions
    group by account_id, alert_type, episode_number
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'episodes.account_id', "'|'", 'episodes.alert_type', "'|'",
            'cast(episodes.opened_on as ' ~ dbt.type_string() ~ ')',
        ])) }} as alert_id,
        episodes.account_id,
        episodes.alert_type,
        opening.severity,
        episodes.opened_on,
        -- The first scored day on which the rule no longer held (the account may also have
        -- stopped being scored); null while it still holds on the latest scored day.
        resolution.as_of_date as resolved_on,
        resolution.as_of_date is null as is_open,
        opening.details,
        episodes.last_condition_on,
        cast(episodes.condition_days as {{ dbt.type_int() }}) as condition_days,
        opening.metric_value as opening_metric_value,
        opening.threshold,
        opening.health_profile_id,
        opening.health_score as opening_health_score,
        opening.health_band as opening_health_band,
        opening.definition_version
    from episodes
    inner join numbered_conditions as opening
        on episodes.account_id = opening.account_id
        and episodes.alert_type = opening.alert_type
        and episodes.opened_on = opening.as_of_date
    left join calendar as resolution
        on resolution.day_number = episodes.last_day_number + 1
)

select * from final
