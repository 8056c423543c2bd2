"""The notifier: from the outbox to the channels, never losing or doubling a message.

Each pass (`Notifier.plan`, given the moment `now`, so tests run it on literal times):
1. takes the outbox (`notify_events`, written with each alert's change of status:
   opened, reopened, resolved, flapping), then the other changes from the
   lifecycle's history ("what changed since": acknowledged, shelved, silenced, an
   acknowledgement that expired...), then, every `recheck_seconds`, every alert it
   is tracking (a safety net, not the way changes arrive), and for each enabled
   rule the alert is the business of, asks `policy.advance` what to tell; what is to
   be told joins the rule's open message for each channel of the step (grouping);
   the taking and the writing are one transaction;
2. closes the groups whose wait is over: their text is fixed, they become pending.

Delivery (`Notifier.deliver_due`) sends the pending messages whose time has come,
one at a time per channel, channels side by side: an attempt is recorded before
the message leaves and its answer after, in the same transaction as the message's
new state (delivered, or pending again after a back-off, or failed after
`give_up_hours`). A notifier killed during an attempt finds it unanswered at its
next start, marks it interrupted and sends the message again: a message may then
arrive twice (the channel had it but the answer was lost with the process), never
zero times; HTTP channels carry the message's id in an `X-Vigie-Notification`
header and mails in the same header, so a receiver can drop the second copy.
"""

import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from vigie import config, db
from vigie import heartbeat
from vigie.down_alerts import is_down_condition
from vigie.notify import alertmanager, channels as channels_mod, policy, render
from vigie.notify.rules import rule_matches
from vigie.scope import in_scope
from vigie.utc import now_iso, plus_seconds

log = logging.getLogger("vigie.notify")

EVENT_BATCH = 2000


@dataclass
class Settings:
    """The notifier's settings; the defaults are those of [notify] (and [dependencies]
    hold_seconds) in vigie/config.py."""
    site_url: str = config.builtin().get("notify.site_url")
    recheck_seconds: float = config.default("notify.recheck_seconds")
    give_up_hours: float = config.default("notify.give_up_hours")
    keep_days: float = config.default("notify.keep_days")
    stale_minutes: float = config.default("notify.stale_minutes")
    heartbeat_dir: str = None
    workers: int = config.default("notify.workers")
    channel_policy: channels_mod.Policy = channels_mod.DEFAULT_POLICY
    hold_seconds: float = config.default("dependencies.hold_seconds")   # the hold of down alerts


def alert_condition(alert: dict) -> str:
    """The notification condition of an alert as the database returns it."""
    status = alert.get("status")
    if status is None:  # a database without the lifecycle: acknowledged or open
        status = "acknowledged" if alert.get("acknowledged") else "open"
    return policy.condition(status, bool(alert.get("silenced")), bool(alert.get("flapping")),
                            bool(alert.get("suppressed")))


def with_behind(conn, alert: dict, kind: str, team_scope=None) -> dict:
    """The alert with what it suppresses (`behind`), for a root cause's message to name
    them, those in the rule's team's scope only; a resolution names none (they answer
    again with it, or are faults of their own)."""
    if kind == "resolved" or not alert.get("suppressing"):
        return alert
    found = db.dependencies.behind(conn, alert["id"])
    return dict(alert, behind=[b for b in found if team_scope is None or in_scope(team_scope, b)])


def _track(row):
    if row is None:
        return None
    return policy.Track(since=row["since"], step=row["step"], last_told_at=row["last_told_at"], state=row["state"],
                        held_until=row.get("held_until"))


