"""Tags articles by watchlist company and topic (Kiwi where it decides a boundary, exact matching elsewhere)."""
