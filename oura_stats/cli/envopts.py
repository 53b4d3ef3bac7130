"""Every command-line option also from the environment, as `OURA_STATS_<OPTION>`.

One walk over the built parser names each long option's variable in its help, and one
parse fills every option the command line left out from its variable: `--interval-hours`
is `OURA_STATS_INTERVAL_HOURS`, booleans take 1/0, true/false, yes/no or on/off, and list
options take the forms the flag takes (space- or comma-separated). The command line wins;
an empty variable counts as unset; a bad value is a `ConfigError` naming the variable.
Options added later by any command get all of this without a line of their own.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from oura_stats.cli.helptext import ENVIRONMENT, environment_section
from oura_stats.errors import ConfigError

PREFIX = "OURA_STATS_"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
_SKIPPED = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
_LISTS = (argparse._AppendAction, argparse._ExtendAction)
# `action.environment = False` keeps an option to the command line alone.
NO_ENVIRONMENT = "environment"


def variable(action: argparse.Action) -> str | None:
    """The variable that backs an option: its first long flag, upper-cased."""
    if isinstance(action, _SKIPPED) or getattr(action, NO_ENVIRONMENT, True) is False:
        return None
    flag = next((s for s in action.option_strings if s.startswith("--")), None)
    if flag is None:
        return None
    return PREFIX + flag[2:].upper().replace("-", "_")


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and every parser of its commands and their actions, each once."""
    yield parser
    seen: set[int] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield from parsers(sub)


def name_variables(parser: argparse.ArgumentParser) -> None:
    """Write each option's variable into its help, and the variables each command reads
    into its epilog, for every command."""
    for each in parsers(parser):
        options = [s for a in each._actions if variable(a) for s in a.option_strings]
        if each.epilog and ENVIRONMENT in each.epilog:
            each.epilog = each.epilog.replace(ENVIRONMENT, environment_section(options))
        for action in each._actions:
            name = variable(action)
            if name is None or action.help == argparse.SUPPRESS:
                continue
            text = action.help or ""
            if name in text:
                continue
            if "(env " in text:  # an older variable is named: the new one comes first
                action.help = text.replace("(env ", f"(env {name} or ", 1)
            else:
                action.help = f"{text} (env {name})".lstrip()


class _Unset(list[Any]):
    """The default an option has while parsing: still this very object afterwards means
    the command line did not give it (a list, so that `extend` and `append` work)."""


