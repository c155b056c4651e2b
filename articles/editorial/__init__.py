"""The newsroom's side: the admin, story forms, editing services (revisions, links,
publishing) and the editorial roles. May use the intelligence part; readers never import it."""
