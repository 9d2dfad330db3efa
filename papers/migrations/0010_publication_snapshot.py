# What readers see of a published paper becomes a snapshot taken at publication: its metadata
# (Publication) and its figures (Figure.public). Papers public before this keep showing what
# they showed: their current metadata and the kept figures of their current version.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


PUBLIC_FIELDS = ("version", "title", "authors", "abstract", "comment", "journal_ref", "doi", "primary_category",
                 "categories", "arxiv_published", "arxiv_updated", "abs_url", "pdf_url", "project_url", "code_url")


def snapshot_public_papers(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    Publication = apps.get_model("papers", "Publication")
    Figure = apps.get_model("papers", "Figure")
    for paper in Paper.objects.filter(published_at__isnull=False).exclude(state="rejected").iterator():
        Publication.objects.create(paper=paper, authors_index=paper.authors_index,
                                   **{name: getattr(paper, name) for name in PUBLIC_FIELDS})
        Figure.objects.filter(paper=paper, paper_version=paper.version, kept=True).update(public=True)


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0009_postgres_search_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='figure',
            name='public',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='Publication',
            fields=[
                ('paper', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='publication', serialize=False, to='papers.paper')),
                ('version', models.PositiveIntegerField(default=1)),
                ('title', models.TextField()),
                ('authors', models.JSONField(default=list, help_text="Names in the paper's order")),
                ('authors_index', models.TextField(blank=True, editable=False)),
                ('abstract', models.TextField(blank=True)),
                ('comment', models.TextField(blank=True)),
                ('journal_ref', models.TextField(blank=True)),
                ('doi', models.CharField(blank=True, max_length=200)),
                ('primary_category', models.CharField(blank=True, max_length=40)),
                ('categories', models.JSONField(default=list)),
                ('arxiv_published', models.DateTimeField(blank=True, null=True)),
                ('arxiv_updated', models.DateTimeField(blank=True, null=True)),
                ('abs_url', models.URLField(max_length=300)),
                ('pdf_url', models.URLField(max_length=300)),
                ('project_url', models.URLField(blank=True, max_length=500)),
                ('code_url', models.URLField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.RunPython(snapshot_public_papers, migrations.RunPython.noop),
    ]
