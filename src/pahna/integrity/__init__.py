"""Traffic integrity: signals per producer-month, robust scores, the tariff's policy of
exclusions and holds, and the hosting lists it reads. See docs/integrity.md."""
