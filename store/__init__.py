"""The store: schema, engine, idempotent writes, rollups and the query functions readers use."""
