"""A paper's licence, from arXiv's OAI-PMH interface: the search API does not say it."""

import requests
from django.conf import settings
from lxml import etree

from . import arxiv_source

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "arXiv": "http://arxiv.org/OAI/arXiv/"}


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
