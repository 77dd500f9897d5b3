"""The chat web page."""
