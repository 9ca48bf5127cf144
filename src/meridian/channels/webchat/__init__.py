"""The web chat channel: an embeddable widget and the visitor API it talks to."""
