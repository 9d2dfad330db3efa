from django.db import migrations

# PostgreSQL's counterpart of SQLite's FTS5 table: one weighted tsvector a paper, GIN-indexed,
# written when a paper is (re)published. Ranking `to_tsvector` computed per row at query time
# took a second at 10,000 papers. No foreign key, as with FTS5: Django's flush does not know
# this table and could not truncate papers_paper; search() joins through published() anyway.
CREATE = """
CREATE TABLE IF NOT EXISTS papers_fts (
    rowid bigint PRIMARY KEY,
    document tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS papers_fts_document ON papers_fts USING gin (document);
"""
# Papers published before this migration keep their text searchable, unweighted, until
# `manage.py reindex_search` writes them again with the title first.
FILL = """
INSERT INTO papers_fts (rowid, document)
SELECT id, to_tsvector('simple', search_document) FROM papers_paper WHERE search_document <> ''
ON CONFLICT (rowid) DO NOTHING
"""


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute(FILL)


def drop_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS papers_fts")


class Migration(migrations.Migration):
    dependencies = [("papers", "0008_figures_and_licences")]
    operations = [
        migrations.RunPython(create_table, drop_table),
        migrations.RemoveField(model_name="paper", name="search_document"),
    ]
