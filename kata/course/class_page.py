"""class.html: one page on the whole class, for the instructor. It stands alone (no script, no
file or font from elsewhere; the charts are inline SVG), so it opens from the folder in any
browser, prints, and fits a phone's width. Everything a student chose (names, and the messages
about their code) is escaped."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from ..catalogue.course import Exercise, course
from ..feedback.render import points
from ..files import write_atomically, write_csv
from ..grading.results import RunResult
from ..outcomes import Status
from .class_picture import (
    STATUSES, ClassPicture, ExerciseSummary, Student, class_picture, exercises_csv, mistakes_csv,
)
from .intake import Submission

LABELS = {Status.PASS: "passed", Status.FAIL: "failed", Status.ERROR: "error", Status.TIMEOUT: "timed out",
          Status.NOT_STARTED: "not started"}
COLORS = {Status.PASS: "#2e7d32", Status.FAIL: "#e65100", Status.ERROR: "#8e24aa", Status.TIMEOUT: "#1565c0",
          Status.NOT_STARTED: "#9e9e9e"}
SLOWEST = 5  # exercises listed under "Slowest exercises"
EXAMPLE_LINES = 12  # of a mistake's example message

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222;
       line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .25rem .4rem; border-bottom: 1px solid #eee; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; }
svg { display: block; max-width: 100%; height: auto; }
#totals svg { max-width: 40rem; }
.key span { display: inline-block; margin-right: 1rem; white-space: nowrap; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: -.05em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .4rem; font-size: .8rem;
      margin: .3rem 0; }
.mistake { margin: .6rem 0 1rem; break-inside: avoid; }
.who { font-size: .85rem; color: #444; overflow-wrap: anywhere; }
.none { color: #555; font-style: italic; }
@media (max-width: 40rem) { body { padding: .5rem; } table { font-size: .7rem; } th, td { padding: .1rem; }
                            td:first-child { max-width: 6.5rem; overflow-wrap: anywhere; }
                            .bar, .key { display: none; } }
@media print { body { max-width: none; } h2 { break-after: avoid; } pre { background: none; border: 1px solid #ccc; }
               .bar rect { print-color-adjust: exact; -webkit-print-color-adjust: exact; } }
"""


def write_class_files(out: Path, exercises: list[Exercise], done: list[tuple[Submission, RunResult]]) -> None:
    """out/class.html, out/mistakes.csv and out/exercises.csv: the class as a whole."""
    picture = class_picture(exercises, done)
    write_csv(out / "mistakes.csv", mistakes_csv(picture))
    write_csv(out / "exercises.csv", exercises_csv(picture))
    write_atomically(out / "class.html", class_page(picture))


def class_page(picture: ClassPicture) -> str:
    title = f"{course().title}: the class"
    sections = [_totals(picture), _exercises(picture), _mistakes(picture), _changed(picture), _slowest(picture)]
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n"
            f"<p>{len(picture.totals)} submissions, graded on {len(picture.exercises)} exercises worth "
            f"{points(picture.max_score)} points.</p>\n" + "\n".join(sections) + "\n</body>\n</html>\n")


def _who(students: list[Student]) -> str:
    return ", ".join(escape(s.id) + (f" ({escape(s.name)})" if s.name != s.id else "") for s in students)


