from django.conf import settings


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "SOURCE_CODE_URL": settings.SOURCE_CODE_URL,
            "MEDIA_URL": settings.MEDIA_URL,
            # Each language by its own name, whatever the page's ("English", not "英语"): a reader looks for theirs.
            "LANGUAGE_NAMES": settings.LANGUAGES}
