"""HTTP routes: pages (HTML), forms (HTML writes), session (log in/out, language), api."""
