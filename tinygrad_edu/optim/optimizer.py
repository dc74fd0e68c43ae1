"""The optimizer base class: parameter groups, per-parameter state, ``zero_grad``/``step``, saving and resuming.

An optimizer moves the parameters θ downhill on the loss J(θ), one step at a time, using the gradients
g = ∇J(θ) that ``loss.backward()`` left in each parameter's ``.grad``::

    optimizer = SGD(model.parameters(), lr=0.1)
    for x, y in batches:
        optimizer.zero_grad()          # forget the previous batch's gradients
        loss = F.mse_loss(model(x), y)
        loss.backward()                # fill every parameter's .grad
        optimizer.step()               # θ ← θ − α g  (or Adam's rule, ...)

Each rule (SGD, Adam, ...) is a subclass whose ``_update(theta, grad, state, group)`` updates one parameter's
array in place with a few vectorised array operations; its docstring gives the formula. This file holds what
every rule shares, with PyTorch's semantics:

- **frozen parameters** (``requires_grad=False``, e.g. a frozen backbone) are accepted, as PyTorch does, and
  skipped by ``step`` while their ``.grad`` is None; an optimizer given no trainable parameter at all is refused.
  Passing only the trainable ones, ``filter(lambda p: p.requires_grad, model.parameters())``, also works.
- **parameter groups**: a list of dicts, each with its own ``"params"`` and hyper-parameters (e.g. a smaller
  learning rate for a pretrained backbone); missing hyper-parameters come from the constructor's defaults.
- **state**: ``optimizer.state[param]`` is a dict of arrays the rule keeps between steps (momentum buffers,
  moment estimates, the step count t).
- **state_dict / load_state_dict**: the state keyed by the parameter's position (0, 1, 2, ... across groups, as
  PyTorch), arrays copied, so that training resumed from a checkpoint continues bit for bit.

The update is in place on ``param.data`` (other references to the array see it) and never writes into
``param.grad``: a rule that changes the gradient (weight decay g + λθ, maximize −g) makes a new array.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..grad_mode import enable_grad
from ..tensor import Tensor

ParamsLike = Iterable[Tensor] | Iterable[dict[str, Any]] | Tensor


class Optimizer:
    """Base class of every optimizer: holds ``param_groups`` and ``state`` and runs a rule's ``_update``.

    ``Optimizer(params, defaults)``: ``params`` is an iterable of Tensors (one group) or of dicts (groups, each
    ``{"params": [...], "lr": ..., ...}``); ``defaults`` are the hyper-parameters a group does not set itself.
    """

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._workspace: dict[tuple, Any] = {}
        if isinstance(params, set):
            raise TypeError(
                f"{self._name}: parameters must come in an ordered collection (a list), not a set: the state "
                "is saved by position, and a set's order changes between runs"
            )
        groups = [params] if isinstance(params, Tensor) else list(params)
        if len(groups) == 0:
            raise ValueError(
                f"{self._name} got an empty parameter list: pass the parameters to train, e.g. "
                f"{self._name}(model.parameters(), lr=...) (a generator can be consumed only once: call "
                "model.parameters() again rather than reusing one)"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        if not any(p.requires_grad for g in self.param_groups for p in g["params"]):
            first = self.param_groups[0]["params"][0]
            raise ValueError(
                f"{self._name}: parameter 0 (shape {tuple(first.shape)}) does not require grad, nor does any other, "
                "so nothing would ever be updated: create them with requires_grad=True, or unfreeze the model "
                "(model.requires_grad_(True)). Frozen parameters beside trainable ones are accepted and skipped "
                "while their .grad is None, as in PyTorch"
            )

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------------------------------- param groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. when unfreezing layers mid-training)."""
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{self._name}: a parameter group must be a dict like {{'params': [...], 'lr': 0.01}}, "
                f"got {type(param_group).__name__}"
            )
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{self._name}: a group's 'params' must be a list, not a set (its order changes)")
        elif params is None:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        params = list(params)
        if len(params) == 0:
            raise ValueError(f"{self._name} got a parameter group with an empty parameter list")
        for position, param in enumerate(params):
            self._check_param(param, position)
        self._check_one_device(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(
                f"{self._name}: a parameter appears twice (in one group or in two groups); each parameter "
                "may be given once, or it would be updated twice per step"
            )
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_param(self, param: Any, position: int) -> None:
        if not isinstance(param, Tensor):
            raise TypeError(
                f"{self._name} can only optimize Tensors, but parameter {position} is a "
                f"{type(param).__module__}.{type(param).__name__}: pass model.parameters() or a list of Tensors "
                "created with requires_grad=True"
            )
        if not param.is_leaf:
            raise ValueError(
                f"{self._name}: parameter {position} (shape {tuple(param.shape)}) is the result of an operation, "
                "not a leaf: an optimizer can only update tensors created by the user (e.g. with "
                "requires_grad=True), not computed ones"
            )

    def _check_one_device(self, params: list[Tensor]) -> None:
        """All parameters of an optimizer live on one device (its state arrays are made on that device)."""
        device = self.param_groups[0]["params"][0].device if self.param_groups else params[0].device
        for position, param in enumerate(params):
            if param.device != device:
                raise TypeError(
                    f"{self._name}: parameter {position} is on {param.device} but the others are on {device}: "
                    "move the whole model to one device (model.to(device)) before creating the optimizer"
                )

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Refuse values outside a rule's domain (each rule adds its own checks to the learning rate's)."""
        check_non_negative(self._name, "lr", group["lr"], "learning rate")

    # ------------------------------------------------------------------------------------------- stepping

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None`` (the default, as PyTorch), or fill them with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.data.fill(0)
                    param.grad._version += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss when a closure is given.

        ``closure`` re-evaluates the model and returns the loss (it zeroes the gradients and calls backward
        itself); it runs with gradient recording on, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = self._checked_grad(param)
                if group.get("maximize", False):
                    grad = -grad  # a new array: .grad itself is never modified
                state = self.state.setdefault(param, {})
                self._update(param.data, grad, state, group)
                param._version += 1  # an in-place change: a graph that saved the old values refuses to use them
        return loss

    def _update(self, theta: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update one parameter's array ``theta`` in place from its gradient ``grad`` (never modified)."""
        raise NotImplementedError(f"{self._name} does not define its update rule (_update)")

    def _checked_grad(self, param: Tensor) -> Any:
        grad = param.grad.data
        array_type = type(param.data)
        if (type(grad) is array_type and grad.shape == param.data.shape and grad.dtype == param.data.dtype
                and all(type(v) is array_type for v in self.state.get(param, {}).values() if _is_array(v))):
            return grad  # the every-step case: one array class (so one device), matching shape and dtype
        if backend.device_of(grad) != param.device:
            raise TypeError(
                f"{self._name}.step(): a parameter of shape {tuple(param.shape)} is on {param.device} but its "
                f".grad is on {backend.device_of(grad)}: gradients must live on the parameter's device"
            )
        if grad.shape != param.shape:
            raise ValueError(
                f"{self._name}.step(): a parameter of shape {tuple(param.shape)} has a .grad of shape "
                f"{tuple(grad.shape)}: the gradient must have the parameter's shape"
            )
        if grad.dtype != param.dtype:
            raise TypeError(
                f"{self._name}.step(): a parameter of shape {tuple(param.shape)} is {param.dtype} but its .grad "
                f"is {grad.dtype}: a gradient must have its parameter's dtype"
            )
        for name, value in self.state.get(param, {}).items():
            if _is_array(value) and backend.device_of(value) != param.device:
                raise TypeError(
                    f"{self._name}.step(): a parameter of shape {tuple(param.shape)} is now on {param.device} "
                    f"but its optimizer state '{name}' is on {backend.device_of(value)}: move the model before "
                    "creating the optimizer (or re-create the optimizer after moving it)"
                )
        return grad

    def _scratch(self, like: Any, slot: int = 0) -> Any:
        """A reusable work array shaped like ``like`` (``slot`` 0, 1, ... are distinct arrays).

        The updates write their intermediate results here with ``out=`` instead of allocating temporaries
        every step: for a 20-million-parameter model each temporary is 80 MB to allocate and fault in. One
        buffer per slot, dtype and device serves all parameters (sized for the largest); it is not part of
        the optimizer's state and holds nothing between calls.
        """
        xp = backend.get_array_module(like)
        key = (slot, like.dtype, backend.device_of(like))
        buffer = self._workspace.get(key)
        if buffer is None or buffer.size < like.size:
            buffer = xp.empty(like.size, dtype=like.dtype)
            self._workspace[key] = buffer
        return buffer[: like.size].reshape(like.shape)

    # --------------------------------------------------------------------------------- saving and resuming

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data: ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [indices]}]}``, each parameter replaced by its position across the groups (0, 1, 2, ...) and every
        array copied, so that later steps do not change a saved checkpoint."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(param)]: {k: (v.copy() if _is_array(v) else copy.deepcopy(v)) for k, v in values.items()}
            for param, values in self.state.items()
            if id(param) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: hyper-parameters per group and the state of each parameter, matched by
        position. Arrays are copied and converted to each parameter's dtype and device.

        Everything is checked before anything changes: a state from another kind of optimizer (Adam's into SGD),
        missing or unknown hyper-parameters, or values a rule refuses raise an error naming what differs, and
        the optimizer is left as it was."""
        self._check_state_dict(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, this "
                f"optimizer has {len(self.param_groups)}"
            )
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            raise ValueError(
                f"{self._name}.load_state_dict: the saved groups hold {saved_sizes} parameters, this optimizer's "
                f"groups hold {sizes}: load the state into an optimizer built over the same parameters"
            )
        by_index = {
            saved: param
            for saved_group, group in zip(saved_groups, self.param_groups, strict=True)
            for saved, param in zip(saved_group["params"], group["params"], strict=True)
        }
        state: dict[Tensor, dict[str, Any]] = {}
        for saved_index, values in state_dict["state"].items():
            param = by_index.get(saved_index)
            if param is None:
                continue
            state[param] = {name: self._restored(param, name, value) for name, value in values.items()}
        new_groups = []
        for saved_group, group in zip(saved_groups, self.param_groups, strict=True):
            restored = {k: copy.deepcopy(v) for k, v in saved_group.items() if k != "params"}
            restored["params"] = group["params"]
            for name, default in self.defaults.items():
                restored.setdefault(name, default)
            self._check_hyperparameters(restored)
            new_groups.append(restored)
        self.state = state
        self.param_groups = new_groups

    def _check_state_dict(self, state_dict: Any) -> None:
        """Refuse a state that is not this kind of optimizer's, naming the keys that differ."""
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            found = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{where}: expected the dict of an optimizer's state_dict(), with the keys "
                             f"['param_groups', 'state'], got {found}")
        if not isinstance(state_dict["param_groups"], list) or not isinstance(state_dict["state"], dict):
            raise ValueError(f"{where}: 'param_groups' must be a list of dicts and 'state' a dict, as "
                             "state_dict() makes them")
        expected = set(self.defaults)
        for i, group in enumerate(state_dict["param_groups"]):
            if not isinstance(group, dict) or "params" not in group:
                raise ValueError(f"{where}: parameter group {i} is not a dict with a 'params' entry")
            saved = set(group) - {"params"}
            missing, unknown = sorted(expected - saved), sorted(saved - expected)
            # a group may carry extra keys of the user's (PyTorch allows it), and a state saved before a rule
            # gained a hyper-parameter lacks that one (it takes the default); lacking some AND having others of
            # its own is another rule's state
            if missing and unknown:
                raise ValueError(
                    f"{where}: the saved state was made by another kind of optimizer: group {i} lacks {missing} "
                    f"and has {unknown} that {self._name} does not know. Load a state saved by {self._name} (or "
                    f"build the optimizer the checkpoint was made with)"
                )

    def _restored(self, param: Tensor, name: str, value: Any) -> Any:
        if not _is_array(value):
            return copy.deepcopy(value)
        if value.shape != param.shape:
            raise ValueError(
                f"{self._name}.load_state_dict: the saved state '{name}' has shape {tuple(value.shape)} but its "
                f"parameter has shape {tuple(param.shape)}: the parameters are not the ones the state was saved for"
            )
        value = backend.to_device(value, param.device)
        return value.astype(param.dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        lines.append(")")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ shared helpers


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def _check_number(optimizer: str, what: str, value: Any, expected: str) -> None:
    """A hyper-parameter must be a number (a str "0.1" or a bool would compare or multiply wrongly later)."""
    if isinstance(value, bool) or not isinstance(value, int | float) and not hasattr(value, "__float__"):
        raise TypeError(f"{optimizer}: {what}={value!r} is a {type(value).__name__}: it must be {expected}")


def check_non_negative(optimizer: str, name: str, value: float, meaning: str) -> None:
    """Refuse a negative (or NaN) hyper-parameter with a message that names it."""
    _check_number(optimizer, f"{meaning} {name}", value, f"a number, e.g. {name}=0.1")
    if not value >= 0.0:  # written this way so that NaN fails too
        raise ValueError(f"{optimizer}: invalid {meaning} {name}={value}: it must be a number ≥ 0")


def check_in_unit_interval(optimizer: str, name: str, value: float) -> None:
    """Refuse a decay rate outside [0, 1) (β = 1 would never forget, β < 0 would oscillate)."""
    _check_number(optimizer, name, value, "a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{optimizer}: invalid {name}={value}: it must lie in [0, 1)")


def lerp_(start: Any, end: Any, weight: float, scratch: Any) -> Any:
    """start ← start + w (end − start), in place: the running average  start ← (1 − w) start + w end.

    Evaluated in PyTorch's ``lerp_`` order: for w < 0.5 as start + w (end − start), otherwise as
    end − (1 − w)(end − start) (each form is the more accurate one on its side). ``scratch`` is a work array
    of the same shape (overwritten).
    """
    xp = backend.get_array_module(start)
    difference = xp.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1.0 - weight
        xp.subtract(end, difference, out=start)
    return start
