"""Look inside a network: layer outputs, their statistics, gradients, and
statistics recorded during training.

Everything here works on functional and Sequential Keras models (a model with
a defined ``input``); a *unit* is a position on the last axis of a layer's
output (a neuron of a Dense layer, a channel of a channels-last Conv2D).

- :func:`layer_outputs`: what chosen layers output for some inputs.
- :func:`activation_table`: mean, standard deviation and percentiles per layer.
- :func:`layer_gradients`, :func:`weight_gradients`, :func:`gradient_norms`:
  gradients of a loss with respect to layer outputs and to weights, on any
  backend (``bnbook.autodiff``).
- :class:`StepRecorder`, :class:`PercentileRecorder`: callbacks that measure
  the model every few optimizer steps during ``fit``.

Training-mode calls go through ``stateless_call``, so they never change a
model's state: the moving statistics of ``BatchNormalization`` stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np
import pandas as pd

from bnbook.autodiff import to_numpy, value_and_grad

__all__ = [
    "PercentileRecorder",
    "StepRecorder",
    "activation_table",
    "gradient_norms",
    "layer_gradients",
    "layer_outputs",
    "weight_gradients",
]


# ------------------------------------------------------------------ checks


def _check_model(model: object) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError) as exc:
        inputs, reason = None, f"; {exc}"
    else:
        reason = ""
    if not inputs:
        raise ValueError(
            "model must be a functional or Sequential model with a defined input "
            f"(built from keras.Input){reason}"
        )
    return model


def _input(model: keras.Model):
    """The model's input tensor (a list only for a model with several inputs)."""
    inputs = model.inputs
    return inputs[0] if len(inputs) == 1 else inputs


def _check_layer_names(layer_names: Sequence[str] | None, available: list[str],
                       unknown_message: str) -> list[str]:
    """``layer_names`` checked against ``available`` (all of them when None)."""
    if layer_names is None:
        return available
    if isinstance(layer_names, str) or not isinstance(layer_names, Sequence):
        raise TypeError(
            f"layer_names must be a list of layer names or None, got {layer_names!r}"
        )
    if not layer_names:
        raise ValueError("layer_names must name at least one layer, got an empty list")
    unknown = [name for name in layer_names if name not in available]
    if unknown:
        raise ValueError(unknown_message.format(unknown=unknown, available=available))
    return list(layer_names)


def _check_names(model: keras.Model, layer_names: Sequence[str] | None) -> list[str]:
    available = [layer.name for layer in model.layers
                 if not isinstance(layer, keras.layers.InputLayer)]
    return _check_layer_names(layer_names, available,
                              "layer_names: no layer named {unknown} in the model; "
                              "it has {available}")


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def _check_percentiles(percentiles: Sequence[float]) -> tuple[float, ...]:
    if isinstance(percentiles, (str, bytes)) or not isinstance(percentiles, Sequence):
        raise TypeError(f"percentiles must be a sequence of numbers, got {percentiles!r}")
    values = tuple(percentiles)
    if not values:
        raise ValueError("percentiles must hold at least one number, got none")
    for q in values:
        if isinstance(q, bool) or not isinstance(q, (int, float, np.number)) or not 0 <= q <= 100:
            raise ValueError(f"percentiles must be numbers in [0, 100], got {list(values)}")
    return tuple(float(q) for q in values)


def _check_loss(loss_fn: object) -> Callable:
    if not callable(loss_fn):
        raise TypeError(
            "loss_fn must be callable as loss_fn(y_true, y_pred), e.g. "
            f"keras.losses.MeanSquaredError(); got {loss_fn!r}"
        )
    return loss_fn


def _check_single_output(model: keras.Model) -> keras.KerasTensor:
    """The model's one output tensor (``model.outputs``: Sequential has no ``output``)."""
    outputs = model.outputs
    if len(outputs) != 1:
        raise ValueError(
            "model must have a single output to take gradients of its loss, "
            f"got {len(outputs)} outputs"
        )
    return outputs[0]


def _check_numbers(name: str, value: object) -> np.ndarray:
    """``value`` as an array of real numbers (or bools)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def _fits(shape: tuple, spec: tuple) -> bool:
    """Whether ``shape`` matches ``spec``, where None in ``spec`` matches any length."""
    return len(shape) == len(spec) and all(s is None or d == s
                                           for d, s in zip(shape, spec, strict=True))


def _check_features(name: str, x: np.ndarray, model: keras.Model) -> None:
    """Refuse an ``x`` whose per-sample shape the model's single input cannot take."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # not built yet: Keras checks later
        return
    if not inputs or len(inputs) != 1:
        return
    spec, shape = tuple(inputs[0].shape[1:]), tuple(x.shape[1:])
    # Keras itself adds or drops a trailing axis of length 1.
    if (_fits(shape, spec) or (spec[-1:] == (1,) and _fits(shape, spec[:-1]))
            or (shape[-1:] == (1,) and _fits(shape[:-1], spec))):
        return
    expected = ", ".join(["n", *("any" if s is None else str(s) for s in spec)])
    raise ValueError(
        f"{name} must have shape ({expected}) to fit the model's input, got {x.shape}"
    )


