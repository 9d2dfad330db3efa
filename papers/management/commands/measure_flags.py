from django.conf import settings
from django.core.management.base import BaseCommand

from ...measurement.flag_measure import measure, ratio

DEFAULT_LABELS = settings.BASE_DIR / "tests" / "data" / "post_labels.json"
DEFAULT_POSTS = settings.BASE_DIR.parent / "shared" / "samples" / "posts"


class Command(BaseCommand):
    help = "Precision and recall of each quality flag over the hand-labelled sections of the sample posts."

    def add_arguments(self, parser):
        parser.add_argument("--labels", default=DEFAULT_LABELS)
        parser.add_argument("--posts", default=DEFAULT_POSTS)

    def handle(self, *args, labels, posts, **options):
        stats, clean, clean_flagged = measure(labels, posts)
        self.stdout.write(f"{'defect':<18}{'labelled':>9}{'caught':>8}{'false':>7}{'precision':>11}{'recall':>8}")
        for name, s in stats.items():
            precision, recall = ratio(s["tp"], s["tp"] + s["fp"]), ratio(s["tp"], s["tp"] + s["fn"])
            self.stdout.write(f"{name:<18}{s['tp'] + s['fn']:>9}{s['tp']:>8}{s['fp']:>7}"
                              f"{'—' if precision is None else f'{precision:.2f}':>11}"
                              f"{'—' if recall is None else f'{recall:.2f}':>8}")
        self.stdout.write(f"clean sections flagged for a measured defect: {clean_flagged} of {clean} "
                          f"({clean_flagged / clean:.2f} per section; target < 0.10)")
