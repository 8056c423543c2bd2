"""Vigie collector: alert generation, alert files, SNMP polling, the watcher."""
