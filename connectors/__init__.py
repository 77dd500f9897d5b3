"""Connectors: how data gets in (importer, MQTT, simulator) and how messages get out (Slack, notifiers)."""
