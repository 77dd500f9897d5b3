"""The agent: model backends, the tool loop, prompts, memory and incident summaries."""
