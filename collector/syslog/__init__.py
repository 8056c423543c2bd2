"""The syslog intake: `python -m collector.syslog` (see intake.py)."""
