"""The read-only web view of the database: search, story pages, trends and a JSON API (`newsmon web`)."""
