"""The analyses: pure functions on the study's tables, returning tables and plain results.

One module per method or objective (comparison, funnel limits, typology, configurations and
QCA, survey statistics, qualitative coding, the Framework matrix, the transfer blueprint,
QDA import). They never import the report layer, the sections or the runner.
"""
