"""What a paper's licence lets readers see.

Figures are published by default only under licences that allow reuse with attribution
(CC BY, CC BY-SA, CC0); an editor with the publish permission may override that per
paper, with a recorded reason. arXiv's OAI-PMH interface says which licence a paper has
(papers.oai).
"""

import re

from django.db.models import Q

# http and https both occur; CC BY-NC, BY-ND and BY-NC-SA do not allow what we do.
OPEN_PREFIXES = tuple(
    f"{scheme}://creativecommons.org/{path}"
    for scheme in ("http", "https")
    for path in ("licenses/by/", "licenses/by-sa/", "publicdomain/zero/")
)
CC_RE = re.compile(r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)|publicdomain/(?P<pd>zero))/(?P<version>[\d.]+)")


def is_open(url):
    return url.startswith(OPEN_PREFIXES)


def open_q(field="license"):
    """The database's version of `is_open`, on `field` (e.g. "paper__license")."""
    condition = Q()
    for prefix in OPEN_PREFIXES:
        condition |= Q(**{f"{field}__startswith": prefix})
    return condition


def short_name(url):
    """"CC BY 4.0", "CC0 1.0", or what the licence is when it is not Creative Commons."""
    match = CC_RE.search(url or "")
    if match and match["pd"]:
        return f"CC0 {match['version']}"
    if match:
        return f"CC {match['kind'].upper()} {match['version']}"
    if "nonexclusive-distrib" in (url or ""):
        return "arXiv non-exclusive licence"
    return url or "arXiv's default licence"
