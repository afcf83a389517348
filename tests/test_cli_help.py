"""Every command has help text with an example, and the README mentions it."""

from __future__ import annotations

from pathlib import Path

import pytest

from loader.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_core_commands_exist():
    assert {"build", "query", "export", "stats"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_has_an_example(cli, name):
    result = cli(name, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: main {name} ")
    assert main.commands[name].get_short_help_str().strip() != ""
    assert "Example:" in result.stdout, f"`bukamal {name} --help` shows no 'Example:'"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme(name):
    assert f"bukamal {name}" in README


def test_main_help_lists_commands_and_exit_codes(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert result.stdout.endswith("  Exit codes:\n    0  ok\n    1  invalid data or query\n    2  usage or not found\n"
                                  "    3  store error\n    4  timeout\n    130 interrupted (Ctrl-C)\n")
    for name in COMMANDS:
        assert f"  {name} " in result.stdout


def test_readme_starts_with_make_run_and_make_test():
    commands = [line.strip().split("#")[0].strip() for line in README.splitlines() if line.startswith("    make ")]
    assert commands[:2] == ["make run", "make test"]


def test_unknown_option_is_a_usage_error(cli):
    result = cli("build", "--no-such-option")
    assert result.exit_code == 2
