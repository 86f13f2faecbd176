"""Import coded qualitative data from QDA packages into the study's tables.

One entry point, whatever the package::

    from srim_analysis.analyses.qda import read_qda

    result = read_qda("interviews.qdpx")
    result.codebook, result.coded_segments, result.sources, result.cases  # DataFrames
    result.report  # level, kind, item, message: what was read, skipped, or looks wrong
    result.write("data/private/qda")  # codebook.csv, coded_segments.csv, ...

or on the command line ``srim import-qda FILE --out DIR`` (:func:`cli`). To merge an export
into a study folder (codings linked to sites and participants, ids pseudonymised with the
key, a newer export replacing the previous one), ``srim import-qda FILE --into STUDY`` or
:func:`merge_into` (see :mod:`srim_analysis.analyses.qda.merge`).

Formats read (detected from the extension, then from the contents):

========================  ==========================================================
``refi-qdpx``             REFI-QDA project: ``.qdpx`` (NVivo, ATLAS.ti, MAXQDA,
                          QualCoder, ...), an unzipped project folder, or a ``.qde``
``refi-qdc``              REFI-QDA codebook ``.qdc`` (codes and sets only)
``qualcoder``             QualCoder project folder, or its ``data.qda``
``taguette-sqlite``       Taguette project copy ``.sqlite3``
``taguette-highlights``   Taguette highlights export ``.csv`` / ``.xlsx``
========================  ==========================================================

How vendor data become ``codebook``, ``coded_segments``, ``sources`` and ``cases`` is set
out in :mod:`srim_analysis.analyses.qda.tables`; how selection offsets are checked and which vendor
counting habits are recognised, in :mod:`srim_analysis.analyses.qda.offsets`.

Problems never pass silently. A file that cannot be read at all (not a zip, not
well-formed XML, no ``project.qde``, not the expected database) raises
:class:`QdaFormatError` naming the file and the problem. Anything else — a missing source
file, an unknown element, an excerpt that does not match the vendor's stored text, a code
reference to nowhere — is a :class:`QdaImportWarning` and a row of ``result.report``
(columns level, kind, item, message), and the rest is imported. Things deliberately not
imported (media sources, notes, graphs, codes applied to whole sources) are listed in the
report with level ``skipped``.
"""

from __future__ import annotations

from ._model import FORMATS, QdaFormatError, QdaImportWarning
from .command import cli
from .merge import MAPPING_FILE, MergeError, MergeOutcome, merge_into
from .reading import detect_format, read_qda
from .tables import A_PRIORI_BRANCHES, QdaImport

__all__ = [
    "A_PRIORI_BRANCHES",
    "FORMATS",
    "MAPPING_FILE",
    "MergeError",
    "MergeOutcome",
    "QdaFormatError",
    "QdaImport",
    "QdaImportWarning",
    "cli",
    "detect_format",
    "merge_into",
    "read_qda",
]
