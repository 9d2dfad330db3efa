"""A paper's licence, from arXiv's OAI-PMH interface: the search API does not say it.

Figures are published by default only under licences that allow reuse with attribution
(CC BY, CC BY-SA, CC0); an editor with the publish permission may override that per
paper, with a recorded reason.
"""

import re

import requests
from django.conf import settings
from django.db.models import Q
from lxml import etree

from . import arxiv_source

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "arXiv": "http://arxiv.org/OAI/arXiv/"}
# http and https both occur; CC BY-NC, BY-ND and BY-NC-SA do not allow what we do.
OPEN_PREFIXES = tuple(
    f"{scheme}://creativecommons.org/{path}"
    for scheme in ("http", "https")
    for path in ("licenses/by/", "licenses/by-sa/", "publicdomain/zero/")
)
CC_RE = re.compile(r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)|publicdomain/(?P<pd>zero))/(?P<version>[\d.]+)")


class LicenceUnavailable(Exception):
    """OAI-PMH did not say: an outage, an error response, an unknown identifier."""


def fetch_licence(arxiv_id):
    """The licence URL arXiv records for the paper; "" when it records none (arXiv's default licence)."""
    params = {"verb": "GetRecord", "identifier": f"oai:arXiv.org:{arxiv_id}", "metadataPrefix": "arXiv"}
    try:
        response = arxiv_source.session().get(settings.ARXIV_OAI_URL, params=params,
                                              timeout=settings.ARXIV_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise LicenceUnavailable(f"arXiv's OAI-PMH interface did not answer: {exc}") from exc
    if response.status_code != 200:
        raise LicenceUnavailable(f"arXiv's OAI-PMH interface answered {response.status_code}")
    return parse_licence(response.content)


def parse_licence(content):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise LicenceUnavailable(f"arXiv's OAI-PMH answer is not XML: {exc}") from exc
    error = root.find("oai:error", NS)
    if error is not None:
        raise LicenceUnavailable(f"arXiv's OAI-PMH said {error.get('code')}: {(error.text or '').strip()}")
    record = root.find(".//arXiv:arXiv", NS)
    if record is None:
        raise LicenceUnavailable("arXiv's OAI-PMH answer has no arXiv record")
    return (record.findtext("arXiv:license", default="", namespaces=NS) or "").strip()


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
