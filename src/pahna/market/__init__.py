"""The content market: monthly figures per catalogue entry (bytes as settlement counts
them, distinct client networks), their rankings, trends and open data (docs/market.md)."""
