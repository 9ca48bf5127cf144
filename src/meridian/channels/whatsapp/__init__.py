"""WhatsApp Business Cloud API (Meta Graph API) channel."""
