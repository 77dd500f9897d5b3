"""Composition root: settings and the ems-agent command line."""
