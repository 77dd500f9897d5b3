"""Connectors: how data gets in (importer, MQTT, simulator) and out (Slack, notifiers)."""
