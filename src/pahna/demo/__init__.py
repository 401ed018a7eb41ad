"""The demo: a month of a small country's content traffic, end to end."""
