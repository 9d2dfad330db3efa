"""English stemming in search: FTS5's porter tokenizer over unicode61 on SQLite (the rows are copied: FTS5 keeps
their text). On PostgreSQL new rows are written with the 'english' configuration and queries match both, so rows
written before stay found by their exact words until `manage.py reindex_search` rewrites them."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE papers_fts_stemmed USING fts5(title, authors, abstract, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO papers_fts_stemmed (rowid, title, authors, abstract, body) "
    "SELECT rowid, title, authors, abstract, body FROM papers_fts",
    "DROP TABLE papers_fts",
    "ALTER TABLE papers_fts_stemmed RENAME TO papers_fts",
]
SQLITE_BACK = [
    "CREATE VIRTUAL TABLE papers_fts_plain USING fts5(title, authors, abstract, body, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO papers_fts_plain (rowid, title, authors, abstract, body) "
    "SELECT rowid, title, authors, abstract, body FROM papers_fts",
    "DROP TABLE papers_fts",
    "ALTER TABLE papers_fts_plain RENAME TO papers_fts",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)
    return apply


class Migration(migrations.Migration):
    dependencies = [("papers", "0015_topic_query_checks")]
    operations = [migrations.RunPython(run(SQLITE), run(SQLITE_BACK))]
