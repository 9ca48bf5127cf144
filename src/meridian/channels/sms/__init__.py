"""SMS through Twilio Programmable Messaging."""
