"""Notifications: who is told of which alerts, through which channels, and when.

- `rules`: a rule's matchers, steps and timings, checked; which alerts it is about.
- `policy`: what to tell a rule's channels about one alert at a given moment
  (opened, escalated, repeated, resolved), and how long to wait before retrying.
  Pure functions, tested on literal times.
- `render`: the text of a message (one or many alerts).
- `channels`: channel URLs (Apprise's convention, and `alertmanager://`), checked,
  masked, and delivered to.
- `daemon` (`python -m vigie.notify`): the notifier process. It reads the outbox the
  API writes in the same transaction as each alert change, groups what the rules
  say into messages, delivers them with retries and records every attempt.
- `heartbeat`: which of Vigie's own parts stopped reporting.
"""
