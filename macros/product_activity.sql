{#- The rows of int_product_module_activity_daily (one per account, module, user and active
    day) whose activity_date passes `day_filter` (a condition on module_activity.activity_date),
    each with seat_end_date: the day its user's seat is freed (deactivated_at), null while the
    user holds it. What a module's user counts read (int_product_usage_daily,
    int_account_module_usage): a licensed user counts as licensed until that day. -#}
{% macro module_activity_with_seat_end(day_filter) -%}
select
    module_activity.account_id,
    module_activity.product_id,
    module_activity.user_id,
    module_activity.activity_date,
    module_activity.is_licensed,
    seat_holders.seat_end_date
from {{ ref('int_product_module_activity_daily') }} as module_activity
left join (
    select
        user_id,
        cast(deactivated_at as date) as seat_end_date
    from {{ ref('int_product_users_linked') }}
) as seat_holders
    on module_activity.user_id = seat_holders.user_id
where {{ day_filter }}
{%- endmacro %}
