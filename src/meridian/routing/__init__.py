"""Follow-the-sun routing: who answers a conversation, and why."""