class Notifier:
    def __init__(self, db_path, settings: Settings = None, deliver=channels_mod.deliver):
        self.db_path = db_path
        self.settings = settings or Settings()
        self.deliver = deliver  # (url, message, key=, policy=) -> channels.Outcome
        self.local = threading.local()
        self.last_recheck = None
        self.last_prune = None
        self.warned = set()
        self.busy = set()  # channels with a delivery in flight
        self.last_resend = None
        self.lock = threading.Lock()

    def conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = db.connect(self.db_path)
        return self.local.conn

    # ------------------------------------------------------------ planning

    def plan(self, now: str = None) -> dict:
        """One planning pass at `now`; returns counts of what it did."""
        now = now or now_iso()
        conn = self.conn()
        stats = {"events": 0, "rechecked": 0, "told": 0, "sealed": 0}
        rules = db.notify.list_rules(conn, enabled_only=True)
        events = db.notify.first_events(conn, EVENT_BATCH)
        if events:
            with db.transaction(conn):
                hints = {}
                for event in events:
                    if hints.get(event["alert_id"]) != "reopened":
                        hints[event["alert_id"]] = event["kind"]
                stats["told"] += self._advance_alerts(conn, rules, hints, now)
                db.notify.drop_events_up_to(conn, events[-1]["id"])
            stats["events"] = len(events)
        stats["told"] += self._advance_changed(conn, rules, now)
        stats["told"] += self._advance_due(conn, rules, now)
        if self.last_recheck is None or plus_seconds(self.last_recheck, self.settings.recheck_seconds) <= now:
            stats["rechecked"], told = self._recheck(conn, rules, now)
            stats["told"] += told
            self.last_recheck = now
        stats["sealed"] = self._seal_groups(conn, now)
        if self.last_resend is None or plus_seconds(self.last_resend, alertmanager.RESEND_SECONDS) <= now:
            self.last_resend = now
            stats["resent"] = self.resend_to_alertmanagers(now)
        if self.settings.heartbeat_dir:
            self._heartbeat(conn, now)
        if self.last_prune is None or plus_seconds(self.last_prune, 3600) <= now:
            db.notify.prune_messages(conn, plus_seconds(now, -self.settings.keep_days * 86400))
            self.last_prune = now
        return stats

    def _advance_changed(self, conn, rules, now: str) -> int:
        """The alerts whose history moved since the last look (acknowledged, shelved,
        silenced, an acknowledgement that expired...), from the lifecycle's "what
        changed since"; the status changes the outbox brings are left to it."""
        cursor = db.notify.history_cursor(conn)
        if cursor is None:  # first start: from now on
            with db.transaction(conn):
                db.notify.set_history_cursor(conn, db.notify.last_history_id(conn))
            return 0
        entries, last = db.changes_since(conn, cursor, now, limit=EVENT_BATCH)
        if not entries:
            return 0
        hints = {e["alert_id"]: None for e in entries if e["kind"] not in db.notify.OUTBOX_KINDS}
        with db.transaction(conn):
            told = self._advance_alerts(conn, rules, hints, now) if hints else 0
            db.notify.set_history_cursor(conn, last)
        return told

    def _advance_alerts(self, conn, rules, hints: dict, now: str) -> int:
        """In a transaction: every rule's view of these alerts (id -> event kind or None)."""
        alerts = {a["id"]: a for a in db.get_alerts(conn, list(hints), now)}
        if not rules or not alerts:
            return 0
        scopes = db.teams.team_scopes(conn)
        channel_ids = {c["name"]: c["id"] for c in db.notify.list_channels(conn)}
        told = 0
        for rule in rules:
            scope = scopes.get(rule["team_id"]) if rule["team_id"] is not None else None
            mine = [a for a in alerts.values() if rule_matches(rule, a, scope)]
            if not mine:
                continue
            tracks = db.notify.get_tracks(conn, rule["id"], [a["id"] for a in mine])
            for alert in mine:
                told += self._advance_one(conn, rule, alert, tracks.get(alert["id"]), hints.get(alert["id"]),
                                          channel_ids, now)
        return told

    def hold_seconds(self, alert) -> float:
        """How long a first telling of this alert waits: the hold, for an alert saying a
        machine or an interface is down (it may turn out to be unreachable behind another)."""
        return self.settings.hold_seconds if is_down_condition(alert.get("fingerprint") or "") else 0

    def _advance_one(self, conn, rule, alert, row, hint, channel_ids, now) -> int:
        track, items, check_at = policy.advance(_track(row), alert_condition(alert), rule, now, hint,
                                                self.hold_seconds(alert))
        db.notify.put_track(conn, rule["id"], alert["id"], track.since, track.step, track.last_told_at,
                            track.state, check_at, track.held_until)
        for item in items:
            for name in rule["steps"][item.step]["channels"]:
                channel_id = channel_ids.get(name)
                if channel_id is None:
                    self._warn_once(("channel", rule["name"], name),
                                    "rule %s names channel %s, which does not exist: nothing sent there",
                                    rule["name"], name)
                    continue
                due = plus_seconds(now, rule["group_wait_seconds"])
                db.notify.add_to_group(conn, rule["id"], channel_id, alert["id"], item.kind, now, due)
        return len(items)

    def _advance_due(self, conn, rules, now: str) -> int:
        """Escalations and repeats that fell due."""
        due = db.notify.due_tracks(conn, now)
        return self._advance_tracks(conn, rules, due, now) if due else 0

    def _advance_tracks(self, conn, rules, track_rows, now: str) -> int:
        by_id = {r["id"]: r for r in rules}
        told = 0
        with db.transaction(conn):
            alerts = {a["id"]: a for a in db.get_alerts(conn, [t["alert_id"] for t in track_rows], now)}
            channel_ids = {c["name"]: c["id"] for c in db.notify.list_channels(conn)}
            for row in track_rows:
                rule, alert = by_id.get(row["rule_id"]), alerts.get(row["alert_id"])
                if rule is None or alert is None:  # rule disabled or alert deleted: nothing more to tell
                    db.notify.put_track(conn, row["rule_id"], row["alert_id"], row["since"], row["step"],
                                        row["last_told_at"], row["state"], None, None)
                    continue
                told += self._advance_one(conn, rule, alert, row, None, channel_ids, now)
        return told

    def _recheck(self, conn, rules, now: str):
        """Every tracked alert that is not resolved, looked at again: what changed with
        time (an acknowledgement or a shelve that ended, a silence, a timeout)."""
        seen = told = 0
        for state in (policy.NEEDS_HUMAN, policy.MUTED, policy.FLAPPING, policy.SUPPRESSED, policy.HELD):
            after = (0, 0)
            while True:
                page = db.notify.tracks_in_state(conn, state, after)
                if not page:
                    break
                after = (page[-1]["rule_id"], page[-1]["alert_id"])
                told += self._advance_tracks(conn, rules, page, now)
                seen += len(page)
        return seen, told

    def _seal_groups(self, conn, now: str) -> int:
        groups = db.notify.closed_groups(conn, now)
        if not groups:
            return 0
        rules = {r["id"]: r for r in db.notify.list_rules(conn)}
        channels = {c["id"]: c for c in db.notify.list_channels(conn)}
        scopes = db.teams.team_scopes(conn)
        with db.transaction(conn):
            for group in groups:
                entries_ids = db.notify.message_alerts(conn, group["id"])
                alerts = {a["id"]: a for a in db.get_alerts(conn, [i for i, _ in entries_ids], now)}
                rule = rules.get(group["rule_id"])
                team_scope = scopes.get(rule["team_id"]) if rule and rule["team_id"] is not None else None
                entries = [(with_behind(conn, alerts[i], kind, team_scope), kind) for i, kind in entries_ids
                           if i in alerts]
                channel = channels.get(group["channel_id"])
                if not entries or channel is None:
                    db.notify.drop_message(conn, group["id"])
                    continue
                message = self.compose(entries, rule["name"] if rule else None,
                                       alertmanager.is_alertmanager_url(channel["url"]), now)
                db.notify.seal_message(conn, group["id"], message["title"], message["body"],
                                       {"type": message["type"], "alerts": message.get("alerts")}, now)
        return len(groups)

    def resend_to_alertmanagers(self, now: str = None) -> int:
        """Alertmanager forgets an alert it does not hear of again before its endsAt:
        every RESEND_SECONDS, each Alertmanager channel gets again every alert its rules
        told of and that is not resolved (acknowledged, shelved or silenced ones too:
        they are still firing, and Alertmanager has silences of its own). These posts
        are refreshes, not messages: a lost one is made good by the next."""
        conn = self.conn()
        now = now or now_iso()
        managers = [c for c in db.notify.list_channels(conn) if alertmanager.is_alertmanager_url(c["url"])]
        sent = 0
        for channel in managers:
            rule_ids = [r["id"] for r in db.notify.list_rules(conn, enabled_only=True)
                        if any(channel["name"] in step["channels"] for step in r["steps"])]
            alerts = [a for a in db.get_alerts(conn, db.notify.told_unresolved(conn, rule_ids), now)
                      if a.get("status") != "resolved"]
            if not alerts:
                continue
            entries = [alertmanager.entry(a, None, render.alert_link(self.settings.site_url, a["id"])) for a in alerts]
            ok, answer = alertmanager.post(channel["url"], entries)
            if ok:
                sent += len(entries)
            else:
                self._warn_once(("resend", channel["name"], answer[:40]), "resending firing alerts to %s: %s",
                                channel["name"], channels_mod.redact(answer, channel["url"]))
        return sent

    def compose(self, entries, rule_name, for_alertmanager: bool, now: str) -> dict:
        site = self.settings.site_url
        message = {"title": render.title(entries, rule_name), "body": render.body(entries, site, rule_name),
                   "type": render.notify_type(entries)}
        if for_alertmanager:
            message["alerts"] = [alertmanager.entry(alert, (alert.get("resolved_at") or now) if kind == "resolved"
                                                    else None, render.alert_link(site, alert["id"]))
                                 for alert, kind in entries]
        return message

    def _warn_once(self, key, text, *args):
        if key not in self.warned:
            self.warned.add(key)
            log.warning(text, *args)

    # ------------------------------------------------------------ heartbeat

    def _heartbeat(self, conn, now: str) -> None:
        beats = heartbeat.last_beats(self.settings.heartbeat_dir)
        known = db.notify.part_states(conn)
        changes = heartbeat.changes(known, beats, now, self.settings.stale_minutes * 60)
        if not changes:
            return
        admins = [c for c in db.notify.list_channels(conn) if c["admin"]]
        with db.transaction(conn):
            for change in changes:
                part, state, since = change
                db.notify.set_part_state(conn, part, state, since)
                if not heartbeat.is_news(known, change):
                    continue
                title, body = heartbeat.message(part, state, since, beats.get(part), self.settings.stale_minutes)
                log.warning("%s", title) if state == heartbeat.DOWN else log.info("%s", title)
                for channel in admins:
                    db.notify.add_message(conn, channel["id"], "heartbeat", title, body,
                                          {"type": "failure" if state == heartbeat.DOWN else "success",
                                           "alerts": []}, now)

    # ------------------------------------------------------------ delivery

    def recover(self, now: str = None) -> int:
        """At start: attempts a killed notifier left unanswered."""
        count = db.notify.close_interrupted_attempts(self.conn(), now or now_iso())
        if count:
            log.warning("%d delivery attempt(s) were interrupted by a stop: their messages go again", count)
        return count

    def deliver_due(self, now: str = None, pool: ThreadPoolExecutor = None) -> int:
        """Send the messages due at `now`, each channel's in order. Without a pool, here
        and now (returns how many were delivered); with one, each channel with messages
        due and none in flight gets a worker, and this returns at once (returns 0), so
        a channel that hangs never holds up the others."""
        now_given = now
        now = now or now_iso()
        due = db.notify.due_messages(self.conn(), now, limit=500)
        by_channel = {}
        for message in due:
            by_channel.setdefault(message["channel_id"], []).append(message)
        if pool is None:
            return sum(self._deliver_channel(messages, now_given) for messages in by_channel.values())
        for channel_id, messages in by_channel.items():
            with self.lock:
                if channel_id in self.busy:
                    continue
                self.busy.add(channel_id)
            pool.submit(self._deliver_in_worker, channel_id, messages)
        return 0

    def _deliver_in_worker(self, channel_id, messages) -> None:
        try:
            self._deliver_channel(messages)
        except Exception:
            log.exception("delivery to channel %s failed unexpectedly", channel_id)
        finally:
            with self.lock:
                self.busy.discard(channel_id)

    def _deliver_channel(self, messages, now: str = None) -> int:
        """One channel's due messages, in order, stopping at the first failure (the
        channel is down: its other messages wait with the back-off)."""
        sent = 0
        for message in messages:
            if not self.deliver_one(message, now):
                break
            sent += 1
        return sent

    def deliver_one(self, message: dict, now: str = None) -> bool:
        conn = self.conn()
        channel = db.notify.get_channel(conn, channel_id=message["channel_id"])
        current = db.notify.get_message(conn, message["id"])
        if current is None or current["state"] != "pending":
            return True  # taken care of meanwhile
        stamp = now or now_iso()
        if channel is None:
            attempt = db.notify.start_attempt(conn, message["id"], stamp)
            db.notify.finish_attempt(conn, attempt, message["id"], False, "the channel was deleted", stamp)
            return True
        payload = message["payload"] or {}
        outgoing = {"title": message["title"], "body": message["body"], "type": payload.get("type", "info"),
                    "alerts": payload.get("alerts") or []}
        attempt = db.notify.start_attempt(conn, message["id"], stamp)
        outcome = self.deliver(channel["url"], outgoing, key=f"vigie-{message['id']}",
                               policy=self.settings.channel_policy)
        finished = now or now_iso()
        if outcome.ok:
            db.notify.finish_attempt(conn, attempt, message["id"], True, outcome.answer, finished)
            log.info("message %d (%s) delivered to %s in %.2f s", message["id"], message["kind"], channel["name"],
                     outcome.seconds)
            return True
        failures = db.notify.failed_attempts(conn, message["id"]) + 1
        gave_up = plus_seconds(message["created_at"], self.settings.give_up_hours * 3600) <= finished
        retry_at = None if gave_up else plus_seconds(finished, policy.retry_delay_seconds(failures))
        db.notify.finish_attempt(conn, attempt, message["id"], False, outcome.answer, finished, retry_at,
                                 channel["id"])
        if gave_up:
            log.error("message %d to %s failed for good after %d attempts: %s", message["id"], channel["name"],
                      failures, outcome.answer)
        elif failures == 1:
            log.warning("message %d to %s failed, will retry: %s", message["id"], channel["name"], outcome.answer)
        return False

    # ------------------------------------------------------------ the loop

    def run(self, stop: threading.Event, tick_seconds: float = 0.5) -> None:
        self.recover()
        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers), thread_name_prefix="deliver") as pool:
            while not stop.is_set():
                try:
                    self.plan()
                    self.deliver_due(pool=pool)
                except (db.DatabaseError, sqlite3.Error) as exc:
                    log.error("database error, trying again: %s", exc)
                stop.wait(tick_seconds)

