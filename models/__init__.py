"""The only place that knows SQL: ORM models, the engine and session, and the queries the rest calls by name."""
