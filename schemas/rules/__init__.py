"""Pure business rules of the contracts: code tables, code formats, date order, transitions.

Nothing here imports pydantic or fastavro: each rule takes plain values and returns
``None`` when they are fine or a message (or :class:`Problem`) saying what is wrong, so
the models, the gateway and the worker share one wording.
"""

from lienthong.schemas.rules.problem import Problem
from lienthong.schemas.rules.transitions import legal_transition, transition_problem

__all__ = ["Problem", "legal_transition", "transition_problem"]