def _totals(picture: ClassPicture) -> str:
    """A histogram of the total scores: a bar per whole point, from 0 to full marks (a bar per few
    points on a long course); a score between two whole points counts in the lower one."""
    top = picture.max_score
    width = max(1.0, math.ceil(top / 30)) if top else 1.0
    bins = int(top // width) + 1
    counts = [0] * bins
    for _, score in picture.totals:
        counts[min(bins - 1, int(score // width))] += 1
    tallest = max(counts, default=0) or 1
    w, h, left, bottom = 600, 200, 30, 30
    step = (w - left) / bins
    bars = []
    for n, count in enumerate(counts):
        high = (h - bottom - 20) * count / tallest
        x, y = left + n * step, h - bottom - high
        low = n * width
        label = f"{points(low)}" if width == 1 else f"{points(low)} to {points(min(top, low + width))}"
        bars.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{step - 2:.1f}" height="{high:.1f}" fill="#546e7a">'
                    f"<title>{count} with {label} points</title></rect>")
        if count:
            bars.append(f'<text x="{x + step / 2:.1f}" y="{y - 4:.1f}" font-size="11" '
                        f'text-anchor="middle">{count}</text>')
        if bins <= 15 or n % math.ceil(bins / 15) == 0:
            bars.append(f'<text x="{x + step / 2:.1f}" y="{h - bottom + 14}" font-size="11" '
                        f'text-anchor="middle">{points(low)}</text>')
    axis = (f'<line x1="{left}" y1="{h - bottom}" x2="{w}" y2="{h - bottom}" stroke="#555"/>'
            f'<text x="{(left + w) / 2}" y="{h - 4}" font-size="12" text-anchor="middle">total points, of '
            f"{points(top)}</text>")
    scores = sorted(score for _, score in picture.totals)
    median = (f"Median {points(round(scores[len(scores) // 2], 2))} of {points(top)} points; "
              f"{sum(s == top for s in scores)} with full marks, {sum(s == 0 for s in scores)} with none.")
    return (f'<section id="totals"><h2>Total scores</h2>\n<p>{median if scores else "No submissions."}</p>\n'
            f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="How many submissions got each total">'
            f'{"".join(bars)}{axis}</svg></section>')


def _stacked(s: ExerciseSummary) -> str:
    total = sum(s.counts.values()) or 1
    x, parts = 0.0, []
    for status in STATUSES:
        share = 100 * s.counts[status] / total
        if share:
            parts.append(f'<rect x="{x:.2f}" y="0" width="{share:.2f}" height="10" fill="{COLORS[status]}">'
                         f"<title>{s.counts[status]} {LABELS[status]}</title></rect>")
        x += share
    return (f'<svg class="bar" viewBox="0 0 100 10" width="160" height="14" preserveAspectRatio="none">'
            f'{"".join(parts)}</svg>')


def _exercises(picture: ClassPicture) -> str:
    key = "".join(f'<span><i class="swatch" style="background:{COLORS[s]}"></i>{LABELS[s]}</span>' for s in STATUSES)
    head = "".join(f"<th>{LABELS[s]}</th>" for s in STATUSES)
    parts = [f'<section id="exercises"><h2>Exercises</h2>\n<p class="key">{key}</p>']
    for chapter in course().chapters:
        rows = [s for s in picture.exercises if s.exercise.chapter == chapter.number]
        if not rows:
            continue
        body = "".join(
            f"<tr><td>{s.exercise.id} {escape(s.exercise.name)}</td><td class=\"text bar\">{_stacked(s)}</td>"
            + "".join(f"<td>{s.counts[status]}</td>" for status in STATUSES)
            + f"<td>{s.mean_score:.3g} / {points(s.exercise.points)}</td></tr>" for s in rows)
        parts.append(f"<h3>{escape(chapter.title)}</h3>\n<div class=\"wide\"><table>"
                     f"<tr><th>exercise</th><th class=\"bar\"></th>{head}<th>mean score</th></tr>{body}</table></div>")
    parts.append("</section>")
    return "\n".join(parts)


def _mistakes(picture: ClassPicture) -> str:
    parts = ['<section id="mistakes"><h2>Mistakes</h2>\n<p>The mistakes the tests named, by exercise, the most '
             "made first: how many submissions made each, one message as a student read it, and who made it.</p>"]
    for s in picture.exercises:
        if not s.mistakes:
            continue
        parts.append(f"<h3>{s.exercise.id} {escape(s.exercise.name)}</h3>")
        for m in s.mistakes:
            lines = m.example.splitlines()
            example = "\n".join(lines[:EXAMPLE_LINES]) + ("\n[...]" if len(lines) > EXAMPLE_LINES else "")
            parts.append(f'<div class="mistake"><b>{len(m.students)}</b> &times; <code>{escape(m.id)}</code>: '
                         f"{escape(m.words)}\n<pre>{escape(example)}</pre>\n"
                         f'<div class="who">{_who(m.students)}</div></div>')
    if len(parts) == 1:
        parts.append('<p class="none">No test named a mistake.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _changed(picture: ClassPicture) -> str:
    if not picture.changed:
        body = '<p class="none">None: every submission was graded with the kata\'s own tests.</p>'
    else:
        groups: dict[tuple[str, ...], list[Student]] = {}
        for student, files in picture.changed:  # the same files for a whole batch, usually
            groups.setdefault(files, []).append(student)
        body = "<ul>" + "".join(
            f"<li>{escape(', '.join(files))}: {len(who)} submission{'s' if len(who) != 1 else ''}"
            f' <span class="who">({_who(who)})</span></li>' for files, who in groups.items()) + "</ul>"
    return (f'<section id="changed"><h2>Submissions graded with changed tests</h2>\n<p>Their grades may differ from '
            f"an official grade: the kata's files listed differ from its manifest.</p>\n{body}</section>")


def _slowest(picture: ClassPicture) -> str:
    timed = sorted((s for s in picture.exercises if s.slowest is not None), key=lambda s: -s.slowest[0])[:SLOWEST]
    rows = "".join(f"<tr><td>{s.exercise.id} {escape(s.exercise.name)}</td><td>{s.slowest[0]:.1f} s</td>"
                   f'<td class="text">{_who([s.slowest[1]])}</td></tr>' for s in timed)
    return (f'<section id="slowest"><h2>Slowest exercises</h2>\n<p>The longest time one submission took on an '
            f"exercise (its whole test process), the slowest first.</p>\n<div class=\"wide\"><table><tr><th>exercise"
            f"</th><th>seconds</th><th>submission</th></tr>{rows}</table></div></section>")
