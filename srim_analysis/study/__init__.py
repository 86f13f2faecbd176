"""The study: its data contract, loading and validation, the synthetic study and blank templates.

The first stage of the flow. Everything downstream reads a study through
:func:`srim_analysis.study.loading.load_study`; nothing here knows about analyses, figures
or reports.
"""
