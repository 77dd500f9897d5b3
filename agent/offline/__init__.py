"""The built-in offline model: reading questions, planning tool calls, writing answers."""
