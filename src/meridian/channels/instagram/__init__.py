"""Instagram Direct channel (Messenger API support for Instagram)."""
