"""Sections: one module per notebook, one ``show_*`` function per section of it.

Each function takes the notebook's :class:`~srim_analysis.report.publishing.Report`, calls
the analyses, publishes their tables and figures through the report and returns what the
notebook displays. The notebooks hold narrative, parameters and one call per section.
"""