def _check_targets(name: str, y: np.ndarray, output: keras.KerasTensor) -> None:
    """Refuse targets that a loss would silently broadcast against the model's output."""
    units = output.shape[-1] if len(output.shape) > 1 else None
    if units is not None and y.ndim == len(output.shape) and y.shape[-1] not in (1, units):
        raise ValueError(
            f"{name} must have {units} column(s), one per output unit (or 1 for class "
            f"labels), got shape {y.shape}"
        )


def _check_batch(model: keras.Model, x, y) -> tuple[np.ndarray, np.ndarray]:
    """``x``, ``y`` as arrays of numbers, one target per input, that fit the model."""
    x_array, y_array = _check_numbers("x", x), _check_numbers("y", y)
    if x_array.ndim == 0 or y_array.ndim == 0 or len(x_array) != len(y_array):
        raise ValueError(
            f"x and y must hold as many targets as inputs, got shapes {x_array.shape} "
            f"and {y_array.shape}"
        )
    if len(x_array) == 0:
        raise ValueError("x must hold at least one sample, got none")
    _check_features("x", x_array, model)
    _check_targets("y", y_array, _check_single_output(model))
    return x_array, y_array


def _column(q: float) -> str:
    return f"p{q:g}"


def _probe(model: keras.Model, names: list[str], with_output: bool = False) -> keras.Model:
    """A functional model from the input to the named layers' outputs (and the output)."""
    outputs = [model.get_layer(name).output for name in names]
    if with_output:
        outputs.append(_check_single_output(model))
    return keras.Model(_input(model), outputs)


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _run(probe: keras.Model, x, training: bool) -> list:
    """Call ``probe`` on ``x``; in training mode statelessly, so no state changes."""
    if not training:
        outputs = probe(x, training=False)
    else:
        outputs, _ = probe.stateless_call(
            [v.value for v in probe.trainable_variables],
            [v.value for v in probe.non_trainable_variables],
            x, training=True,
        )
    return _as_list(outputs)


# ----------------------------------------------------------------- outputs


def layer_outputs(
    model: keras.Model,
    x,
    layer_names: Sequence[str] | None = None,
    *,
    training: bool = False,
) -> dict[str, np.ndarray]:
    """The outputs of ``layer_names`` (default: every layer) for the inputs ``x``.

    One forward pass of a functional sub-model that shares the model's
    weights. ``training=True`` runs it as ``fit`` would (batch statistics in
    ``BatchNormalization``), through ``stateless_call``: the model's moving
    statistics are not updated.
    """
    model = _check_model(model)
    names = _check_names(model, layer_names)
    training = _check_bool("training", training)
    x = _check_numbers("x", x)
    _check_features("x", x, model)
    values = _run(_probe(model, names), x, training)
    return {name: keras.ops.convert_to_numpy(value)
            for name, value in zip(names, values, strict=True)}


def activation_table(
    outputs: Mapping[str, np.ndarray],
    percentiles: Sequence[float] = (1, 50, 99),
) -> pd.DataFrame:
    """Statistics of each layer's output, one row per layer.

    Columns: ``layer``; ``mean`` and ``std`` over all values of the output;
    one column per percentile (``p1``, ``p50``, ...); and ``unit_mean_spread``,
    the standard deviation across units of each unit's own mean over the
    samples (0 when every unit is centred the same way). Units are the
    positions of the last axis.
    """
    if not isinstance(outputs, Mapping) or not outputs:
        raise ValueError(
            "outputs must map at least one layer name to its output array "
            "(as layer_outputs returns)"
        )
    qs = _check_percentiles(percentiles)
    rows = []
    for name, value in outputs.items():
        array = _check_numbers(f"outputs[{name!r}]", value).astype(np.float64)
        if array.ndim < 2:
            raise ValueError(
                f"outputs[{name!r}] must have a batch axis and a unit axis, "
                f"got shape {array.shape}"
            )
        if array.size == 0:
            raise ValueError(
                f"outputs[{name!r}] must hold at least one value per unit, "
                f"got shape {array.shape}"
            )
        unit_means = array.reshape(-1, array.shape[-1]).mean(axis=0)
        row = {"layer": name, "mean": array.mean(), "std": array.std()}
        row.update({_column(q): v for q, v in zip(qs, np.percentile(array, qs), strict=True)})
        row["unit_mean_spread"] = unit_means.std()
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------- gradients


