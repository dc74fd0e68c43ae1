"""The engine: reverse-mode automatic differentiation in one file, to be read top to bottom.

1. ``Function`` is one differentiable operation. Its ``forward`` computes the result from backend arrays (NumPy
   or CuPy); ``Op.apply(*tensors)`` runs it and, when a gradient is needed, links the result to the function
   that made it (``tensor._ctx``) and the function to its inputs (``fn.parents``). Those links form the
   computation graph, a DAG from the inputs to the loss.
2. ``interceptors`` is the one extension point of ``apply``: autocast (amp/autocast.py) and ``detect_anomaly``
   (anomaly.py) register a callable that wraps every op call while their block is active.
3. ``backward(root)`` walks the graph once in reverse topological order and applies the chain rule at every
   node: with ∂L/∂z arriving at the output z of f(x, y), ``f.backward`` returns ∂L/∂x = ∂L/∂z · ∂z/∂x and
   ∂L/∂y = ∂L/∂z · ∂z/∂y. Gradients reaching one tensor along several paths are summed (the multivariable
   chain rule); at the leaves (tensors the user made with ``requires_grad=True``) they are added into
   ``.grad``, which keeps accumulating across backward calls until zeroed, as in PyTorch.

The Tensor class lives in tensor.py, which imports this module and ``ops`` (whose ops subclass ``Function``).
This module therefore cannot import tensor.py while it loads; tensor.py hands the class over once, right after
defining it (``autograd.Tensor = Tensor``), and this module uses it at call time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import backend, grad_mode

if TYPE_CHECKING:
    from .tensor import Tensor
else:
    Tensor = None  # the class, set by tensor.py when it is defined (see the module docstring)

# ------------------------------------------------------------------------------------------ Function


class Function:
    """One differentiable operation: a node of the computation graph.

    A subclass implements ``forward(*arrays, **options) -> array`` and ``backward(grad) -> grads``, both on
    backend arrays (NumPy or CuPy: use ``xp = get_array_module(x)``). ``backward`` receives ∂L/∂output and
    returns ∂L/∂input for each tensor input (a tuple, or a single array for one input); it may return None for
    inputs that need no gradient (``self.needs_input_grad`` says which do). It must not modify ``grad`` in
    place. The docstring states the op's formula and the derivative it implements.

    ``Op.apply(*inputs, **options)`` runs the op on Tensors (Python numbers and arrays are accepted and
    treated as constants) and links the result into the graph when a gradient is needed.
    """

    optional_inputs = 0  # how many trailing inputs may be None (left out): a bias, an affine parameter
    parents: Sequence[Tensor] | None = ()
    saved: tuple = ()
    needs_input_grad: Sequence[bool] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved = arrays

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def release(self) -> None:
        """Free what was kept for backward (called after a backward pass without ``retain_graph``)."""
        self.__dict__.clear()
        self.parents = None  # marks the node as freed: a second backward through it is an error

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Every path an op can take: through the registered interceptors (autocast, detect_anomaly), which
        end by calling ``_run``, or, when none is registered (the common case), straight to ``_run``.

        An op with ``optional_inputs = k`` takes its last k inputs as optional: a trailing ``None`` is left out
        (``ops.Linear.apply(x, W, None)``: a layer without bias) and ``forward`` sees its own default, ``None``.
        """
        if cls.optional_inputs:
            while inputs and inputs[-1] is None:
                inputs = inputs[:-1]
        if interceptors.active:
            return interceptors.call(cls, inputs, options)
        return _run(cls, inputs, options)


class OpError(ValueError):
    """An operation got inputs it cannot work with; the message names the op, the shapes and the fix."""


class GradientShapeError(RuntimeError):
    """A Function's backward returned ∂L/∂input of another shape than the input (a forgotten unbroadcast)."""


