"""SNMP polling of one machine: session, discovery, one reading, rates, events, one cycle."""
