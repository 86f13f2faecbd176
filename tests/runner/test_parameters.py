"""A notebook's parameters: its parameters cell read, and -p and settings values parsed."""

from __future__ import annotations

import nbformat
import pytest

from srim_analysis.runner import parameters
from srim_analysis.runner.errors import RunError
from srim_analysis.runner.parameters import (
    check_value,
    declared_type,
    inspect_notebook,
    parse_assignments,
    parse_value,
)
from tests.runner.conftest import FIXTURES


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("5", None, 5),
        ("2.5", None, 2.5),
        ("True", None, True),
        ("None", None, None),
        ("hello", None, "hello"),
        ("01", "str", "01"),  # text parameters keep text: site ids stay as written
        ("'quoted'", "str", "quoted"),
        ("7", "int", 7),
        ("7", "float", 7.0),
        ("yes", "bool", True),
        ("False", "bool", False),
        ("None", "int", None),
        ("[1, 2]", "list", [1, 2]),
    ],
)
def test_values_are_parsed_like_papermill(text, declared, expected):
    value = parse_value(text, declared)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "declared"), [("ten", "int"), ("1.5", "int"), ("x", "bool")])
def test_values_of_the_wrong_type_are_refused(text, declared):
    with pytest.raises(ValueError):
        parse_value(text, declared)


@pytest.mark.parametrize(
    ("value", "declared", "expected"),
    [
        (3, "float", 3.0),
        ("4", "int", 4),
        ([1], "list", [1]),
        (None, "int", None),
        ("x", "str", "x"),
    ],
)
def test_settings_values_are_checked_against_the_declared_type(value, declared, expected):
    checked = check_value(value, declared)
    assert checked == expected and type(checked) is type(expected)


@pytest.mark.parametrize(("value", "declared"), [(True, "int"), (1.5, "int"), ("x", "bool")])
def test_settings_values_of_the_wrong_type_are_refused(value, declared):
    with pytest.raises(ValueError):
        check_value(value, declared)


def test_the_declared_type_is_that_of_the_default():
    assert declared_type("5") == "int"
    assert declared_type('"all"') == "str"
    assert declared_type("None") == "NoneType"
    assert declared_type("Path('x')") is None  # an expression: no declared type


def test_assignments_are_name_value_pairs():
    assert parse_assignments(["a=1", " 03.b =x=y"]) == {"a": "1", "03.b": "x=y"}
    with pytest.raises(RunError, match="write parameters as NAME=VALUE"):
        parse_assignments(["=1"])


def test_a_notebook_is_inspected_for_its_parameters_and_metadata():
    echo = inspect_notebook(FIXTURES / "00_echo.ipynb")
    assert echo.name == "00_echo" and echo.number == "00"
    assert echo.per_site and echo.title == "Echo"
    assert echo.parameters["greeting"].default == '"hello"'
    assert echo.parameters["greeting"].type == "str"
    assert len(echo.sha256) == 64


def test_a_notebook_without_a_kernel_name_is_inspected_too(tmp_path):
    nb = nbformat.read(FIXTURES / "00_echo.ipynb", as_version=4)
    nb.metadata.pop("kernelspec", None)
    path = tmp_path / "00_nokernel.ipynb"
    nbformat.write(nb, path)
    info = inspect_notebook(path)
    assert info.parameters["factor"].type == "int"
    assert info.title == "Echo"
    assert parameters.KERNEL_NAME == "python3"