def _run(cls: type[Function], inputs: Sequence[Any], options: dict[str, Any]) -> Tensor:
    """Run ``cls.forward`` on the inputs' arrays; record the graph node when grad mode is on and an input
    requires grad. Errors from inside the forward are re-raised naming the op and the input shapes."""
    tensors = Tensor._wrap_inputs(cls.__name__, inputs)  # numbers and arrays become constants
    fn = cls()
    needs = [t.requires_grad for t in tensors]
    record = grad_mode._enabled and any(needs)
    if record:
        fn.needs_input_grad = needs
    try:
        out = fn.forward(*[t.data for t in tensors], **options)
    except OpError:
        raise
    except (ValueError, TypeError, IndexError) as error:
        shapes = ", ".join(str(t.shape) for t in tensors)
        message = f"{cls.__name__} on inputs of shape {shapes}: {error}"
        if "broadcast" in str(error):
            message += (" (broadcasting aligns shapes from the right; each pair of axis lengths must be "
                        "equal or one of them 1: reshape or unsqueeze an input to make them match)")
        # the message already holds the inner one: `from None` prints it once (the original stays in .inner)
        raised = IndexError(message) if isinstance(error, IndexError) else OpError(message)  # `for` ends on IndexError
        raised.inner = error
        raise raised from None
    if not record:
        return Tensor._from_op(out, None)
    fn.parents = tensors
    return Tensor._from_op(out, fn)


# ------------------------------------------------------------------------------------------ interceptors

# interceptor(op, inputs, options, proceed) -> Tensor: ``op`` is the Function class, ``inputs`` the tuple given
# to apply, ``options`` its keyword arguments; ``proceed(inputs, options)`` runs the rest of the chain (the next
# interceptor, finally ``_run``). An interceptor may change the inputs before, or inspect the output after.
Interceptor = Callable[[type[Function], tuple, dict, Callable[[tuple, dict], "Tensor"]], "Tensor"]


class Interceptors:
    """The registry of op interceptors that ``Function.apply`` calls, outermost first in registration order.

    ``add(f)`` / ``remove(f)``, or ``with interceptors.installed(f): ...`` (removed on exit and on exceptions).
    The state is process-wide, like ``no_grad``. ``active`` is a tuple, replaced (never mutated) on change, so
    a call in progress keeps the chain it started with and the no-interceptor check is one truth test.
    """

    def __init__(self) -> None:
        self.active: tuple[Interceptor, ...] = ()

    def add(self, interceptor: Interceptor) -> None:
        if interceptor in self.active:
            raise ValueError(f"interceptor {interceptor!r} is already registered")
        self.active = (*self.active, interceptor)

    def remove(self, interceptor: Interceptor) -> None:
        self.active = tuple(f for f in self.active if f is not interceptor)

    @contextmanager
    def installed(self, interceptor: Interceptor) -> Iterator[None]:
        """Registered inside the ``with`` block only."""
        self.add(interceptor)
        try:
            yield
        finally:
            self.remove(interceptor)

    def call(self, cls: type[Function], inputs: tuple, options: dict) -> Tensor:
        """Run the op through every interceptor in turn; the last ``proceed`` is ``_run``."""
        chain = self.active

        def step(index: int, inputs: tuple, options: dict) -> Tensor:
            if index == len(chain):
                return _run(cls, inputs, options)
            return chain[index](cls, inputs, options, lambda i, o: step(index + 1, i, o))

        return step(0, inputs, options)


interceptors = Interceptors()


