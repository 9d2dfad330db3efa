"""Bad PDFs cannot hang or crash a worker, and a broken media folder loses nothing."""

import os
import random
import time

import pytest

from papers import pipeline
from papers.ingest import isolation
from papers.ingest.pdf import PdfError
from papers.models import Paper

from .conftest import corpus_cases, shared_pdfs
from .factories import SAMPLES, sample_pdf
from .test_pipeline import SAMPLE, make_paper

Stage = Paper.Stage


def loop_forever():
    while True:
        pass


def eat_memory():
    return bytearray(2 * 2**30)


def refuse():
    raise PdfError("not a readable PDF: test")


def abort():
    os.abort()


def test_a_hang_is_stopped_at_the_timeout():
    started = time.monotonic()
    with pytest.raises(isolation.IsolatedError, match="took longer than 1 s"):
        isolation.run_isolated(loop_forever, timeout=1, memory_bytes=2**28)
    assert time.monotonic() - started < 5


def test_memory_is_capped():
    with pytest.raises(isolation.IsolatedError, match="ran out of memory"):
        isolation.run_isolated(eat_memory, timeout=10, memory_bytes=2**28)


def test_expected_errors_come_back_as_they_are_and_crashes_are_reported():
    with pytest.raises(PdfError, match="not a readable PDF: test"):
        isolation.run_isolated(refuse, timeout=10, memory_bytes=2**28, expected=(PdfError,))
    with pytest.raises(isolation.IsolatedError, match="crashed"):
        isolation.run_isolated(abort, timeout=10, memory_bytes=2**28)
    assert isolation.run_isolated(sum, [1, 2, 3], timeout=10, memory_bytes=2**28) == 6


def mutate(data, rng):
    kind = rng.choice(["flip", "truncate", "splice", "zero"])
    data = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 200)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        data = data[: rng.randrange(16, len(data))]
    elif kind == "splice":
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        c = rng.randrange(len(data))
        data[c:c] = data[a:b][:50000]
    else:
        a = rng.randrange(len(data))
        data[a:a + rng.randint(1, 5000)] = bytes(min(5000, len(data) - a))
    return bytes(data), kind


# The real PDFs: 300 mutants in four chunks that test workers share (about 60 s each). The project's samples,
# small and alike, in one chunk of 50.
CORPUS_MUTANTS, CORPUS_CHUNKS, SAMPLE_MUTANTS = 300, 4, 50
SAMPLE_SOURCES = [sample_pdf(n) for n in range(1, 7)] + [SAMPLES / name for name in ("two_column.pdf", "scanned.pdf")]


@pytest.mark.parametrize("sources, first, count", corpus_cases(
    core=[("samples", 0, SAMPLE_MUTANTS)],
    shared=[("shared", chunk * CORPUS_MUTANTS // CORPUS_CHUNKS, CORPUS_MUTANTS // CORPUS_CHUNKS)
            for chunk in range(CORPUS_CHUNKS)],
))
def test_mutated_pdfs_always_end_in_a_clean_state(topic, fake_arxiv, settings, sources, first, count):
    """Mutated copies of sample PDFs, seeded: each ends in review or failed with a message."""
    settings.PDF_EXTRACT_TIMEOUT_SECONDS = 20
    sources = [p.read_bytes() for p in (shared_pdfs() if sources == "shared" else SAMPLE_SOURCES)]
    rng = random.Random(20261126 + first)
    outcomes = {}
    for n in range(first, first + count):
        data, kind = mutate(rng.choice(sources), rng)
        paper = make_paper(topic, fake_arxiv, SAMPLE, arxiv_id=f"2401.{n:05d}")
        fake_arxiv.pdfs[f"/pdf/2401.{n:05d}v1"] = data
        state = pipeline.process_paper(paper.pk)
        paper.refresh_from_db()
        assert state in (Stage.DRAFTED, Stage.FAILED), (n, kind, state, paper.error)
        if state == Stage.FAILED:
            assert paper.error and paper.failed_step in ("download", "extract"), (n, kind, paper.error)
        outcomes[state] = outcomes.get(state, 0) + 1
    print(f"\nmutated PDFs: {outcomes}")
    assert outcomes.get(Stage.FAILED, 0) > 0 and outcomes.get(Stage.DRAFTED, 0) > 0


def test_an_unwritable_media_folder_waits_with_a_message_and_resumes_once_fixed(topic, fake_arxiv, settings):
    from django.utils import timezone

    paper = make_paper(topic, fake_arxiv, SAMPLE)
    blocker = settings.MEDIA_ROOT / "figures"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the figures folder should be")
    assert pipeline.process_paper(paper.pk) == Stage.DOWNLOADED
    paper.refresh_from_db()
    assert "could not be written under MEDIA_ROOT" in paper.error and paper.attempts == 1
    blocker.unlink()
    Paper.objects.filter(pk=paper.pk).update(claimed_until=timezone.now())
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
    assert paper.figures.count() == 2


def test_a_trickling_pdf_host_is_cut_off_at_one_deadline_for_the_whole_download(topic, fake_arxiv, settings):
    settings.PDF_DOWNLOAD_TIMEOUT_SECONDS = 2
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    # 2 KB every 0.2 s: every read gets bytes well inside the timeout, and the 172 KB PDF would take 17 s.
    fake_arxiv.trickle = (2048, 0.2)
    started = time.monotonic()
    assert pipeline.process_paper(paper.pk) == Stage.FETCHED
    took = time.monotonic() - started
    paper.refresh_from_db()
    assert "took over 2 s (PDF_DOWNLOAD_TIMEOUT_SECONDS); stopped" in paper.error and paper.attempts == 1
    assert took < 12, f"stopped after {took:.1f} s, not at the deadline"
    assert not list(settings.MEDIA_ROOT.rglob("*.part")), "no partial file left behind"


@pytest.fixture
def tiny_disk(tmp_path):
    """A 100 KB tmpfs: a real full disk. Mounting needs root (CI runs as root); skipped elsewhere."""
    import subprocess

    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_waits_with_a_message_and_resumes_once_there_is_room(topic, fake_arxiv, settings, tiny_disk):
    import subprocess

    from django.utils import timezone

    settings.MEDIA_ROOT = tiny_disk / "media"
    paper = make_paper(topic, fake_arxiv, SAMPLE)
    assert pipeline.process_paper(paper.pk) == Stage.FETCHED
    paper.refresh_from_db()
    assert "could not be written under MEDIA_ROOT" in paper.error and "No space left on device" in paper.error
    assert paper.failed_step == "download" and paper.attempts == 1
    assert list(tiny_disk.rglob("*.part")) == [], "no half-written file is left behind"
    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
    Paper.objects.filter(pk=paper.pk).update(claimed_until=timezone.now())
    assert pipeline.process_paper(paper.pk) == Stage.DRAFTED
