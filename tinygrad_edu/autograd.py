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
   ``.grad`` (a Tensor), which keeps accumulating across backward calls until zeroed, as in PyTorch.
4. ``backward(..., create_graph=True)`` records the backward pass itself: each ``Function.backward`` is called
   with Tensors instead of arrays (ops/backward_math.py), so the gradients have a graph of their own and can be
   differentiated again (second derivatives). ``grad(outputs, inputs)`` returns gradients instead of
   accumulating them.
5. Version counters: every in-place change of a tensor's data adds one to its ``_version``; an op records the
   versions of its inputs, and backward refuses to use a saved input that changed since (PyTorch's error).

The Tensor class lives in tensor.py, which imports this module and ``ops`` (whose ops subclass ``Function``).
This module therefore cannot import tensor.py while it loads; tensor.py hands the class over once, right after
defining it (``autograd.Tensor = Tensor``), and this module uses it at call time.
"""

from __future__ import annotations

import threading
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
    differentiable_backward = False  # True: backward works on Tensors too, so create_graph=True goes through it
    promotes: str | None = None  # "same": mixed dtypes meet at PyTorch's promoted dtype; "float": and ints → float
    parents: Sequence[Tensor] | None = ()
    saved: tuple = ()
    needs_input_grad: Sequence[bool] = ()
    versions: Sequence[int] | None = None  # the inputs' version counters when the op ran (recorded ops only)

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
    if cls.promotes:
        first = tensors[0].data.dtype
        if len(tensors) == 2:  # the common case without a generator (this runs for every binary op)
            mixed = tensors[1].data.dtype != first
        else:
            mixed = any(t.data.dtype != first for t in tensors)
        if mixed or (cls.promotes == "float" and first.kind not in "fc"):
            tensors = Tensor._promote(cls, inputs, tensors)
    fn = cls()
    needs = [t.requires_grad for t in tensors]
    record = grad_mode.state.enabled and any(needs)
    if record:
        fn.needs_input_grad = needs
        fn.versions = [t._version for t in tensors]
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
    The chain belongs to the thread, like ``no_grad``: autocast or anomaly mode in one thread does not reach
    another. ``active`` is a tuple, replaced (never mutated) on change, so a call in progress keeps the chain it
    started with and the no-interceptor check is one truth test.
    """

    def __init__(self) -> None:
        self._local = _Chain()

    @property
    def active(self) -> tuple[Interceptor, ...]:
        return self._local.chain

    def add(self, interceptor: Interceptor) -> None:
        if interceptor in self.active:
            raise ValueError(f"interceptor {interceptor!r} is already registered")
        self._local.chain = (*self.active, interceptor)

    def remove(self, interceptor: Interceptor) -> None:
        self._local.chain = tuple(f for f in self.active if f is not interceptor)

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


class _Chain(threading.local):
    chain: tuple = ()  # a class attribute: a new thread starts with no interceptor (and the lookup stays fast)


interceptors = Interceptors()


# ------------------------------------------------------------------------------------------ the backward pass


def backward(root: Tensor, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Add ∂root/∂leaf (times ``grad`` = ∂L/∂root) into ``leaf.grad`` for every leaf that requires grad.

    ``grad`` may be omitted for a one-element root (then it is 1). The graph's saved buffers are released
    afterwards unless ``retain_graph=True`` (the default when ``create_graph=True``); a second backward through a
    released graph raises an error. With ``create_graph=True`` the gradients stored in ``.grad`` carry a graph.
    """
    _backward_pass(root, grad, retain_graph, create_graph, wanted=None)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False, allow_unused: bool = False
         ) -> tuple[Tensor | None, ...]:
    """∂outputs/∂inputs as a tuple of Tensors, one per input, without touching any ``.grad`` (PyTorch's
    ``torch.autograd.grad``). Several outputs are summed: Σₖ ⟨grad_outputsₖ, ∂outputsₖ/∂input⟩.

    ``create_graph=True`` records the computation of the gradients, so they can be differentiated again::

        (g,) = grad(f(x), x, create_graph=True)   # f'(x), a Tensor with a graph
        (h,) = grad(g, x)                          # f''(x)

    An input the outputs do not depend on raises an error unless ``allow_unused=True`` (then its entry is None).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor) or hasattr(grad_outputs, "shape"):
        grad_outputs = [grad_outputs] * len(outputs) if len(outputs) == 1 or grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs: give one per output")
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad(): every input must be a Tensor that requires grad (create it with "
                               "requires_grad=True, or it is the result of an op on one)")
    found: dict[int, Any] = {}
    wanted = {id(x) for x in inputs}
    if len(outputs) == 1:
        found = _backward_pass(outputs[0], grad_outputs[0], retain_graph, create_graph, wanted)
    else:  # one pass per output, retaining the graph between them; the gradients add up
        keep = create_graph if retain_graph is None else retain_graph
        for k, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
            last = k == len(outputs) - 1
            for key, value in _backward_pass(out, g, keep or not last, create_graph, wanted).items():
                found[key] = value if key not in found else found[key] + value
    results = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): input {i} (shape {x.shape}) was not used to compute the outputs; pass "
                               "allow_unused=True to get None for it")
        results.append(None if g is None else g if isinstance(g, Tensor) else Tensor._from_op(g, None))
    return tuple(results)


