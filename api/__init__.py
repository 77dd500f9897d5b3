"""The HTTP API and the MCP server: the product's tools, questions, data and ingestion for other
programs, behind bearer tokens with the chat page's roles."""
