"""Finds exact and near duplicates (same URL, same text, wire copies) and groups articles into stories."""
