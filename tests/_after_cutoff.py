"""Rewrite everything a warehouse's raw tables say about the time after a cutoff day.

For point-in-time tests: what is known at the end of the cutoff day stays exactly as it
was, and every fact dated after it is changed, removed or invented, so that anything
computed "as of" a day up to the cutoff (scores, features, training labels) must come out
the same while later days change. Facts after the cutoff, per raw table:

- billing: subscriptions starting after the cutoff are gone (renewals, new business)
  with their items and invoices; subscriptions ending after it run on; items added after
  it are gone; every customer without a subscription running the day after the cutoff
  signs a new monthly one that day (a late renewal for recent churns); invoices created
  after it are open and unpaid, and payments after it never happened;
- crm: meetings after it change type (calls become EBRs and the others calls) and half
  of them vanish; goals due after it are achieved and validated, achievements after it
  never happened (record attributes without a date, such as a contact's persona, are
  the record's current state, not facts of a day: they stay);
- product: half the users lose their events after it, the others' events move to
  another module; users created after it are gone, deactivations after it never happened;
- support: tickets created after it are urgent, badly rated and never solved; solutions
  after it never happened;
- survey: responses after it have their score mirrored (10 - score).
"""

from __future__ import annotations

import datetime as dt

import duckdb


def change_everything_after(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> None:
    after = dt.datetime.combine(
        cutoff + dt.timedelta(days=1), dt.time()
    )  # the first moment after the cutoff day
    statements = [
        # billing
        "delete from billing.subscription_item where subscription_id in "
        "(select id from billing.subscription where start_date >= $after) or created >= $after",
        "update billing.invoice set status = 'open', paid_at = null, amount_paid = 0, amount_remaining = amount_due, "
        "due_date = created + interval 1 day where created >= $after",
        "delete from billing.subscription where start_date >= $after",
        "update billing.subscription set ended_at = null, status = 'active', cancel_at_period_end = false "
        "where ended_at >= $after",
        "update billing.subscription set canceled_at = null where canceled_at >= $after",
        """
        insert into billing.subscription
        select 'sub_after_' || customer.id, customer.id, 'active', $after + interval 9 hour,
            $after + interval 9 hour, $after + interval 9 hour, $after + interval 9 hour + interval 1 month,
            false, null, null, $after + interval 10 hour
        from (select distinct id from billing.customer where id is not null) as customer
        where not exists (
            select 1 from billing.subscription as running
            where running.customer_id = customer.id
                and running.start_date < $after
                and (running.ended_at is null or running.ended_at >= $after)
        )
        """,
        """
        insert into billing.subscription_item
        select 'si_after_' || id, id, 'prod_core', 'price_core_usd_monthly', 5, 10000, 'usd', 'month',
            start_date, _loaded_at
        from billing.subscription where id like 'sub_after_%'
        """,
        "update billing.invoice set paid_at = null, amount_paid = 0, amount_remaining = amount_due, status = 'open' "
        "where paid_at >= $after",
        # crm
        "delete from crm.event where activity_date >= $after and hash(id) % 2 = 0",
        "update crm.event set type = case when type = 'Call' then 'EBR' else 'Call' end where activity_date >= $after",
        "update crm.success_goal set status = 'achieved', achieved_date = target_date, validated_by_customer = true "
        "where target_date > $cutoff",
        "update crm.success_goal set status = 'missed', achieved_date = null where achieved_date > $cutoff",
        # product
        "delete from product.tracks where timestamp >= $after and hash(user_id) % 2 = 0",
        "update product.tracks set feature = 'sso', product_id = 'prod_integrations' where timestamp >= $after",
        "delete from product.users where created_at >= $after",
        "update product.users set deactivated_at = null where deactivated_at >= $after",
        # support
        "update support.ticket set priority = 'urgent', satisfaction_rating = 'bad', solved_at = null, status = 'open' "
        "where created_at >= $after",
        "update support.ticket set solved_at = null, status = 'open' where solved_at >= $after",
        # survey
        "update survey.nps_response set score = 10 - score where created_at >= $after and score between 0 and 10",
    ]
    for statement in statements:
        parameters = {
            name: value for name, value in (("after", after), ("cutoff", cutoff)) if f"${name}" in statement
        }
        con.execute(statement, parameters)
