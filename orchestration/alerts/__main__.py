"""python -m orchestration.alerts --list-uncertain | --rearm ALERT_ID (see delivery.py)."""

from orchestration.alerts.delivery import main

raise SystemExit(main())
