"""Benchmark: reading every part of a .docx and writing its accepted version stay linear, however
many distinct originals the proposal replaces.

    python bench/bench_documents.py [--sizes 2000,20000]

A .docx is built with one paragraph per finding: "連絡先 090-xxxx-xxxx です" with a distinct number
each, plus a tracked insertion, a deletion and a hidden run. For each size the run reads it whole
(documents.read_document) and writes its accepted version with every number replaced
(pseudonymisation.replace_in_docx, a proposal with as many replacements as paragraphs). The
checker is not run: its own benchmark is bench_anonymisation.py. Printed: time per paragraph of each
size divided by the smallest size's (a linear reader and rewrite stay near 1.0; goal ≤ 1.5). Before
the one-pass search the rewrite took 66 s for 1,000 replacements.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.documents import read_document  # noqa: E402
from bot.core.pseudonymisation import Proposal, Replacement, replace_in_docx  # noqa: E402

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
GOAL = 1.5


def numbers(count: int) -> list[str]:
    return [f"090-{index // 10000:04d}-{index % 10000:04d}" for index in range(count)]


def package(count: int) -> bytes:
    paragraphs = "".join(
        f'<w:p><w:r><w:t>連絡先 {number} です</w:t></w:r><w:ins w:id="{index}" w:author="x"><w:r><w:t>。</w:t>'
        f'</w:r></w:ins><w:del w:id="d{index}" w:author="x"><w:r><w:delText>旧</w:delText></w:r></w:del>'
        '<w:r><w:rPr><w:vanish/></w:rPr><w:t>隠</w:t></w:r></w:p>'
        for index, number in enumerate(numbers(count)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}">'
                                              f"<w:body>{paragraphs}</w:body></w:document>")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="paragraphs (= replacements), comma-separated")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    per_paragraph = {}
    for size in sizes:
        data = package(size)
        proposal = Proposal("", tuple(Replacement("phone", number, "***-****-****", index + 1, 5)
                                      for index, number in enumerate(numbers(size))))
        started = time.perf_counter()
        read_document(data, "case.docx")
        read = time.perf_counter() - started
        started = time.perf_counter()
        accepted = replace_in_docx(data, proposal)
        rewrite = time.perf_counter() - started
        assert b"090-0000-0001" not in accepted and b"w:del " not in accepted
        per_paragraph[size] = (read / size, rewrite / size)
        print(f"{size:>7} paragraphs: read {read:.2f} s, accepted version {rewrite:.2f} s")
    smallest = per_paragraph[sizes[0]]
    worst = 1.0
    for size in sizes[1:]:
        ratios = [per_paragraph[size][i] / smallest[i] for i in (0, 1)]
        worst = max(worst, *ratios)
        print(f"time per paragraph at {size} vs {sizes[0]}: read {ratios[0]:.2f}×, accepted version "
              f"{ratios[1]:.2f}× (goal ≤ {GOAL})")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
