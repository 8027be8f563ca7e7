"""The daily schedule: yesterday's partition, at a configurable time and timezone.

HEALTH_SCHEDULE_TIME (HH:MM, default 02:30) and HEALTH_SCHEDULE_TIMEZONE (IANA name,
default UTC) set when it ticks. Scores describe UTC days (the marts contract), so the
partition a tick targets is the last UTC day that has fully ended at the tick: the UTC date
of the tick minus one day. For any timezone west of Asia that is the local "yesterday".
Under a fixed clock (HEALTH_NOW: tests, replays) the tick's time is HEALTH_NOW, the
project's one clock, whenever the daemon evaluates it.
"""

import datetime as dt

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from customer_health import config
from customer_health.config import Settings
from orchestration.jobs import AssetJob


def partition_for_tick(scheduled_time: dt.datetime) -> str:
    """The UTC day before the tick's UTC date (the last complete day of data)."""
    if scheduled_time.tzinfo is None:
        scheduled_time = scheduled_time.replace(tzinfo=dt.UTC)
    return (scheduled_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def tick_time(context: ScheduleEvaluationContext) -> dt.datetime:
    """The tick's time by the project's clock: HEALTH_NOW when set, else the scheduled time."""
    return config.now() if config.clock_is_fixed() else context.scheduled_execution_time


def build_daily_schedule(job: AssetJob, settings: Settings) -> ScheduleDefinition:
    @schedule(
        name="health_daily_schedule",
        job=job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=(
            f"Every day at {settings.schedule_time} {settings.schedule_timezone}: the partition "
            "of the previous UTC day, end to end."
        ),
    )
    def health_daily_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        partition_key = partition_for_tick(tick_time(context))
        return RunRequest(
            run_key=f"daily-{partition_key}",
            partition_key=partition_key,
            tags={"health/trigger": "schedule"},
        )

    return health_daily_schedule


def build_weekly_schedule(job: AssetJob, settings: Settings) -> ScheduleDefinition:
    """The weekly models (churn model training), at settings.weekly_schedule_cron."""
    return ScheduleDefinition(
        name="health_weekly_schedule",
        job=job,
        cron_schedule=settings.weekly_schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Every Monday: retrain and evaluate the churn model (dbt tag `weekly`).",
    )
