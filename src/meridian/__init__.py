"""Meridian: an open-source customer-service platform for companies that sell worldwide."""

__version__ = "0.1.0"
