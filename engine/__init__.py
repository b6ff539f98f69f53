"""podeval: the Pod Flyte would build for a task, and why every field has its value.

    import engine
    result = engine.evaluate("scenario.yaml")        # rules="flyte-v1" by default
    result.pod                                       # the Pod manifest (a dict)
    result.trace.explain("metadata.labels.label_1")  # every candidate value, its source and rule, the winner
    result.problems                                  # what the API server will refuse in this Pod (exit 3)

The public surface is what ``__all__`` lists; every other module is private by convention.
"""

from __future__ import annotations

from .errors import FlyteBuildError, InputError, PodevalError, PodRefusedError, RuleError
from .eval.evaluate import Result, evaluate
from .eval.flyte import merge_overlay_pod_spec_onto_base, merge_pod_spec_onto_template
from .eval.trace import Event, Trace
from .inputs.flytekit import serialize_pod_template
from .inputs.scenario import Scenario, load_scenario
from .pack.pack_model import RulePack
from .pack.rules import load_rules

__version__ = "0.1.0"

__all__ = [
    "Event",
    "FlyteBuildError",
    "InputError",
    "PodRefusedError",
    "PodevalError",
    "Result",
    "RuleError",
    "RulePack",
    "Scenario",
    "Trace",
    "__version__",
    "evaluate",
    "load_rules",
    "load_scenario",
    "merge_overlay_pod_spec_onto_base",
    "merge_pod_spec_onto_template",
    "serialize_pod_template",
]
