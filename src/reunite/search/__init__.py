"""The reference index and one-vs-all search over reference families and found children."""
