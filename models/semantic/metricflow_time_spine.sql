-- One row per calendar day from 2015-01-01 to 2035-12-31: MetricFlow's day-grain time
-- spine (configured in _semantic__models.yml). A fixed range, so that the model does
-- not depend on the build's window vars and metric_time covers every scored day.
{{ config(materialized='table', schema='semantic') }}

with

days as (
    {{ day_spine(modules.datetime.date(2015, 1, 1), modules.datetime.date(2035, 12, 31)) }}
),

final as (
    select cast(as_of_date as date) as date_day
    from days
)

select * from final