class _Nudge(keras.layers.Layer):
    """Adds a trainable tensor of zeros: its gradient is the gradient of the input."""

    def __init__(self, shape: tuple, **kwargs):
        super().__init__(**kwargs)
        self.delta = self.add_weight(shape=shape, initializer="zeros", name="delta")

    def call(self, inputs):
        return inputs + self.delta

    def compute_output_shape(self, input_shape):
        return input_shape


def _gradients(model, x, y, loss_fn, names, training):
    """d loss / d (outputs of ``names``) and d loss / d (trainable weights), any backend.

    Gradients with respect to a layer's output are gradients with respect to a
    zero tensor added to it: the model is rebuilt, sharing its layers, with a
    :class:`_Nudge` after each named layer (the batch size is fixed by ``x``).
    """
    x = keras.ops.convert_to_tensor(x)
    batch = int(x.shape[0])
    nudges: dict[str, _Nudge] = {}

    def call_function(layer, *args, **kwargs):
        output = layer(*args, **kwargs)
        if layer.name in names:
            nudges[layer.name] = _Nudge((batch, *output.shape[1:]), name=f"nudge_{layer.name}")
            output = nudges[layer.name](output)
        return output

    probe = keras.models.clone_model(_probe(model, [], with_output=True),
                                     clone_function=lambda layer: layer,
                                     call_function=call_function)
    non_trainable = [v.value for v in probe.non_trainable_variables]

    def loss_of(params, x, y):
        outputs, _ = probe.stateless_call(params, non_trainable, x, training=training)
        return keras.ops.mean(loss_fn(y, _as_list(outputs)[-1]))

    gradient = value_and_grad(loss_of, compile=False)
    _, grads = gradient([v.value for v in probe.trainable_variables], x,
                        keras.ops.convert_to_tensor(y))
    by_variable = {id(v): g for v, g in zip(probe.trainable_variables, grads, strict=True)}
    layer_grads = [by_variable[id(nudges[name].delta)] for name in names]
    weight_grads = [by_variable[id(v)] for v in model.trainable_variables]
    return layer_grads, weight_grads


def layer_gradients(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    layer_names: Sequence[str] | None = None,
    *,
    training: bool = True,
) -> dict[str, np.ndarray]:
    """Gradient of the mean loss with respect to each named layer's output.

    ``loss_fn(y, model(x))`` is averaged to a scalar. By default the forward
    pass runs in training mode, as in ``fit``, without changing any state.
    """
    model = _check_model(model)
    names = _check_names(model, layer_names)
    loss_fn = _check_loss(loss_fn)
    training = _check_bool("training", training)
    x, y = _check_batch(model, x, y)
    grads, _ = _gradients(model, x, y, loss_fn, names, training)
    return dict(zip(names, to_numpy(grads), strict=True))


def weight_gradients(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    *,
    training: bool = True,
) -> dict[str, np.ndarray]:
    """Gradient of the mean loss with respect to every trainable weight, by weight path.

    The paths are those of ``model.trainable_variables`` (e.g. ``"dense/kernel"``).
    """
    model = _check_model(model)
    loss_fn = _check_loss(loss_fn)
    training = _check_bool("training", training)
    x, y = _check_batch(model, x, y)
    _, grads = _gradients(model, x, y, loss_fn, [], training)
    return {v.path: g for v, g in zip(model.trainable_variables, to_numpy(grads), strict=True)}


