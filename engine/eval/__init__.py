"""One evaluation: the pack's steps applied to a scenario in the precedence DAG's order, and its trace.

Owns the evaluation (``evaluate``), the merge strategies (``strategies``, walking the Kubernetes schema with
``engine.k8s.walker``) and Flyte's container matching (``container_matching``), the transforms (``transforms``: the
target Pod and its PodTemplate; ``containers``: env and resources of every container; ``placement``: affinity,
tolerations, node selectors, shared memory; ``copilot``; ``flyte2``: Flyte 2's backend), Go's container aliasing (``aliasing``), Flyte's own merge
entry point (``flyte.merge_pod_spec_onto_template``), the trace and its events (``trace``), the explanation of one
field (``explain``), field paths as people type them resolved against the Pod (``user_paths``) and the Pod as Flyte
serializes it (``output``).

Importing this package registers the strategies and transforms in the pack layer's registries
(``engine.pack.registry``, ``engine.pack.transform_api``, ``engine.pack.expressions.function``): those of the
modules it imports at once, which every Pod's evaluation may use, and, named to ``engine.pack.registry.defer``, the
modules that register the plugins' and Flyte 2's names, imported when a pack uses one of their names.

May import: ``engine.errors``, ``engine.k8s``, ``engine.documents``, ``engine.pack``, ``engine.inputs``.
"""

from ..pack.registry import defer
from . import (  # noqa: F401  (each registers what it implements)
    container_matching,
    containers,
    copilot,
    map_tasks,
    placement,
    plugins,
    strategies,
    transforms,
)

#: imported when a pack uses a transform or function of theirs (``engine.pack.registry.load_deferred``), for start-up
#: time: a Pod's evaluation under flyte-v1 uses none of them
DEFERRED = ("flyte2", "plugin_dask", "plugin_k8s_array", "plugin_kubeflow", "plugin_ray", "plugin_spark")
defer(*(f"{__name__}.{module}" for module in DEFERRED))