def _backward_pass(root: Tensor, grad: Any, retain_graph: bool | None, create_graph: bool,
                   wanted: set[int] | None) -> dict[int, Any]:
    """The chain rule over the graph, once, in reverse topological order. ``wanted`` None: accumulate into the
    leaves' ``.grad`` (``backward``); else return {id(tensor): gradient} for the wanted tensors (``grad``)."""
    if retain_graph is None:
        retain_graph = create_graph
    seed = _initial_grad(root, grad, create_graph)
    grads: dict[int, Any] = {id(root): seed}
    found: dict[int, Any] = {}
    # arrays that must not be shared: those already stored in some .grad, and the caller's own gradient array (used
    # as it is, not copied: a leaf or a grad() result that would receive it unchanged gets a copy instead)
    handed_out: set[int] = {id(seed)}
    for node in _topological_order(root):
        node_grad = grads.pop(id(node), None)
        if node_grad is None:
            continue
        if node._grad_hooks:  # Tensor.register_hook: each hook may replace the gradient
            node_grad = _run_grad_hooks(node, node_grad, create_graph)
        fn = node._ctx
        if wanted is not None:
            if id(node) in wanted:
                shared = not isinstance(node_grad, Tensor) and id(node_grad) in handed_out
                found[id(node)] = node_grad.copy() if shared else node_grad
        elif fn is None or node._retains_grad:
            _accumulate_grad(node, node_grad, handed_out)
        if fn is None:
            continue
        for parent, version in zip(fn.parents, fn.versions, strict=False):
            if parent._version != version:
                _check_versions(fn)
        input_grads = _call_backward(fn, node, node_grad) if create_graph else fn.backward(node_grad)
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
    return found


def _call_backward(fn: Function, node: Tensor, node_grad: Tensor) -> Any:
    """``fn.backward`` run on Tensors, recorded (create_graph): the saved arrays that are an input's or the
    output's data are swapped for those Tensors while it runs, so the gradient is a function of them."""
    if not fn.differentiable_backward and hasattr(fn, "composite"):
        return _composite_backward(fn, node_grad)
    if not fn.differentiable_backward:
        raise RuntimeError(
            f"create_graph=True: the backward of {type(fn).__name__} is written for arrays only, so it cannot be "
            "differentiated again (no second derivatives through this op yet). Compose the op from elementwise, "
            "reduction, matrix and shape ops, or compute the first derivative only."
        )
    tensors = {id(p.data): p for p in fn.parents}
    tensors[id(node.data)] = node
    saved = fn.saved
    fn.saved = tuple(tensors.get(id(a), a) for a in saved)
    try:
        with grad_mode.enable_grad():
            result = fn.backward(node_grad)
    finally:
        fn.saved = saved
    if not isinstance(result, tuple):
        return result if result is None or isinstance(result, Tensor) else Tensor._from_op(result, None)
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor._from_op(g, None) for g in result)


def _composite_backward(fn: Function, node_grad: Tensor) -> tuple[Tensor | None, ...]:
    """A fused op (a loss, say) whose fast backward is written for arrays records its gradient through its
    definition instead: ``fn.composite(*inputs)`` recomputes the output from differentiable Tensor ops, and the
    gradient of that, recorded, is the gradient of the op."""
    inputs = [p for p, need in zip(fn.parents, fn.needs_input_grad, strict=False) if need]
    with grad_mode.enable_grad():
        again = fn.composite(*fn.parents)
        found = iter(grad(again, inputs, grad_outputs=node_grad, retain_graph=True, create_graph=True,
                          allow_unused=True))
    return tuple(next(found) if need else None for need in fn.needs_input_grad)


def _check_versions(fn: Function) -> None:
    """PyTorch's in-place check: an input that ``fn`` saved for backward must not have changed since."""
    for parent, version in zip(fn.parents, fn.versions, strict=False):
        if parent._version != version and any(a is parent.data for a in fn.saved):
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the input of shape {parent.shape} ({parent.dtype}) of {type(fn).__name__} is at "
                f"version {parent._version}; expected version {version} instead. Hint: an optimizer step or an "
                "in-place op (add_, mul_, x[...] = ..., -=) changed it after the forward pass: call backward "
                "before changing it, or compute the forward pass again."
            )


