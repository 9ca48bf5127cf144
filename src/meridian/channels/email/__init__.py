"""Email channel: everything email-specific below ``meridian.channels.ingest``.

Parsing (``parse``), quoted-history stripping (``quotes``), loop and bounce detection
(``loops``), threading keys (``threading``), sending (``smtp_send``), IMAP polling
(``imap_poll``) and SMTP receiving (``smtp_receive``). None of it touches the database.
"""
