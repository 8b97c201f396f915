"""newsmon's kernel: the records that cross stages, the errors, time zones and batching; it imports no stage."""

__version__ = "0.1.0"
