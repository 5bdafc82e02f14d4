"""The report writer (theorems.report) on a hand-written results.json covering every verdict,
both figure kinds, behaviour labels, non-finite values and missing intervals/traces."""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pytest

from theorems.core.claim import Figure
from theorems.core.results import Coverage, DecidedBy, Point, Results, ResultsError, RowResult
from theorems.core.text import document_title, format_params, telling_point
from theorems.report import render_figures, update_index, write_report

FIXTURE = Path(__file__).parent / "fixtures" / "results_example.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
EXTERNAL = re.compile(r"^\s*(https?:|//|file:)", re.IGNORECASE)


def load_results() -> Results:
    return Results.load(FIXTURE)


@pytest.fixture(scope="module")
def results() -> Results:
    return load_results()


@pytest.fixture(scope="module")
def written(results, tmp_path_factory) -> list[Path]:
    return write_report(results, tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(written) -> Path:
    return written[0].parent


def only_claims(*indices: int) -> Results:
    """The fixture reduced to some of its claims (each figure costs time)."""
    results = load_results()
    results.claims = [results.claims[i] for i in indices]
    return results


def mask_timings(text: str) -> str:
    text = re.sub(r'<span class="time">[^<]*</span>', '<span class="time">T</span>', text)
    return re.sub(r"\d+\.\d\d (s|ms|µs)\b", "T", text)


def markdown_section(markdown: str, heading: str) -> str:
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:] if end < 0 else markdown[start:end]


class TagChecker(HTMLParser):
    """Collects tags and attributes; records unbalanced or misnested end tags as errors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open tags {self.stack[-3:]}")
        else:
            self.stack.pop()


def parse_html(text: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.errors.append(f"unclosed tags {checker.stack}")
    return checker


# ---- content ------------------------------------------------------------------------------------
def test_write_report_returns_the_files_it_wrote(results, written, report):
    expected = {report / "report.md", report / "report.html", report / "errata.md"}
    expected |= {report / "figures" / f"{c.id}.png" for c in results.claims}
    assert set(written) == expected
    assert all(path.is_file() for path in written)


def test_every_claim_is_listed_in_markdown_and_html(results, report):
    markdown = (report / "report.md").read_text(encoding="utf-8")
    html = (report / "report.html").read_text(encoding="utf-8")
    for claim in results.claims:
        assert f"\n### {claim.id}\n" in markdown
        assert f"](figures/{claim.id}.png)" in markdown
        assert f'<h3 id="{claim.id}">{claim.id}</h3>' in html


def test_every_figure_is_a_valid_png(results, report):
    for claim in results.claims:
        path = report / "figures" / f"{claim.id}.png"
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        height, width = matplotlib.image.imread(path).shape[:2]
        assert width == 640 and height >= 400  # 6.4 x 4 in at 100 dpi, taller when the legend needs it


def test_html_is_well_formed_and_the_run_folder_self_contained(results, report):
    """report.html fetches nothing from elsewhere; its images are the run folder's figures, by relative path."""
    html = (report / "report.html").read_text(encoding="utf-8")
    checker = parse_html(html)
    assert checker.errors == []
    assert checker.doctype.lower() == "doctype html"
    tags = [tag for tag, _ in checker.tags]
    assert "script" not in tags and "link" not in tags
    for tag, attrs in checker.tags:
        for name in ("src", "href"):
            assert not EXTERNAL.match(attrs.get(name) or ""), f"<{tag} {name}={attrs.get(name)!r}> is external"
    images = [attrs for tag, attrs in checker.tags if tag == "img"]
    assert len(images) == len(results.claims)
    assert [attrs.get("src") for attrs in images] == [f"figures/{claim.id}.png" for claim in results.claims]
    for claim, attrs in zip(results.claims, images):
        height, width = matplotlib.image.imread(report / "figures" / f"{claim.id}.png").shape[:2]
        assert (attrs["width"], attrs["height"]) == (str(width), str(height))
    assert "url(" not in html and "@import" not in html
    ids = [attrs["id"] for _, attrs in checker.tags if "id" in attrs]
    assert len(ids) == len(set(ids))


def test_markdown_tables_keep_their_columns(report):
    """Every row of a markdown table has as many cells as its header (``|`` in text is escaped)."""
    lines = (report / "report.md").read_text(encoding="utf-8").splitlines()
    def cells(line: str) -> int:
        return len(re.findall(r"(?<!\\)\|", line)) - 1
    header_cells = None
    for line in lines:
        if not line.startswith("|"):
            header_cells = None
        elif header_cells is None:
            header_cells = cells(line)
        else:
            assert cells(line) == header_cells, line


