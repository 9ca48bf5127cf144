"""Service-level agreements: policies, due times on business calendars, attainment."""
