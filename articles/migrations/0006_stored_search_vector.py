"""The search vector becomes a stored generated column, with the GIN index on it.

Ranking and re-checking matches read the stored vector instead of parsing each story's body
again (a fraction of a millisecond per story, seconds for a common word at a million stories).
PostgreSQL only, like the index it replaces (0002); the model does not declare the column,
so Django never writes it and listings never read it:
``articles.reader.search.StoredSearchVector``.
"""

from django.db import migrations

VECTOR = """
    setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
"""


def store_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Dropping the expression index first spares the table rewrite from rebuilding it.
    schema_editor.execute("DROP INDEX IF EXISTS article_search_idx")
    schema_editor.execute(
        "ALTER TABLE articles_article ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX article_search_idx ON articles_article USING gin (search_vector)"
    )


def drop_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE articles_article DROP COLUMN search_vector")
    schema_editor.execute(
        f"CREATE INDEX article_search_idx ON articles_article USING gin (({VECTOR}))"
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_listing_indexes")]

    operations = [migrations.RunPython(store_vector, drop_vector)]
