"""JMESPath expressions of a rule pack, compiled once into Python closures.

A pack's expressions are evaluated some 60 times per evaluation. jmespath's own ``search`` builds an interpreter
(and a function table) per call and walks the AST node by node through a generic visitor; here each AST node
becomes a closure once, when the expression is first evaluated (``compile_expression``), with jmespath's exact
semantics (its ``TreeInterpreter`` is the reference: field access on a non-object is null, JMESPath truthiness for
``||``/``&&``/``!``, its equality).
Node types the compiler does not know are evaluated by jmespath's interpreter, so every expression keeps working;
functions are called through jmespath's function table, so their argument checks and errors are jmespath's. A
module of ``engine.eval`` may add a function of its own (``function``: a plugin's conversion of its task config that
no JMESPath expression can say); packs call it like a built-in one (a deferred module's function is imported before
an expression calling it is compiled, ``engine.pack.registry``).

``uses_pod`` says whether an expression reads the ``pod`` root (the Pod built so far), which the evaluation then
has to put into the context first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from jmespath import functions as _functions
from jmespath import visitor as _visitor

from .generated_names import dns1123_subdomain_compatible
from .registry import load_deferred


class _PackFunctions(_functions.Functions):
    """jmespath's functions and the ones a pack adds: FlytePropeller's name functions (``generated_names``) and the
    ones ``engine.eval`` registers (``function``; its own table: jmespath's stays as it is)."""

    FUNCTION_TABLE: ClassVar[dict] = dict(_functions.Functions.FUNCTION_TABLE)

    @_functions.signature({"types": ["string"]})
    def _func_dns1123_subdomain(self, name: str) -> str:
        """``dns1123_subdomain(name)``: ConvertToDNS1123SubdomainCompatibleString (pluginmachinery/utils/dns.go)."""
        return dns1123_subdomain_compatible(name)


_FUNCTIONS = _PackFunctions()
#: jmespath's interpreter (the node kinds the compiler leaves to it), seeing the registered functions
_INTERPRETER = _visitor.TreeInterpreter(_visitor.Options(custom_functions=_FUNCTIONS))


def function(name: str, *arguments: tuple[str, ...]) -> Callable:
    """Register ``fn(*values)`` as the JMESPath function ``name`` of every pack, its arguments of these JMESPath types
    (``("object", "null")``: jmespath checks them and raises its own error)."""
    if name in _functions.Functions.FUNCTION_TABLE:
        raise ValueError(f"{name!r} is a built-in JMESPath function")

    def register(fn: Callable) -> Callable:
        _PackFunctions.FUNCTION_TABLE[name] = {
            "function": lambda _table, *values: fn(*values),
            "signature": [{"types": list(types)} for types in arguments],
        }
        return fn

    return register


_equals = _visitor._equals
#: the values ``length()`` takes (jmespath's string, array, object): the count of characters, items or keys
_SIZED = (str, list, dict)
_is_actual_number = _visitor._is_actual_number


#: types whose values jmespath's equality and negation never treat as numbers (bool is not an actual number there)
_NOT_NUMBERS = (str, bool, list, dict)


def _equal(left: Any, right: Any) -> bool:
    """jmespath's ``==``; a string or null on either side is plain equality (its special case is 0 and 1 against
    true and false)."""
    if left is None or right is None or type(left) is str or type(right) is str:
        return left == right
    return _equals(left, right)


def _is_false(value: Any) -> bool:
    return value == "" or value == [] or value == {} or value is None or value is False


def _field(name: str) -> Callable[[Any], Any]:
    def field(value: Any) -> Any:
        if type(value) is dict:
            return value.get(name)
        if value is None:  # the common miss, without the cost of an exception
            return None
        try:
            return value.get(name)
        except AttributeError:
            return None

    return field


def _subexpression(parts: list) -> Callable[[Any], Any]:
    if len(parts) == 2:
        first, second = parts

        def pair(value: Any) -> Any:
            return second(first(value))

        return pair

    def chain(value: Any) -> Any:
        for part in parts:
            value = part(value)
        return value

    return chain


def _fields_path(names: list) -> Callable[[Any], Any]:
    """``a.b.c`` where every part is a field: the common case, as one loop over dict lookups."""

    def path(value: Any) -> Any:
        for name in names:
            if type(value) is dict:
                value = value.get(name)
            elif value is None:  # a field of null is null, and so are the fields after it
                return None
            else:
                try:
                    value = value.get(name)
                except AttributeError:
                    return None
        return value

    return path


def compile_node(node: dict) -> Callable[[Any], Any]:  # noqa: C901 (a dispatch over jmespath node kinds)
    """The closure of one jmespath AST node (``ParsedResult.parsed``)."""
    kind = node["type"]
    children = node.get("children", [])
    if kind == "field":
        return _field(node["value"])
    if kind == "subexpression":
        if all(child["type"] == "field" for child in children):
            return _fields_path([child["value"] for child in children])
        return _subexpression([compile_node(child) for child in children])
    if kind == "literal":
        literal = node["value"]
        return lambda value: literal
    if kind in ("current", "identity"):
        return lambda value: value
    if kind == "or_expression":
        left, right = (compile_node(child) for child in children)

        def either(value: Any) -> Any:
            matched = left(value)
            if _is_false(matched):
                matched = right(value)
            return matched

        return either
    if kind == "and_expression":
        left, right = (compile_node(child) for child in children)

        def both(value: Any) -> Any:
            matched = left(value)
            if _is_false(matched):
                return matched
            return right(value)

        return both
    if kind == "not_expression":
        (inner,) = (compile_node(child) for child in children)

        def negate(value: Any) -> Any:
            original = inner(value)
            if original is None or type(original) in _NOT_NUMBERS:
                return not original
            if _is_actual_number(original) and original == 0:
                return False  # !0 is false: 0 is not special in JMESPath
            return not original

        return negate
    if kind == "comparator" and node["value"] in ("eq", "ne"):
        left, right = (compile_node(child) for child in children)
        if node["value"] == "eq":
            return lambda value: _equal(left(value), right(value))
        return lambda value: not _equal(left(value), right(value))
    if kind == "function_expression":
        name = node["value"]
        arguments = [compile_node(child) for child in children]
        if name == "not_null" and arguments:

            def not_null(value: Any) -> Any:
                for argument in arguments:
                    found = argument(value)
                    if found is not None:
                        return found
                return None

            return not_null
        call = _FUNCTIONS.call_function
        if name == "length" and len(arguments) == 1:
            (argument,) = arguments

            def length(value: Any) -> Any:
                found = argument(value)
                if type(found) in _SIZED:
                    return len(found)
                return call(name, [found])  # jmespath's type check and its error

            return length
        return lambda value: call(name, [argument(value) for argument in arguments])
    visit = _INTERPRETER.visit
    return lambda value: visit(node, value)


def compile_expression(node: dict) -> Callable[[Any], Any]:
    """The closure of a parsed expression (``ParsedResult.parsed``); the functions it calls are registered first
    (a deferred module's, ``engine.pack.registry.load_deferred``)."""
    if any(name not in _PackFunctions.FUNCTION_TABLE for name in _functions_called(node)):
        load_deferred()
    return compile_node(node)


def _functions_called(node: dict) -> set:
    names = {node["value"]} if node.get("type") == "function_expression" else set()
    for child in node.get("children", []):
        if isinstance(child, dict):
            names |= _functions_called(child)
    return names


def reads_field(node: dict, name: str) -> bool:
    """Whether the expression reads the field ``name`` anywhere (conservative: any field of that name)."""
    if node.get("type") == "field" and node.get("value") == name:
        return True
    return any(reads_field(child, name) for child in node.get("children", []) if isinstance(child, dict))


#: the last segment of a path whose value an expression reads only for its size (``length(pod.spec.containers)``): a
#: tuple, never a field name
SIZE = ("length",)


def root_field_paths(node: dict, name: str) -> tuple | None:
    """The field paths under the root field ``name`` that the expression reads (``pod.spec.containers || []`` ->
    ``(("spec", "containers"),)``): every place ``name`` is read from must be the head of a subexpression, whose
    run of plain field names after it is the path (what follows that run works on the value there, whole). None
    when the expression reads ``name`` in any other way (alone, indexed, projected): then it needs all of it. A
    ``name`` read relative to a projected item counts too, which only makes the paths larger than needed.

    A path read only as the argument of ``length()`` (alone or as a side of ``||``) ends with ``SIZE``: its value's
    size is all that is read (``length(pod.spec.containers || `[]`) == `1``` does not need the containers). Paths
    read whole come first, shortest first, then the ``SIZE`` ones."""
    found: list = []

    def fields_after_root(current: dict) -> list:
        """``name.a.b`` -> ``["a", "b"]`` (the run of field names after the root); [] for anything else."""
        children = [child for child in current.get("children", []) if isinstance(child, dict)]
        head = children[0] if children else {}
        if current.get("type") != "subexpression" or head.get("type") != "field" or head.get("value") != name:
            return []
        path = []
        for child in children[1:]:
            if child.get("type") != "field":
                break
            path.append(child["value"])
        return path

    def sized(argument: dict) -> bool:
        """The argument of ``length()``: a path read only for its size, or ``a || b`` of such (``||`` hands on
        one side whole, and a size-only value is as empty as the value)."""
        path = fields_after_root(argument)
        if path and len(path) == len(argument["children"]) - 1:
            found.append((*path, SIZE))
            return True
        if argument.get("type") == "or_expression":
            return all(sized(child) for child in argument.get("children", []) if isinstance(child, dict))
        return visit(argument)

    def visit(current: dict) -> bool:
        children = [child for child in current.get("children", []) if isinstance(child, dict)]
        if current.get("type") == "field" and current.get("value") == name:
            return False  # read alone (not as the head of a subexpression): the whole value
        if current.get("type") == "function_expression" and current.get("value") == "length" and len(children) == 1:
            return sized(children[0])
        path = fields_after_root(current)
        if path:
            found.append(tuple(path))
            return all(visit(child) for child in children[1 + len(path) :])
        return all(visit(child) for child in children)

    return tuple(sorted(set(found), key=lambda path: (path[-1] == SIZE, len(path)))) if visit(node) else None
