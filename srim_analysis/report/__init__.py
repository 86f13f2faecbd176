"""The report layer: the one path from an analysis to a reader.

A notebook run starts a :class:`~srim_analysis.report.publishing.Report`; every table goes
out through it (small cells suppressed, written as CSV) and every figure through its one
saving helper (:mod:`srim_analysis.report.figures`).
"""
