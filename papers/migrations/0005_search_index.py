from django.db import migrations

CREATE = """
CREATE VIRTUAL TABLE IF NOT EXISTS papers_fts USING fts5(
    title, authors, abstract, body, tokenize = 'unicode61 remove_diacritics 2'
)
"""


def create_fts(apps, schema_editor):
    # SQLite's FTS5 is the embedded search; PostgreSQL searches Paper.search_document itself.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS papers_fts")


class Migration(migrations.Migration):
    dependencies = [("papers", "0004_public_site")]
    operations = [migrations.RunPython(create_fts, drop_fts)]
