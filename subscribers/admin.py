from django.contrib import admin, messages
from django.db.models import Count

from . import delivery
from .models import Delivery, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "language", "topic_list", "confirmed_at", "last_sent_at"]
    list_filter = ["status", "frequency", "language", "topics"]
    search_fields = ["email"]
    readonly_fields = ["status", "created_at", "confirmed_at", "left_at", "bounce_reason", "last_sent_at"]
    actions = ["send_test_digest"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="Topics")
    def topic_list(self, subscriber):
        return ", ".join(t.name for t in subscriber.topics.all())

    def changelist_view(self, request, extra_context=None):
        # Counts per topic, of the addresses mail goes to.
        counts = (Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).values("topics__name")
                  .annotate(n=Count("pk")).order_by("topics__name"))
        summary = ", ".join(f"{row['topics__name']}: {row['n']}" for row in counts if row["topics__name"])
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": f"Active by topic: {summary}"
                                                 if summary else "No active subscribers"})

    @admin.action(description="Send me a test digest (each selected subscriber's, to my address)")
    def send_test_digest(self, request, queryset):
        if not request.user.email:
            self.message_user(request, "Your account has no email address to send the test to.", messages.ERROR)
            return
        for subscriber in queryset:
            try:
                sent = delivery.send_test(subscriber, request.user.email)
            except OSError as exc:  # smtplib's errors are OSErrors
                self.message_user(request, f"{subscriber}: the mail server said no: {exc}", messages.ERROR)
                continue
            if sent:
                self.message_user(request, f"{subscriber}'s digest sent to {request.user.email}.")
            else:
                self.message_user(request, f"{subscriber}: nothing is published in their topics yet.",
                                  messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "frequency", "period_start", "state", "attempts", "papers", "sent_at", "error"]
    list_filter = ["state", "frequency", "period_start"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email"]
    # Deliveries change only through subscribers.delivery: claimed, sent, retried.
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False
