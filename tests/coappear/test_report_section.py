"""The report's co-appearance section, from the small hand-made case folder."""

from __future__ import annotations

from forensic._cli import main
from forensic.report import build_report


def test_section_with_pairs_timelines_and_limits(small_case):
    assert main(["coappear", str(small_case), "-q"]) == 0
    html = open(build_report(str(small_case), pdf=False).html, encoding="utf-8").read()
    section = html[html.index('id="coappearance"') :]
    section = section[: section.index("</section>")]
    assert "P1+P2: 4 segments, 3 files, 3 cameras" in section
    assert "P3+P4: 2 segments" in section
    assert section.count('alt="timeline of pair') == 2
    assert "A pointer for review, not a finding" in section and "know each other" in section
    assert "twins or look-alikes" in section and "small, turned" in section
    assert "2026-03-01T09:30:00.000Z" in section  # wall clock of a.mp4's first segment (creation time)
    assert "single-linkage" in section and "0.6" in section


def test_section_says_when_not_run(small_case):
    html = open(build_report(str(small_case), pdf=False).html, encoding="utf-8").read()
    assert "Co-appearance was not run on this case" in html


def test_unreadable_table_is_said_not_fatal(small_case):
    assert main(["coappear", str(small_case), "-q"]) == 0
    (small_case / "coappearance.csv").write_text("pair,identity_1\nP1+P2,P1\n")  # columns missing
    html = open(build_report(str(small_case), pdf=False).html, encoding="utf-8").read()
    assert "the co-appearance tables cannot be read" in html
