"""Charts: the house style and the drawings made from analysis tables.

Charts return matplotlib figures; saving them (formats, stamp, manifest) is the report
layer's job. Nothing here imports the report layer.
"""
