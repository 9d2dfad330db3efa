"""The newest papers' search index on its own (SQLite): see papers.public.search. Filled here as the daily
optimize() fills it, with the newest 5,000 (search.RECENT when this was written)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE papers_fts_recent USING fts5(title, authors, abstract, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO papers_fts_recent (rowid, title, authors, abstract, body) "
    "SELECT rowid, title, authors, abstract, body FROM papers_fts ORDER BY rowid DESC LIMIT 5000",
]
SQLITE_BACK = ["DROP TABLE papers_fts_recent"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)
    return apply


class Migration(migrations.Migration):
    dependencies = [("papers", "0019_topic_days")]
    operations = [migrations.RunPython(run(SQLITE), run(SQLITE_BACK))]
