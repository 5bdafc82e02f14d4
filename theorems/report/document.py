"""A small document model and its two renderings: GitHub-flavoured markdown and one HTML file.

The HTML file carries its own styles and no scripts; its images reference the PNG files beside it
(``figures/<claim-id>.png``) by relative path, as the markdown does, so each figure's bytes exist once.

The report's content is built once (:mod:`theorems.report.content`) as a list of blocks whose text
is a list of inline parts; :func:`to_markdown` and :func:`to_html` only decide how each part looks.
Every piece of text is escaped here, so content code never handles markup.
"""

from __future__ import annotations

import html
import re
import struct
from dataclasses import dataclass, field
from typing import Union

from theorems.core.text import duration
from theorems.core.verdict import Verdict


# ---- inline parts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerdictBadge:
    """A verdict badge: coloured in HTML, upper-case bold in markdown (except ``confirmed``)."""

    value: str


@dataclass(frozen=True)
class Seconds:
    """A timing: the only non-deterministic text in a report, so it is marked as such."""

    value: float | None


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Code:
    """A formula or identifier, shown verbatim in a monospace font."""

    text: str


@dataclass(frozen=True)
class Anchor:
    """Text that is also a link target, e.g. an inventory row's id (``report.html#003-05``)."""

    text: str


@dataclass(frozen=True)
class Link:
    """A link to an anchor in the same report, or in the file ``page`` beside it (``report.md``)."""

    text: str
    anchor: str
    page: str = ""


Inline = Union[str, VerdictBadge, Seconds, Strong, Code, Anchor, Link]
Text = list[Inline]


# ---- blocks -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    level: int  # 1..4
    text: Text
    anchor: str | None = None  # HTML id; equal to GitHub's slug of the text where it matters


@dataclass(frozen=True)
class Paragraph:
    text: Text


@dataclass(frozen=True)
class Bullets:
    items: list[Text]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Text]]
    css_class: str | None = None  # HTML only


@dataclass(frozen=True)
class Image:
    path: str  # relative to the report, e.g. "figures/<claim-id>.png": both renderings reference the file
    png: bytes  # its bytes, which give the HTML its width and height
    alt: str


@dataclass(frozen=True)
class Card:
    """A boxed group of blocks (one finding); in markdown only its blocks appear."""

    verdict: str
    blocks: list["Block"] = field(default_factory=list)


Block = Union[Heading, Paragraph, Bullets, Table, Image, Card]


def format_seconds(value: float | None) -> str:
    return "—" if value is None else duration(value)


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading with this text (lower case, punctuation dropped)."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


# ---- markdown -----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~#])")


