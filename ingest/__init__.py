"""The ingest stage: one source's records through exact dedupe, near-dedupe, tagging and storage, files loaded in
chunks, web sources read from their remembered state and their health recorded. Plain functions the flows call."""
