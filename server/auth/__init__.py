"""Who is calling: staff log-ins (session cookie or bearer token), device keys and ticket tokens."""
