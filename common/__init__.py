"""Shared leaf code every layer may use: the root error, units of measure, time helpers."""
