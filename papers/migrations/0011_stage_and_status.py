# One field `state` mixed the pipeline's progress with what editors made public. It becomes two:
# `stage` (fetched … drafted, failed) and `status` (unpublished, published, changed, rejected).

from django.conf import settings
from django.db import migrations, models


# state -> stage; a paper that was public (published_at set, not rejected) stays public, as
# "changed" where something waits for a publisher (it was back in review or in the pipeline).
STAGE = {"fetched": "fetched", "downloaded": "downloaded", "extracted": "extracted", "summarized": "summarized",
         "in_review": "drafted", "published": "drafted", "failed": "failed"}


def split_state(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    for state, stage in STAGE.items():
        Paper.objects.filter(state=state).update(stage=stage)
        Paper.objects.filter(state=state, published_at__isnull=True).update(status="unpublished")
        Paper.objects.filter(state=state, published_at__isnull=False).update(
            status="published" if state == "published" else "changed")
    rejected = Paper.objects.filter(state="rejected")
    rejected.filter(failed_step="").update(stage="drafted", status="rejected")
    rejected.exclude(failed_step="").update(stage="failed", status="rejected")


def join_state(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    for paper in Paper.objects.all():
        if paper.status == "rejected":
            state = "rejected"
        elif paper.stage == "drafted":
            state = "published" if paper.status == "published" else "in_review"
        else:
            state = paper.stage
        Paper.objects.filter(pk=paper.pk).update(state=state)


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0010_publication_snapshot'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='paper',
            name='paper_queue_idx',
        ),
        migrations.RemoveIndex(
            model_name='paper',
            name='paper_public_idx',
        ),
        migrations.AddField(
            model_name='paper',
            name='stage',
            field=models.CharField(choices=[('fetched', 'Fetched'), ('downloaded', 'PDF downloaded'), ('extracted', 'Text extracted'), ('summarized', 'Summarized'), ('drafted', 'Drafts written'), ('failed', 'Failed')], default='fetched', max_length=12),
        ),
        migrations.AddField(
            model_name='paper',
            name='status',
            field=models.CharField(choices=[('unpublished', 'Not published'), ('published', 'Published'), ('changed', 'Published, changes waiting'), ('rejected', 'Rejected')], default='unpublished', max_length=12),
        ),
        migrations.RunPython(split_state, join_state),
        migrations.RemoveField(
            model_name='paper',
            name='state',
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(fields=['stage', 'status', '-flag_score', 'review_at'], name='paper_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(fields=['status', '-published_at'], name='paper_public_idx'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['published', 'changed']), _negated=True), ('published_at__isnull', False), _connector='OR'), name='a_public_paper_has_a_publication_time'),
        ),
    ]
