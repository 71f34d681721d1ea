"""The report as a PNG: one horizontal bar chart per choice question, Japanese labels included.

Uses matplotlib's object API with the Agg canvas directly, so nothing touches
pyplot's global state or the process-wide backend. The Japanese font is the
IPAexGothic file shipped inside matplotlib-fontja, loaded by path: importing
that package would rewrite global rcParams as a side effect.
"""

from __future__ import annotations

import importlib.util
import io
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.i18n import t
from bot.surveys.definitions import CHOICE_KINDS, Survey
from bot.surveys.report import MIN_CELL, SurveyReport, format_mean

_FIGURE_WIDTH_INCHES = 8.0
_DPI = 100
_BAR_COLOR = "#2f6f9f"

if TYPE_CHECKING:  # matplotlib itself is imported when a chart is drawn: it is heavy to carry idle
    from matplotlib.font_manager import FontProperties


@lru_cache(maxsize=1)
def japanese_font() -> FontProperties:
    """IPAexGothic from matplotlib-fontja's package data, registered with matplotlib once."""
    from matplotlib import font_manager

    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib-fontja is not installed; it provides the Japanese chart font")
    path = Path(spec.origin).parent / "fonts" / "ipaexg.ttf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def render_chart_png(report: SurveyReport, survey: Survey, lang: str = "ja") -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = japanese_font()
    pairs = [(q, r) for q, r in zip(survey.questions, report.questions) if q.kind in CHOICE_KINDS]
    # Each panel is as tall as its options need, so an 8-theme question is not squeezed.
    heights = [0.8 if result.suppressed else len(question.options) * 0.4 + 0.6
               for question, result in pairs] or [1.5]
    # Constrained layout keeps wrapped titles and long Japanese tick labels from overlapping.
    figure = Figure(figsize=(_FIGURE_WIDTH_INCHES, sum(heights) + 0.6), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(survey.title.get(lang), fontproperties=font, fontsize=13)
    if not pairs:
        axes = figure.add_subplot()
        _note(axes, t("surveys.report.chart_empty", lang), font)
    else:
        grid = figure.add_gridspec(len(pairs), 1, height_ratios=heights)
        for index, (question, result) in enumerate(pairs):
            axes = figure.add_subplot(grid[index])
            title = f"{t('surveys.report.question_label', lang)}) {question.text.get(lang)}"
            if result.mean is not None:
                title += f"  ({format_mean(result.mean)})"
            axes.set_title(_wrap(title, lang), fontproperties=font, fontsize=10, loc="left")
            if result.suppressed:
                _note(axes, t("surveys.report.chart_suppressed", lang, min=MIN_CELL), font)
                continue
            labels = [option.label.get(lang) for option in question.options]
            counts = [result.counts[option.id] for option in question.options]
            positions = range(len(labels))
            bars = axes.barh(positions, counts, color=_BAR_COLOR)
            axes.set_yticks(list(positions), labels)
            for label in axes.get_yticklabels():
                label.set_fontproperties(font)
            axes.invert_yaxis()  # first option on top, as in the survey
            axes.bar_label(bars, labels=[str(n) for n in counts], padding=3, fontproperties=font, fontsize=9)
            axes.set_xlim(0, max(max(counts), 1) * 1.15)
            axes.xaxis.set_visible(False)
            for side in ("top", "right", "bottom"):
                axes.spines[side].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _note(axes, text: str, font: FontProperties) -> None:
    axes.axis("off")
    axes.text(0.5, 0.5, text, ha="center", va="center", fontproperties=font, fontsize=10, color="#666666",
              transform=axes.transAxes)


def _wrap(text: str, lang: str) -> str:
    # Japanese has no spaces to break at, so wrap by character count (full-width glyphs are wide).
    return "\n".join(textwrap.wrap(text, width=38 if lang == "ja" else 80)) or text
