"""Automation rules (event -> conditions -> actions) and agents' one-click macros."""
