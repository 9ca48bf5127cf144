"""The bot's turn runs as a job: retrieval, translation and HTTP calls take time."""

from __future__ import annotations

import uuid

from meridian.bot.service import respond
from meridian.db.engine import get_database
from meridian.jobs.app import job_app


@job_app.task(name="bot.respond", queue="bot", retry=3)
async def respond_job(message_id: str) -> None:
    await respond(get_database(), uuid.UUID(message_id))
