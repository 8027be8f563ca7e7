"""Relationship and outcome data: CRM meetings (crm.event), success goals, opportunities
(crm.py), support organizations and tickets (support.py), NPS responses (survey.py). Each
carries the planted signals of `Daily` (lost executive contact, ticket spikes, detractor
NPS, stalled onboarding)."""

from healthgen.engagement.crm import build_crm_events, build_goals, build_opportunities
from healthgen.engagement.support import build_support
from healthgen.engagement.survey import build_nps

__all__ = ["build_crm_events", "build_goals", "build_nps", "build_opportunities", "build_support"]
