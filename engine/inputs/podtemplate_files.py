"""PodTemplates from manifest files, as ``kubectl apply -f`` takes them (``--pod-templates FILE``).

A file may hold one object, a ``kind: List`` (``kubectl get podtemplates -o yaml``; nested Lists too), or several
``---`` separated documents (``helm template`` output). Empty documents (``---`` twice, a trailing ``---``, a
document of comments only) are skipped, as kubectl skips them. Every ``PodTemplate`` is taken (an object without
``kind`` is taken as one, and checked as one); objects of other kinds (the Deployments and ConfigMaps of a chart)
are ignored and counted, so that ``-v`` can say what was taken and what was not.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..errors import InputError
from ..k8s.validate import from_model

_LISTS = ("List", "PodTemplateList")


class PodTemplateFile:
    """What one file gave: ``items`` as ``(object, document, path of the object in the document)``."""

    def __init__(self, path: str, items: list | None = None, ignored: Counter | None = None, empty: int = 0) -> None:
        self.path = path
        self.items = [] if items is None else items
        self.ignored = Counter() if ignored is None else ignored
        self.empty = empty

    def summary(self) -> str:
        """``took 2 PodTemplates; ignored 3 objects (ConfigMap 1, Deployment 2); skipped 1 empty document``."""
        taken = len(self.items)
        parts = [f"took {taken} PodTemplate{'s' if taken != 1 else ''}"]
        ignored = sum(self.ignored.values())
        if ignored:
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.ignored.items()))
            parts.append(f"ignored {ignored} object{'s' if ignored != 1 else ''} of other kinds ({kinds})")
        if self.empty:
            parts.append(f"skipped {self.empty} empty document{'s' if self.empty != 1 else ''}")
        return "; ".join(parts)


def read_pod_template_file(path: str, documents: list) -> PodTemplateFile:
    """The PodTemplates of a file's documents (``yamlio.Document`` each). A file with none is an error: a
    ``--pod-templates`` file that gives nothing is a mistake, not a cluster without templates."""
    found = PodTemplateFile(path)
    for document in documents:
        if document.value is None:
            found.empty += 1
            continue
        _collect(found, document, document.value, ())
    if not found.items:
        what = (
            f" (it holds {sum(found.ignored.values())} other objects: {', '.join(sorted(found.ignored))})"
            if found.ignored
            else " (it is empty)"
        )
        raise InputError(
            "no_pod_templates",
            f"{path} holds no PodTemplate{what}",
            file=path,
            hint="give the file of the PodTemplates (kind: PodTemplate), e.g. `kubectl get "
            "podtemplates -n NAMESPACE -o yaml`",
        )
    return found


def _collect(found: PodTemplateFile, document: Any, value: Any, where: tuple) -> None:
    value = from_model(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            _collect(found, document, item, where + (index,))
        return
    if isinstance(value, dict) and value.get("kind") in _LISTS:
        items = value.get("items")
        if isinstance(items, list):
            _collect(found, document, items, where + ("items",))
        return
    if isinstance(value, dict) and value.get("kind", "PodTemplate") != "PodTemplate":
        found.ignored[str(value.get("kind"))] += 1
        return
    found.items.append((value, document, where))  # a PodTemplate, or something to be refused as one
