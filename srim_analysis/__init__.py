"""SRIM analysis toolkit: data contract, analyses, disclosure control and the notebook runner."""

__version__ = "0.1.0"