# ------------------------------------------------------------------------------------------ the backward pass


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Add ∂root/∂leaf (times ``grad`` = ∂L/∂root) into ``leaf.grad`` for every leaf that requires grad.

    ``grad`` may be omitted for a one-element root (then it is 1). The graph's saved buffers are released
    afterwards unless ``retain_graph=True``; a second backward through a released graph raises an error.
    """
    grads: dict[int, Any] = {id(root): _initial_grad(root, grad)}
    handed_out: set[int] = set()  # arrays already stored in some .grad, which must not be shared
    for node in _topological_order(root):
        node_grad = grads.pop(id(node), None)
        if node_grad is None:
            continue
        if node._grad_hooks:  # Tensor.register_hook: each hook may replace the gradient
            node_grad = _run_grad_hooks(node, node_grad)
        fn = node._ctx
        if fn is None or node._retains_grad:
            _accumulate_grad(node, node_grad, handed_out)
        if fn is None:
            continue
        input_grads = fn.backward(node_grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, parent_grad in zip(fn.parents, input_grads, strict=False):
            if parent_grad is None or not parent.requires_grad:
                continue
            if parent_grad.shape != parent.data.shape:
                raise GradientShapeError(
                    f"{type(fn).__name__}.backward returned a gradient of shape {parent_grad.shape} for an "
                    f"input of shape {parent.data.shape}: a backward must return ∂L/∂input with the input's "
                    "shape (sum broadcast axes back with unbroadcast)"
                )
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            fn.release()


def _initial_grad(root: Tensor, grad: Any) -> Any:
    """∂L/∂root as a fresh array of the root's dtype and shape (ones for a one-element root without ``grad``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the computation had "
            "requires_grad=True (or it ran inside no_grad())"
        )
    xp = root.xp
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient works for scalar outputs only; this tensor has shape "
                f"{root.shape}: reduce it first (e.g. .sum() or .mean()) or pass grad=∂L/∂output of the same shape"
            )
        return xp.ones_like(root.data)
    grad = grad.data if isinstance(grad, Tensor) else grad
    if backend.device_of(grad) != root.device:
        raise TypeError(f"backward(grad=...): grad is on {backend.device_of(grad)} but the tensor is on "
                        f"{root.device}: move it with .to('{root.device}')")
    grad = xp.array(grad, dtype=root.dtype)  # a copy: the engine never aliases the caller's array
    if grad.shape != root.shape:
        raise RuntimeError(f"backward(grad=...): grad has shape {grad.shape} but the tensor has shape {root.shape}")
    return grad


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors that need a gradient, ordered so that each comes before every tensor it was computed from.

    An iterative depth-first search (no recursion, so a chain of 100,000 ops is fine): a tensor is appended
    once all of its inputs are, then the list is reversed.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        fn = node._ctx
        if fn is None:
            continue
        if fn.parents is None:
            raise RuntimeError(
                f"backward through the graph a second time: the buffers of {type(fn).__name__} were freed by "
                "the first backward. Pass retain_graph=True to the first backward() to keep them, or "
                "recompute the forward pass."
            )
        for parent in fn.parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _run_grad_hooks(node: Tensor, grad: Any) -> Any:
    """Call the tensor's hooks in registration order; a non-None return replaces the gradient."""
    from .hooks import read_only  # hooks.py builds on this module

    for hook in list(node._grad_hooks.values()):
        result = hook(read_only(grad))
        if result is None:
            continue
        result = result.data if isinstance(result, Tensor) else result
        if tuple(getattr(result, "shape", ())) != grad.shape or backend.device_of(result) != backend.device_of(grad):
            raise RuntimeError(
                f"a hook of a tensor of shape {node.shape} returned {type(result).__name__} of shape "
                f"{tuple(getattr(result, 'shape', ()))} on {backend.device_of(result)}: a hook must return None "
                f"or a gradient of shape {grad.shape} on {backend.device_of(grad)}"
            )
        grad = backend.get_array_module(grad).array(result, dtype=grad.dtype)  # a copy the engine may own
    return grad


def _accumulate_grad(node: Tensor, grad: Any, handed_out: set[int]) -> None:
    """Add ``grad`` into ``node.grad`` (PyTorch's accumulation rule), never storing a shared array."""
    if grad.dtype != node.dtype:
        grad = grad.astype(node.dtype)
    if node.grad is None:
        if grad.base is not None or id(grad) in handed_out:
            grad = grad.copy()  # a view or an array another tensor already holds: in-place updates must not leak
        handed_out.add(id(grad))
        node.grad = grad
    else:
        node.grad = node.grad + grad