def test_findings_give_counterexample_alternative_and_readings(results, report):
    findings = markdown_section((report / "report.md").read_text(encoding="utf-8"), "Findings")
    for claim in results.claims:
        if claim.verdict == "confirmed":
            assert f"### {claim.id} " not in findings
            continue
        assert f"### {claim.id} **{claim.verdict.upper()}**" in findings
        assert document_title(claim.source.document).replace("_", "\\_") in findings
        if claim.counterexample is not None:
            assert f"`{format_params(claim.counterexample.params)}`" in findings
        for alternative in claim.alternatives:
            if alternative.verdict == "confirmed":
                assert f"**Agrees instead with:** `{alternative.statement}`" in findings
        if len(claim.readings) > 1:
            for reading in claim.readings:
                assert f"| {reading.name} |" in findings
    refuted = next(c for c in results.claims if c.verdict == "refuted")
    assert "`width=64, depth=1`: measured 0.5021 \\[0.4893, 0.5149\\], stated 1 (−49.8%)" in findings
    assert refuted.alternatives[0].statement in findings


def test_findings_come_before_summary_and_claims(report):
    markdown = (report / "report.md").read_text(encoding="utf-8")
    positions = [markdown.index(f"\n## {name}\n") for name in ("Findings", "Summary", "Claims")]
    assert positions == sorted(positions)
    header = markdown[: positions[0]]
    for text in ("2026-11-22T01:00:00+00:00", "**Seed:** 0", "smoke", "x86\\_64 CPU", "float32", "torch 2.3.1",
                 "3f2a1c0", "12.30 s", "α = 0.01", "Bonferroni"):
        assert text in header


def test_summary_shows_the_most_telling_point(report):
    summary = markdown_section((report / "report.md").read_text(encoding="utf-8"), "Summary")
    assert "0.04771 \\[0.04661, 0.04881\\] vs 0.0625 at `problem=least_squares, B=16, N=64, d=5` (counterexample)" in summary
    assert "inf \\[nan, inf\\] vs 0.3125 at `lr=0.5, B=8, d=10`" in summary  # non-finite estimate is farthest off


