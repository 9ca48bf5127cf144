"""Facebook Messenger channel (Messenger Platform on the Graph API)."""