def _initial_grad(root: Tensor, grad: Any, create_graph: bool) -> Any:
    """∂L/∂root as an array of the root's dtype and shape (ones for a one-element root without ``grad``); a
    Tensor when the backward pass is recorded (a given Tensor is kept as it is: its graph counts too). The caller's
    array itself when its dtype fits: no op's backward writes into its incoming gradient, and ``_backward_pass``
    copies it before a ``.grad`` or a ``grad()`` result would hold it (copying it here cost 0.14 ms of a 10 ms
    LSTM step, for a (100, 32, 128) gradient)."""
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
        ones = xp.ones_like(root.data)
        return Tensor._from_op(ones, None) if create_graph else ones
    if create_graph and isinstance(grad, Tensor) and grad.shape == root.shape and grad.dtype == root.dtype:
        return grad
    data = grad.data if isinstance(grad, Tensor) else grad
    if backend.device_of(data) != root.device:
        raise TypeError(f"backward(grad=...): grad is on {backend.device_of(data)} but the tensor is on "
                        f"{root.device}: move it with .to('{root.device}')")
    data = xp.asarray(data, dtype=root.dtype)
    if data.shape != root.shape:
        raise RuntimeError(f"backward(grad=...): grad has shape {data.shape} but the tensor has shape {root.shape}")
    return Tensor._from_op(data, None) if create_graph else data


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
            if parent._before_inplace is not None:  # changed in place since? follow it back (rare)
                parent = _as_it_was(fn, parent)
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _as_it_was(fn: Function, tensor: Tensor) -> Tensor:
    """The tensor as ``fn`` used it: a recorded in-place op (inplace.py) left the earlier value behind as a
    snapshot, so an op that ran before the change sends its gradient there, not through the change."""
    index = next(i for i, p in enumerate(fn.parents) if p is tensor)
    version = fn.versions[index]
    while tensor._version != version and tensor._before_inplace is not None:
        tensor = tensor._before_inplace
    fn.parents[index] = tensor
    return tensor


def _run_grad_hooks(node: Tensor, grad: Any, create_graph: bool) -> Any:
    """Call the tensor's hooks in registration order, each with the gradient as a Tensor (read-only unless the
    pass is recorded); a non-None return replaces the gradient."""
    from .hooks import read_only  # hooks.py builds on this module

    for hook in list(node._grad_hooks.values()):
        result = hook(grad if create_graph else Tensor._from_op(read_only(grad), None))
        if result is None:
            continue
        data = result.data if isinstance(result, Tensor) else result
        reference = grad.data if create_graph else grad
        same_device = backend.device_of(data) == backend.device_of(reference)
        if tuple(getattr(data, "shape", ())) != reference.shape or not same_device:
            raise RuntimeError(
                f"a hook of a tensor of shape {node.shape} returned {type(result).__name__} of shape "
                f"{tuple(getattr(data, 'shape', ()))} on {backend.device_of(data)}: a hook must return None "
                f"or a gradient of shape {reference.shape} on {backend.device_of(reference)}"
            )
        if create_graph:
            grad = result if isinstance(result, Tensor) else Tensor._from_op(data, None)
        else:
            grad = backend.get_array_module(reference).array(data, dtype=reference.dtype)  # a copy the engine owns
    return grad


def _accumulate_grad(node: Tensor, grad: Any, handed_out: set[int]) -> None:
    """Add ``grad`` into ``node.grad`` (PyTorch's accumulation rule), never storing a shared array. A recorded
    gradient (a Tensor, create_graph) is stored with its graph."""
    if isinstance(grad, Tensor):
        if grad.dtype != node.dtype:
            grad = grad.astype(node.dtype)
        node._grad = grad if node._grad is None else node._grad + grad
        return
    if grad.dtype != node.dtype:
        grad = grad.astype(node.dtype)
    if node._grad is None:
        if grad.base is not None or id(grad) in handed_out:
            grad = grad.copy()  # a view or an array another tensor already holds: in-place updates must not leak
        handed_out.add(id(grad))
        node._grad = Tensor._from_op(grad, None)
    elif node._grad._ctx is not None:  # a recorded gradient from an earlier create_graph pass: a new sum
        node._grad = Tensor._from_op(node._grad.data + grad, None)
    else:  # the same .grad Tensor, a new sum (optimizers may hold the old array: it is never written here)
        node._grad.data = node._grad.data + grad
        node._grad._version += 1