def test_report_without_findings_says_so(tmp_path):
    results = only_claims(1)
    assert results.claims[0].verdict == "confirmed"
    write_report(results, tmp_path)
    assert "No findings: every claim was confirmed." in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_text_is_escaped(tmp_path):
    results = only_claims(0)
    claim = results.claims[0]
    claim.statement = "a | b <script>alert(1)</script> & c"
    claim.title = "x_1 * y_2 | z"
    write_report(results, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; c" in html
    assert parse_html(html).errors == []
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "`a \\| b <script>alert(1)</script> & c`" in markdown_section(markdown, "Summary")
    assert "x\\_1 \\* y\\_2 \\| z" in markdown


def test_evidence_table_is_capped_and_says_how_many_were_omitted(tmp_path):
    results = only_claims(2)
    claim = results.claims[0]
    template = claim.evidence[0]
    claim.evidence = [
        replace(template, params={"width": 64, "depth": depth}, verdict="refuted" if depth == 40 else "confirmed")
        for depth in range(1, 46)
    ]
    write_report(results, tmp_path)
    section = (tmp_path / "report.md").read_text(encoding="utf-8").split(f"\n### {claim.id}\n")[1]
    evidence = section.split("#### Evidence")[1].split("\n### ")[0]
    rows = [line for line in evidence.splitlines() if line.startswith("| 64 |")]
    assert len(rows) == 30
    assert any(row.startswith("| 64 | 40 |") for row in rows)  # refuted points are kept
    assert "15 of 45 points omitted" in evidence


def test_unusual_claims_still_render(tmp_path):
    """Default figure spec, no evidence, categorical x, all-null trace data: no crash, a figure each."""
    results = load_results()
    base, traced = results.claims[0], results.claims[3]
    results.claims = [
        replace(base, id="no-evidence", evidence=[], counterexample=None, figure=Figure()),
        replace(base, id="categorical-x", counterexample=None,
                evidence=[replace(p, params={"problem": name}) for p, name in zip(base.evidence, "abcabcab")],
                figure=replace(base.figure, x="problem", logx=True)),
        replace(traced, id="empty-traces",
                evidence=[replace(traced.evidence[0], trace={"x": [0, 1], "measured": ["nan", None], "stated": []})]),
    ]
    written = write_report(results, tmp_path)
    assert len(written) == 3 + 3
    assert "No evidence points." in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_maths_text_that_mathtext_cannot_parse_falls_back_to_plain_text(tmp_path):
    """A malformed ``$…$`` in a reading, a title or a label fails mathtext at drawing time: the
    figure is drawn with plain text instead, and the report is written."""
    results = load_results()
    base, traced = results.claims[0], results.claims[3]
    bad = r"rate $\frac{1}{$ bad"
    results.claims = [
        replace(base, id="bad-reading", evidence=[replace(p, reading=bad) for p in base.evidence]),
        replace(base, id="bad-label", figure=replace(base.figure, xlabel=r"w_{\frac}", ylabel=bad)),
        replace(traced, id="bad-panels",
                evidence=[replace(p, reading=f"{bad} {i % 2}") for i, p in enumerate(traced.evidence)]),
    ]
    written = write_report(results, tmp_path)
    assert len(written) == 3 + 3
    for png in written[3:]:
        assert png.read_bytes()[:8] == PNG_SIGNATURE


# ---- determinism --------------------------------------------------------------------------------
def test_two_reports_differ_only_in_timings(results, report, tmp_path):
    other = copy.deepcopy(results)
    other.run.seconds = 99.99
    for claim in other.claims:
        claim.seconds += 5.0
    write_report(other, tmp_path)
    for name in ("report.md", "report.html"):
        first = (report / name).read_text(encoding="utf-8")
        second = (tmp_path / name).read_text(encoding="utf-8")
        assert first != second  # the timings did change ...
        assert mask_timings(first) == mask_timings(second)  # ... and nothing else did
    for claim in results.claims:
        figure = Path("figures") / f"{claim.id}.png"
        assert (report / figure).read_bytes() == (tmp_path / figure).read_bytes()


def test_figures_drawn_in_worker_processes_are_the_same_bytes(results):
    claims = [replace(claim, id=f"{claim.id}-{copy_}") for copy_ in range(3) for claim in results.claims][:16]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the serial fallback warns
        in_workers = render_figures(claims, processes=2)
    assert in_workers == render_figures(claims)


def test_report_does_not_mutate_results(results):
    assert results == load_results()


# ---- headless browser ---------------------------------------------------------------------------
def test_html_renders_in_headless_chromium(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed: apt-get install -y chromium to run the browser check")
    shot = tmp_path / "shot.png"
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
        (report / "report.html").resolve().as_uri(),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert shot.is_file(), f"no screenshot (exit {completed.returncode}): {completed.stderr[-2000:]}"
    assert shot.read_bytes()[:8] == PNG_SIGNATURE
    assert shot.stat().st_size > 10_000


# ---- index and latest ---------------------------------------------------------------------------
def fake_run(root: Path, name: str, started: str, verdicts: list[str]) -> Path:
    """A run folder whose results are the fixture's first claim once per verdict."""
    run_dir = root / name
    run_dir.mkdir()
    base = load_results()
    results = Results(run=replace(base.run, seed=0, profile="smoke", device="cpu", started=started), rows=[],
                      claims=[replace(base.claims[0], id=f"claim-{i}", verdict=v) for i, v in enumerate(verdicts)])
    results.dump(run_dir / "results.json")
    (run_dir / "report.md").write_text("# report\n", encoding="utf-8")
    return run_dir


def latest_name(root: Path) -> str:
    link = root / "latest"
    if link.is_symlink():
        return os.readlink(link)
    return (root / "latest.txt").read_text(encoding="utf-8").strip()


def test_index_lists_runs_newest_first_and_points_latest_at_the_newest(tmp_path):
    older = fake_run(tmp_path, "2026-01-01-smoke", "2026-01-01T10:00:00+00:00", ["confirmed", "refuted"])
    newer = fake_run(tmp_path, "2026-02-01-full", "2026-02-01T10:00:00+00:00", ["confirmed", "confirmed"])
    (tmp_path / ".tmp-partial").mkdir()  # a run still being written
    (tmp_path / "notes").mkdir()  # not a run

    index = update_index(tmp_path, older)  # updating with an older run still points latest at the newest
    text = index.read_text(encoding="utf-8")
    assert index == tmp_path / "index.md"
    assert text.index("[2026-02-01-full](2026-02-01-full/report.md)") < text.index("[2026-01-01-smoke](")
    assert "| 1 confirmed, 1 refuted |" in text and "| 2 confirmed |" in text
    assert ".tmp-partial" not in text and "notes" not in text
    assert latest_name(tmp_path) == newer.name
    if (tmp_path / "latest").is_symlink():
        assert (tmp_path / "latest" / "results.json").is_file()

    assert update_index(tmp_path, newer).read_text(encoding="utf-8") == text  # idempotent; latest is not listed
    assert not list(tmp_path.glob(".*.tmp"))


def test_latest_falls_back_to_a_text_file_without_symlinks(tmp_path, monkeypatch):
    run_dir = fake_run(tmp_path, "run-a", "2026-01-01T10:00:00+00:00", ["confirmed"])

    def no_symlinks(*args, **kwargs):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    update_index(tmp_path, run_dir)
    assert not (tmp_path / "latest").exists()
    assert (tmp_path / "latest.txt").read_text(encoding="utf-8") == "run-a\n"


def test_index_rejects_a_run_outside_the_reports_folder(tmp_path):
    run_dir = fake_run(tmp_path, "run-a", "2026-01-01T10:00:00+00:00", ["confirmed"])
    with pytest.raises(ValueError, match="directly inside"):
        update_index(tmp_path / "elsewhere", run_dir)


def test_index_skips_runs_it_cannot_read(tmp_path):
    """Another schema version, a half-written results.json: left out of the index, not an error."""
    run_dir = fake_run(tmp_path, "2026-03-01-new", "2026-03-01T10:00:00+00:00", ["confirmed"])
    old = tmp_path / "2026-04-01-old-schema"
    old.mkdir()
    (old / "results.json").write_text(FIXTURE.read_text(encoding="utf-8").replace('"schema_version": 2',
                                                                                  '"schema_version": 1'))
    broken = tmp_path / "2026-05-01-broken"
    broken.mkdir()
    (broken / "results.json").write_text('{"schema_version": 2, "run": {', encoding="utf-8")

    with pytest.warns(UserWarning, match="not listed in"):
        text = update_index(tmp_path, run_dir).read_text(encoding="utf-8")
    assert "[2026-03-01-new](2026-03-01-new/report.md)" in text
    assert "old-schema" not in text and "broken" not in text
    assert latest_name(tmp_path) == run_dir.name
    with pytest.raises(ResultsError, match="schema_version 1"):
        update_index(tmp_path, old)  # the run just written must be readable


def test_index_skips_a_run_with_a_field_of_the_wrong_type_with_a_warning(tmp_path):
    """A hand-edited results.json (verdict 5, JSON nested too deeply) warns and is left out; it
    does not break the index update of every later run."""
    good = fake_run(tmp_path, "2026-03-01-good", "2026-03-01T10:00:00+00:00", ["confirmed"])
    edited = fake_run(tmp_path, "2026-04-01-edited", "2026-04-01T10:00:00+00:00", ["confirmed"])
    text = (edited / "results.json").read_text(encoding="utf-8")
    (edited / "results.json").write_text(text.replace('"verdict": "confirmed"', '"verdict": 5', 1))
    deep = tmp_path / "2026-05-01-deep"
    deep.mkdir()
    (deep / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.warns(UserWarning) as caught:
        index = update_index(tmp_path, good).read_text(encoding="utf-8")
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert "2026-04-01-edited" in messages[0] and "verdict should be a string, found int 5" in messages[0]
    assert "2026-05-01-deep" in messages[1] and "nested too deeply" in messages[1]
    assert "2026-03-01-good" in index and "edited" not in index and "deep" not in index
    assert latest_name(tmp_path) == good.name


def test_a_full_disk_leaves_the_old_index_and_no_temporary_file(tmp_path, monkeypatch):
    import errno

    run_dir = fake_run(tmp_path, "run-a", "2026-01-01T10:00:00+00:00", ["confirmed"])
    before = update_index(tmp_path, run_dir).read_text(encoding="utf-8")
    fake_run(tmp_path, "run-b", "2026-02-01T10:00:00+00:00", ["refuted"])

    def full(self, *args, **kwargs):  # the file is made, then the disk fills up
        self.touch()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError, match="No space left"):
        update_index(tmp_path, run_dir)
    assert (tmp_path / "index.md").read_text(encoding="utf-8") == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_rows_coverage_and_run_settings_are_reported(tmp_path):
    results = only_claims(2)
    claim = results.claims[0]
    claim.coverage = Coverage(points=57, design=8, explore=40, targeted=0, shrink=9,
                              parameters={"depth": {"min": 1, "max": 50, "domain": [1, 50]}})
    claim.atol = 0.001
    results.run = replace(results.run, git_revision=None, claims_file="my_claims.py")
    results.rows = [
        RowResult(id="002-07", document="002_relu.txt", section="4.1", verdict="refuted", claims=[claim.id],
                  decided_by=DecidedBy(claim.id), evidence="counterexample width=64, depth=1"),
        RowResult(id="002-08", document="002_relu.txt", section="", verdict="confirmed", claims=[claim.id, "other"],
                  decided_by=DecidedBy(claim.id), evidence=""),
    ]
    write_report(results, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    rows = markdown_section(markdown, "Rows")
    assert "(2), by document" in rows and "1 confirmed, 1 refuted." in rows
    assert '| <a id="002-07"></a>002-07 | 4.1 | **REFUTED** |' in rows and "counterexample width=64, depth=1 |" in rows
    assert '| <a id="002-08"></a>002-08 | — | confirmed |' in rows and "](#other) | — |" in rows
    assert "57 points (8 design, 40 space-filling, 9 shrinking)" in markdown
    assert "| ±5% + 0.001 |" in markdown_section(markdown, "Summary")
    assert "**Git revision:** — (not a git checkout)" in markdown
    assert "**Claims file:** `my_claims.py`" in markdown


def make_point(estimate, stated, margin) -> Point:
    return Point(reading="only", params={}, estimate=estimate, stated=stated, ci_low=estimate, ci_high=estimate,
                 se=None, detectable=None, margin=margin, samples=1, verdict="confirmed", design=True, origin="design")


def test_most_telling_point_is_the_one_closest_to_failing():
    far_below_bound = make_point(1e-8, 700.0, margin=1.0)
    near_bound = make_point(9.6, 10.1, margin=0.05)
    no_margin = make_point("diverges", "converges", margin=None)
    base = load_results().claims[1]
    claim = replace(base, counterexample=None, evidence=[far_below_bound, near_bound, no_margin])
    assert telling_point(claim) == (near_bound, False)
    assert telling_point(replace(base, counterexample=None, evidence=[no_margin])) == (no_margin, False)


# ---- navigation ---------------------------------------------------------------------------------
def test_html_has_contents_row_anchors_and_document_titles(report, results):
    """Each row id is an anchor (report.html#000-16); the contents list each document by its title,
    linking to its rows table, its rows and its claims; catalogue file names give way to titles."""
    html = (report / "report.html").read_text(encoding="utf-8")
    checker = parse_html(html)
    ids = {attrs["id"] for _, attrs in checker.tags if "id" in attrs}
    hrefs = [attrs["href"] for tag, attrs in checker.tags if tag == "a"]
    assert {row.id for row in results.rows} <= ids
    assert all(href.startswith("#") and href[1:] in ids for href in hrefs)
    contents = html[html.index('<h2 id="contents">'):html.index('<h2 id="findings">')]
    for row in results.rows:
        assert f'href="#{row.id}"' in contents
        assert document_title(row.document) in contents
    assert "Initialization (lecture slides)" in contents
    assert "000_7c5c639b47bbde7b.txt" not in html  # the catalogue's document, shown by title
    assert "002_1b7d9e0f4a3c2b65.txt" in html  # not the catalogue's: its file name is its title


def test_a_users_document_keeps_its_file_name():
    assert document_title("my_notes.txt") == "my_notes.txt"
    assert document_title("003_8575ef13f3bfe434.txt") == "11-685 Intro to Deep Learning - Training (course notes)"


# ---- size ---------------------------------------------------------------------------------------
def test_each_figure_is_written_once(tmp_path):
    """Many figures: every PNG's bytes appear once across report.html and figures/, and report.html
    stays far smaller than the figures it shows."""
    results = load_results()
    results.claims = [replace(results.claims[0], id=f"claim-{i:02d}") for i in range(12)]
    write_report(results, tmp_path)
    html = (tmp_path / "report.html").read_bytes()
    pngs = {path.name: path.read_bytes() for path in (tmp_path / "figures").iterdir()}
    assert len(pngs) == len(set(pngs.values())) == 12  # each figure's title names its claim
    for name, png in pngs.items():
        assert png[:64] not in html and base64.b64encode(png)[:64] not in html
        assert html.count(f'src="figures/{name}"'.encode()) == 1
    figures = list((tmp_path / "figures").iterdir())
    assert len(html) < sum(path.stat().st_size for path in figures)
