"""Tools the agent and the watcher call: one module per tool over the store's query functions."""
