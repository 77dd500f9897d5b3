"""The Slack bot: a front end like the chat page, answering in Slack through the same agent."""
