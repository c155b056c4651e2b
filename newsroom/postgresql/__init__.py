"""Django's PostgreSQL backend with every round trip bounded in time (see ``base``)."""
