"""Every flag the checks raise is defined once, with a label for humans, and the admin can filter by each."""

import pytest

from papers.editorial import flags, quality
from papers.summarizers import prompt


def test_every_code_a_check_raises_is_registered_with_a_label():
    raised = {f["code"] for f in quality.check_section("method", "", quality.Context())}
    raised |= {f["code"] for f in quality.check_section("summary", "x " * 3000, quality.Context())}
    assert raised <= set(flags.REGISTRY) and raised
    assert all(kind.label and kind.label != kind.code for kind in flags.KINDS)
    assert len({kind.code for kind in flags.KINDS}) == len(flags.KINDS) == 22


def test_an_unregistered_code_cannot_be_raised():
    with pytest.raises(KeyError):
        flags.flag("not_a_flag", "whatever")


def test_a_flag_takes_its_registered_severity_unless_told():
    assert flags.flag("unknown_numbers", "m")["severity"] == flags.NOTE
    assert flags.flag("too_long", "m", severity=flags.SERIOUS)["severity"] == flags.SERIOUS
    assert prompt.flag is flags.flag, "the summarizers' checks use the same registry"


@pytest.mark.parametrize("code", [kind.code for kind in flags.KINDS])
def test_the_queue_can_be_filtered_by_every_flag(admin_client, code):
    page = admin_client.get(f"/admin/papers/paper/?flag={code}")
    assert page.status_code == 200
    assert flags.label(code) in page.content.decode()
