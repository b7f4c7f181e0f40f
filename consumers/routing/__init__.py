"""Routing: declarative YAML rules deciding which subscriber topics get which events.

A rules file (:mod:`.rules`) is checked by pydantic and by the catalogue; a
:class:`~.router.Router` applies it to a record's trusted headers, opening the payload
only for rules that ask about a payload field; :class:`~.watch.RulesWatcher` reloads the
file when it changes, keeping the last good rules when the new ones are wrong.
"""

from lienthong.consumers.routing.router import Decision, Router
from lienthong.consumers.routing.rules import Match, Rule, RulesFile, load_rules, parse_rules
from lienthong.consumers.routing.watch import RulesWatcher

__all__ = [
    "Decision",
    "Match",
    "Router",
    "Rule",
    "RulesFile",
    "RulesWatcher",
    "load_rules",
    "parse_rules",
]
