"""The procrastinate app: background jobs on the same PostgreSQL.

Feature packages register their jobs in their own ``tasks.py`` with ``@job_app.task``;
``TASK_MODULES`` lists them so a worker imports every task before it starts.
"""

from __future__ import annotations

from procrastinate import App, PsycopgConnector

TASK_MODULES = ["meridian.jobs.tasks"]

job_app = App(connector=PsycopgConnector(), import_paths=TASK_MODULES)