def gradient_norms(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    *,
    training: bool = True,
) -> pd.DataFrame:
    """Size of the gradient of every trainable weight, one row per weight.

    Columns: ``layer``, ``weight`` (e.g. ``kernel``, ``bias``, ``gamma``),
    ``shape``, ``grad_norm`` (Euclidean norm of the gradient), ``weight_norm``
    and ``ratio`` = grad_norm / weight_norm, the relative size of a plain SGD
    step per unit learning rate (NaN for an all-zero weight).
    """
    grads = weight_gradients(model, x, y, loss_fn, training=training)
    rows = []
    for variable in model.trainable_variables:
        grad = grads[variable.path]
        weight = variable.numpy()
        layer, _, weight_name = variable.path.rpartition("/")
        grad_norm = float(np.linalg.norm(grad))
        weight_norm = float(np.linalg.norm(weight))
        rows.append({
            "layer": layer, "weight": weight_name, "shape": str(tuple(variable.shape)),
            "grad_norm": grad_norm, "weight_norm": weight_norm,
            "ratio": grad_norm / weight_norm if weight_norm > 0 else float("nan"),
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------- callbacks


def _check_every(every: object) -> int:
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive int (optimizer steps), got {every!r}")
    return int(every)


class StepRecorder(keras.callbacks.Callback):
    """Measure the model before training and every ``every`` optimizer steps.

    ``measure(model)`` returns a mapping of scalars (one row) or a DataFrame
    (several rows); :attr:`table` collects them with the optimizer step in a
    first column ``step``. Keras calls callbacks once per execution, so compile
    with a ``steps_per_execution`` that divides ``every`` (e.g. equal to it) to
    record exactly every ``every`` steps. The state after the last step is
    always recorded. Each ``fit`` starts a new record.
    """

    def __init__(self, measure: Callable[[keras.Model], Mapping | pd.DataFrame], every: int):
        super().__init__()
        if not callable(measure):
            raise TypeError(f"measure must be callable as measure(model), got {measure!r}")
        self.measure = measure
        self.every = _check_every(every)
        self._frames: list[pd.DataFrame] = []
        self._last = -1

    def _step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def _record(self) -> None:
        step = self._step()
        result = self.measure(self.model)
        if not isinstance(result, (Mapping, pd.DataFrame)):
            raise TypeError(
                "measure(model) must return a mapping of scalars or a DataFrame, "
                f"got {type(result).__name__}"
            )
        frame = (result.copy() if isinstance(result, pd.DataFrame)
                 else pd.DataFrame([dict(result)]))
        frame.insert(0, "step", step)
        self._frames.append(frame)
        self._last = step

    def on_train_begin(self, logs=None):
        self._frames, self._last = [], -1
        self._record()

    def on_train_batch_end(self, batch, logs=None):
        if self._step() - self._last >= self.every:
            self._record()

    def on_train_end(self, logs=None):
        if self._step() != self._last:
            self._record()

    @property
    def table(self) -> pd.DataFrame:
        """Every recorded measurement, in order, with its optimizer step."""
        if not self._frames:
            return pd.DataFrame({"step": pd.Series(dtype=int)})
        return pd.concat(self._frames, ignore_index=True)


class PercentileRecorder(StepRecorder):
    """Percentiles of units of one layer's output over the inputs ``x``, during ``fit``.

    At each record, ``x`` goes through the model up to ``layer_name`` (in
    inference mode, or with ``training=True`` as one training batch without
    changing any state) and, for each unit in ``units`` (an index, a list of
    indices, or None for all), the given percentiles over the samples are
    stored. :attr:`table` has columns ``step``, ``unit`` and ``p15``, ``p50``, ...
    """

    def __init__(
        self,
        x,
        layer_name: str,
        units: int | Sequence[int] | None = 0,
        percentiles: Sequence[float] = (15, 50, 85),
        every: int = 50,
        *,
        training: bool = False,
    ):
        if not isinstance(layer_name, str) or not layer_name:
            raise TypeError(f"layer_name must be a layer's name (a str), got {layer_name!r}")
        if units is not None:
            listed = [units] if isinstance(units, (int, np.integer)) else units
            if (isinstance(units, bool) or isinstance(listed, (str, bytes))
                    or not isinstance(listed, Sequence) or not listed
                    or any(isinstance(u, bool) or not isinstance(u, (int, np.integer))
                           or u < 0 for u in listed)):
                raise ValueError(
                    f"units must be a unit index, a non-empty list of indices, or None; "
                    f"got {units!r}"
                )
            units = [int(u) for u in listed]
        self.layer_name = layer_name
        self.units = units
        self.percentiles = _check_percentiles(percentiles)
        self.training = _check_bool("training", training)
        self.x = keras.ops.convert_to_tensor(_check_numbers("x", x))
        self._probe = None
        super().__init__(self._measure, every)

    def on_train_begin(self, logs=None):
        model = _check_model(self.model)
        if self.layer_name not in [layer.name for layer in model.layers]:
            raise ValueError(
                f"layer_name: no layer named {self.layer_name!r} in the model; "
                f"it has {[layer.name for layer in model.layers]}"
            )
        size = model.get_layer(self.layer_name).output.shape[-1]
        if self.units is not None and max(self.units) >= size:
            raise ValueError(
                f"units must be below {size}, the number of units of "
                f"{self.layer_name!r}; got {self.units}"
            )
        _check_features("x", keras.ops.convert_to_numpy(self.x), model)
        self._probe = _probe(model, [self.layer_name])
        super().on_train_begin(logs)

    def _measure(self, model) -> pd.DataFrame:
        (value,) = _run(self._probe, self.x, self.training)
        array = keras.ops.convert_to_numpy(value)
        array = array.reshape(-1, array.shape[-1])
        units = list(range(array.shape[-1])) if self.units is None else self.units
        values = np.percentile(array[:, units], self.percentiles, axis=0)
        frame = pd.DataFrame({"unit": units})
        for q, row in zip(self.percentiles, values, strict=True):
            frame[_column(q)] = row
        return frame
