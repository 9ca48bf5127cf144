"""The agent console: server-rendered pages, live over SSE, in the agent's language."""
