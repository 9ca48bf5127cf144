"""What WhatsApp, Messenger and Instagram share: they are all Meta Graph API products.

One webhook handshake and signature scheme (Graph API Webhooks), one error format
(Graph API error handling) and one Send API shape for Messenger and Instagram.
"""
