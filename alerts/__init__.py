"""Turns stored matches into digests and delivers them through apprise; owns the outbox."""
