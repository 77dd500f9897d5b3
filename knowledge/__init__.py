"""The knowledge store: documents, runbooks and past incidents, retrievable by meaning."""