def _md_text(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _md_code(text: str, in_table: bool) -> str:
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    if in_table:  # GFM splits table cells before reading code spans
        padded = padded.replace("|", "\\|")
    return f"{fence}{padded}{fence}"


def _md_inline(text: Text, in_table: bool = False) -> str:
    out = []
    for part in text:
        if isinstance(part, str):
            out.append(_md_text(part))
        elif isinstance(part, VerdictBadge):
            value = _md_text(part.value)
            out.append(value if part.value == Verdict.CONFIRMED else f"**{value.upper()}**")
        elif isinstance(part, Seconds):
            out.append(format_seconds(part.value))
        elif isinstance(part, Strong):
            out.append(f"**{_md_text(part.text)}**")
        elif isinstance(part, Code):
            out.append(_md_code(part.text, in_table))
        elif isinstance(part, Anchor):  # GitHub keeps the id (as user-content-<id>) and scrolls to it
            out.append(f'<a id="{html.escape(part.text)}"></a>{_md_text(part.text)}')
        elif isinstance(part, Link):
            out.append(f"[{_md_text(part.text)}]({part.page}#{part.anchor})")
        else:
            raise TypeError(f"unknown inline part {part!r}")
    return "".join(out)


def _md_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {_md_inline(block.text)}"
    if isinstance(block, Paragraph):
        return _md_inline(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_inline(item)}" for item in block.items)
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(_md_text(h) for h in block.header) + " |",
            "|" + "|".join(" --- " for _ in block.header) + "|",
        ]
        lines += ["| " + " | ".join(_md_inline(cell, in_table=True) for cell in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Image):
        return f"![{_md_text(block.alt)}]({block.path})"
    if isinstance(block, Card):
        return "\n\n".join(_md_block(b) for b in block.blocks)
    raise TypeError(f"unknown block {block!r}")


def to_markdown(blocks: list[Block]) -> str:
    return "\n\n".join(_md_block(b) for b in blocks) + "\n"


# ---- HTML ---------------------------------------------------------------------------------------
_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa;
        --ok: #1a7f37; --bad: #cf222e; --cond: #9a6700; --unk: #59636e; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 24px 32px 64px; max-width: 1180px; color: var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 1.9em; border-bottom: 1px solid var(--line); padding-bottom: .3em; }
h2 { font-size: 1.45em; border-bottom: 1px solid var(--line); padding-bottom: .25em; margin-top: 2em; }
h3 { font-size: 1.2em; margin-top: 1.6em; }
h4 { font-size: 1em; margin: 1.2em 0 .4em; }
ul { padding-left: 1.4em; }
li { margin: .2em 0; }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
       background: #eff1f3; border-radius: 4px; padding: .1em .35em; overflow-wrap: break-word; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
.table-wrap { overflow-x: auto; margin: .6em 0 1em; }
table { border-collapse: collapse; font-size: .88em; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--head); }
tbody tr:nth-child(even) { background: #fafbfc; }
td { max-width: 28em; overflow-wrap: break-word; }
table.summary td:nth-child(3) { min-width: 8em; overflow-wrap: anywhere; }  /* source: long file names */
table.summary td:nth-child(4) { min-width: 15em; }  /* statement */
table.summary td:nth-child(6) { min-width: 11em; }  /* measured vs stated */
.badge { display: inline-block; padding: 0 .6em; border-radius: 1em; font-size: .85em; font-weight: 600;
         line-height: 1.6; white-space: nowrap; color: #fff; }
.v-confirmed { background: var(--ok); }
.v-refuted { background: var(--bad); }
.v-conditional { background: var(--cond); }
.v-inconclusive, .v-other { background: var(--unk); }
.card { border: 1px solid var(--line); border-left: 6px solid var(--unk); border-radius: 6px;
        padding: 2px 18px 8px; margin: 1em 0; }
.card.v-refuted { border-left-color: var(--bad); background: #fff8f8; }
.card.v-conditional { border-left-color: var(--cond); background: #fffdf3; }
.card.v-inconclusive { background: #f8f9fa; }
.card.v-confirmed { border-left-color: var(--ok); }
.card h3 { margin-top: .8em; }
figure { margin: 1em 0; }
img { max-width: 100%; height: auto; border: 1px solid var(--line); }
.time { color: var(--muted); white-space: nowrap; }
:target, tr:has(:target) { background: #fff8c5; }
"""

def _verdict_class(verdict: str) -> str:
    return f"v-{verdict}" if verdict in set(Verdict) else "v-other"


def _html_inline(text: Text) -> str:
    out = []
    for part in text:
        if isinstance(part, str):
            out.append(html.escape(part))
        elif isinstance(part, VerdictBadge):
            out.append(f'<span class="badge {_verdict_class(part.value)}">{html.escape(part.value)}</span>')
        elif isinstance(part, Seconds):
            out.append(f'<span class="time">{html.escape(format_seconds(part.value))}</span>')
        elif isinstance(part, Strong):
            out.append(f"<strong>{html.escape(part.text)}</strong>")
        elif isinstance(part, Code):
            out.append(f"<code>{html.escape(part.text)}</code>")
        elif isinstance(part, Anchor):
            out.append(f'<span id="{html.escape(part.text)}">{html.escape(part.text)}</span>')
        elif isinstance(part, Link):
            out.append(f'<a href="{html.escape(part.page)}#{html.escape(part.anchor)}">{html.escape(part.text)}</a>')
        else:
            raise TypeError(f"unknown inline part {part!r}")
    return "".join(out)


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{_html_inline(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{_html_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_html_inline(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
        body = "\n".join("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        css_class = f' class="{html.escape(block.css_class)}"' if block.css_class else ""
        return f'<div class="table-wrap"><table{css_class}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>'
    if isinstance(block, Image):  # the file beside the report, not a copy of its bytes (the report stays small)
        width, height = struct.unpack(">II", block.png[16:24])  # the PNG header (IHDR) gives the size
        return (
            f'<figure><img src="{html.escape(block.path)}" alt="{html.escape(block.alt)}" '
            f'width="{width}" height="{height}"></figure>'
        )
    if isinstance(block, Card):
        inner = "\n".join(_html_block(b) for b in block.blocks)
        return f'<section class="card {_verdict_class(block.verdict)}">\n{inner}\n</section>'
    raise TypeError(f"unknown block {block!r}")


def to_html(blocks: list[Block], title: str) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