def parse(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> argparse.Namespace:
    """Parse `argv`, then fill each option it left out from its variable, if set.

    `args.from_environment` maps the destination of each option filled so to its variable.
    """
    given = _given_variables(parser, os.environ if environ is None else environ)
    saved = {action: (action.default, action.required) for action in given}
    for action in given:
        action.required = False
        if action.default != argparse.SUPPRESS:  # suppressed: absent when not given
            action.default = _Unset()
    unset = {id(action.default) for action in given}
    try:
        args, extra = parser.parse_known_args(argv)
    finally:
        for action, (default, required) in saved.items():
            action.default, action.required = default, required
    if extra:  # with the usage of the command they were given to, not the program's
        *_, deepest = _chosen(parser, args)
        deepest.error(f"unrecognized arguments: {' '.join(extra)}")
    args.from_environment = {}
    for each in _chosen(parser, args):
        _fill(each, args, given, unset)
    for key, value in vars(args).items():
        if isinstance(value, _Unset):  # `extend` copied the stand-in, then added to it
            setattr(args, key, list(value))
    return args


def _given_variables(
    parser: argparse.ArgumentParser, environ: Mapping[str, str]
) -> dict[argparse.Action, tuple[str, str]]:
    """Every option, of every command, whose variable is set (and not empty)."""
    found: dict[argparse.Action, tuple[str, str]] = {}
    for each in parsers(parser):
        for action in each._actions:
            name = variable(action)
            text = environ.get(name, "").strip() if name else ""
            if name and text:
                found[action] = (name, text)
    return found


def _chosen(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> Iterator[argparse.ArgumentParser]:
    """The parsers this command line went through: the program's, the command's, ..."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices.get(getattr(args, action.dest, None) or "")
            if sub is not None:
                yield from _chosen(sub, args)


def _fill(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    given: Mapping[argparse.Action, tuple[str, str]],
    unset: set[int],
) -> None:
    """Give each option of `parser` the command line left out its variable's value."""

    def left_out(action: argparse.Action) -> bool:
        missing = object()
        value = getattr(args, action.dest, missing)
        return value is missing or id(value) in unset

    typed = {  # on the command line (not filled by an earlier parser of the chain)
        a
        for a in parser._actions
        if a.option_strings and not left_out(a) and a.dest not in args.from_environment
    }
    filled: dict[argparse.Action, str] = {}
    for action in parser._actions:
        if action not in given or not left_out(action):
            continue
        name, text = given[action]
        if _excluded_by(parser, action, typed):
            _restore_default(parser, args, action)
            continue
        value = _value(parser, action, name, text)
        if value is argparse.SUPPRESS:  # a flag set to false, where absent means false
            _restore_default(parser, args, action)
            continue
        setattr(args, action.dest, value)
        args.from_environment[action.dest] = name
        if getattr(args, action.dest) != action.default:
            filled[action] = name
    _check_exclusive(parser, filled)


def _restore_default(
    parser: argparse.ArgumentParser, args: argparse.Namespace, action: argparse.Action
) -> None:
    """What argparse would have left for an option not given."""
    if action.default == argparse.SUPPRESS:
        if hasattr(args, action.dest):
            delattr(args, action.dest)
    elif isinstance(action.default, str):
        setattr(args, action.dest, parser._get_value(action, action.default))
    else:
        setattr(args, action.dest, action.default)


def _excluded_by(
    parser: argparse.ArgumentParser, action: argparse.Action, given: set[argparse.Action]
) -> bool:
    """Whether another option of its mutually exclusive group is on the command line."""
    return any(
        action in group._group_actions and given.intersection(group._group_actions)
        for group in parser._mutually_exclusive_groups
    )


def _check_exclusive(
    parser: argparse.ArgumentParser, filled: Mapping[argparse.Action, str]
) -> None:
    for group in parser._mutually_exclusive_groups:
        names = [filled[a] for a in group._group_actions if a in filled]
        if len(names) > 1:
            raise ConfigError(f"{' and '.join(names)} exclude each other; set only one")


def _value(parser: argparse.ArgumentParser, action: argparse.Action, name: str, text: str) -> Any:
    """The value the command line would give for the variable's text."""
    try:
        if action.nargs == 0:  # a flag
            return action.const if _boolean(text) else action.default
        if isinstance(action, _LISTS) or action.nargs in ("+", "*"):
            items = [_converted(parser, action, item) for item in text.split()]
            appends = type(action) is argparse._AppendAction and action.nargs
            return [items] if appends else items  # `append` of a list, or the list
        return _converted(parser, action, text)
    except argparse.ArgumentError as error:
        raise ConfigError(f"{name}: {error.message}") from None
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _converted(parser: argparse.ArgumentParser, action: argparse.Action, text: str) -> Any:
    value = parser._get_value(action, text)
    parser._check_value(action, value)
    return value


def _boolean(text: str) -> bool:
    word = text.lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes or no: use 1/0, true/false, yes/no or on/off")


def credited(message: str, args: argparse.Namespace) -> str:
    """`message` with each option it names that came from a variable followed by that
    variable's name: `--end-date (OURA_STATS_END_DATE) ...`, for a setting not typed."""
    for name in getattr(args, "from_environment", {}).values():
        flag = "--" + name.removeprefix(PREFIX).lower().replace("_", "-")
        message = re.sub(rf"{re.escape(flag)}(?![\w-])", f"{flag} ({name})", message, count=1)
    return message
