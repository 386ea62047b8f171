"""Checkers of chapter 2's exercises."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number

# The chapter's deep plain network: 784 standardized inputs, ten Dense
# layers of 100 units, each followed by a ReLU, then ten logits.
_INPUTS, _DEPTH, _WIDTH, _CLASSES = 784, 10, 100, 10

# --- ex-02-he: predict the std of z in layer 10 under He initialization ---

_HE_TOLERANCE = 0.2  # relative


@cache
def _he_std(draws: int = 8, images: int = 128) -> tuple[float, float, float]:
    """Root mean square over draws of layer 10's std of z, and its range.

    Standard-normal inputs (mean square 1, as standardized pixels), He
    normal kernels (variance 2/n_in), zero biases, ReLUs in between.
    """
    rng = np.random.default_rng(202)
    stds = []
    for _ in range(draws):
        h = rng.standard_normal((images, _INPUTS))
        for _ in range(_DEPTH):
            n_in = h.shape[1]
            z = h @ (rng.standard_normal((n_in, _WIDTH)) * np.sqrt(2 / n_in))
            h = np.maximum(z, 0)
        stds.append(z.std())
    stds = np.array(stds)
    return float(np.sqrt(np.mean(stds**2))), float(stds.min()), float(stds.max())


@checker("ex-02-he")
def _he(answer: object) -> str:
    prediction = number(answer, "the std of z in layer 10 at initialization")
    truth, low, high = _he_std()
    measured = (f"over 8 random He networks the std of z in layer {_DEPTH} "
                f"is {truth:.2f} (root mean square; single networks from "
                f"{low:.1f} to {high:.1f})")
    if abs(prediction / truth - 1) <= _HE_TOLERANCE:
        return (f"{measured}; your {prediction:.3g} is within "
                f"{_HE_TOLERANCE:.0%} of it")
    tell = f"{measured}, so {prediction:.3g} is off by more than {_HE_TOLERANCE:.0%}: "
    if prediction <= 0:
        raise Hint(tell + "a standard deviation is positive")
    if prediction < 0.3:
        raise Hint(tell + "that is the shrinking of the chapter's Glorot network, "
                   "a factor 1/sqrt(2) per layer. He's variance 2/n_in doubles "
                   "the weights' variance: what does that do to the half of the "
                   "mean square that each ReLU removes?")
    if 0.85 <= prediction <= 1.12:
        raise Hint(tell + "He keeps the std the same from layer to layer, but at "
                   "which value? Layer 1 sets it: 784 inputs of mean square 1, "
                   "times weights of variance 2/784. (1 is the root mean square "
                   "of a ReLU output h, not of the z before it.)")
    if 1.8 <= prediction <= 2.2:
        raise Hint(tell + "2 is the variance of z; the question asks for its "
                   "standard deviation")
    if prediction > 2.2:
        raise Hint(tell + "He initialization does not make the signal grow: "
                   "Var(z_k) = n_in * (2/n_in) * E[h_{k-1}^2], and a ReLU keeps "
                   "half of the mean square, E[h^2] = Var(z)/2")
    raise Hint(tell + "follow one layer: Var(z_k) = n_in * Var(w) * "
               "E[h_{k-1}^2], and a ReLU of a centred, symmetric z keeps half "
               "of its mean square, E[h^2] = Var(z)/2; start with layer 1")


# --- ex-02-zero-init: which weights of a zero-initialized network learn? ---

_NAMES = ([f"dense_{k}/{w}" for k in range(1, _DEPTH + 1) for w in ("kernel", "bias")]
          + ["logits/kernel", "logits/bias"])


@cache
def _zero_init_gradients() -> frozenset[str]:
    """Names of the weights with a nonzero gradient, hidden weights zero.

    Backpropagation by hand through the chapter's architecture on a random
    batch of 60 standardized images with random labels, mean cross-entropy.
    """
    rng = np.random.default_rng(2020)
    batch = 60
    x = rng.standard_normal((batch, _INPUTS))
    labels = rng.integers(_CLASSES, size=batch)
    sizes = [_INPUTS] + [_WIDTH] * _DEPTH + [_CLASSES]
    names = [f"dense_{k}" for k in range(1, _DEPTH + 1)] + ["logits"]
    kernels = [np.zeros((a, b)) for a, b in zip(sizes[:-2], sizes[1:-1], strict=True)]
    limit = np.sqrt(6 / (_WIDTH + _CLASSES))  # the logits keep Glorot's kernel
    kernels.append(rng.uniform(-limit, limit, (_WIDTH, _CLASSES)))
    biases = [np.zeros(b) for b in sizes[1:]]
    inputs, pre = [], []
    h = x
    for k, (kernel, bias) in enumerate(zip(kernels, biases, strict=True)):
        inputs.append(h)
        z = h @ kernel + bias
        pre.append(z)
        h = np.maximum(z, 0) if k < _DEPTH else z
    logits = h - h.max(axis=1, keepdims=True)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    dz = (softmax - np.eye(_CLASSES)[labels]) / batch
    nonzero = set()
    for k in reversed(range(_DEPTH + 1)):
        if np.any(inputs[k].T @ dz):
            nonzero.add(f"{names[k]}/kernel")
        if np.any(dz.sum(axis=0)):
            nonzero.add(f"{names[k]}/bias")
        if k > 0:  # back through the kernel, then the ReLU below it
            dz = (dz @ kernels[k].T) * (pre[k - 1] > 0)
    return frozenset(nonzero)


def _names(answer: object) -> set[str]:
    """The learner's weight names, normalized, or a hint about their form."""
    if answer is None or answer is Ellipsis:
        raise Hint("replace the ... with the set of names of the weights that "
                   "receive a nonzero gradient, e.g. {'dense_3/bias'}")
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, Iterable):
        raise Hint("expected a set of weight names such as {'dense_3/bias', "
                   f"'logits/kernel'}}, got {type(answer).__name__}")
    names = set()
    for item in answer:
        if not isinstance(item, str):
            raise Hint(f"expected weight names as strings, got {item!r}")
        name = item.strip().lower()
        if name not in _NAMES:
            raise Hint(f"{item!r} is not a weight of the network: use the names "
                       "that gradient_norms prints as layer/weight, from "
                       "'dense_1/kernel' to 'logits/bias'")
        names.add(name)
    return names


@checker("ex-02-zero-init")
def _zero_init(answer: object) -> str:
    names = _names(answer)
    truth = _zero_init_gradients()
    if names == truth:
        return (f"only {', '.join(sorted(truth))} receives a gradient; the "
                f"other {len(_NAMES) - len(truth)} weights get exactly zero")
    extra, missing = names - truth, truth - names  # one is not empty
    if "logits/kernel" in extra:
        raise Hint("the logits kernel's gradient is h_10^T times dL/dlogits: "
                   "what is h_10 = relu(z_10) when every weight before it is "
                   "zero?")
    if "dense_10/bias" in extra or "dense_10/kernel" in extra:
        raise Hint("dL/dh_10 = dL/dlogits times the logits kernel is not zero, "
                   "but z_10 = 0 for every image: what is the ReLU's derivative "
                   "at exactly 0? (Keras takes it as 0, on every backend)")
    if extra:
        raise Hint(f"{sorted(extra)[0]} gets no gradient: a hidden weight's "
                   "gradient needs a nonzero dL/dz_k, and dL/dz_k reaches layer "
                   "k < 10 only through the kernel of the layer above it, which "
                   "is all zeros (even dense_1, whose input is not zero, gets "
                   "x^T dL/dz_1 = 0)")
    raise Hint(f"{sorted(missing)[0]} does receive a gradient: the logits bias "
               "gets dL/dlogits = softmax(logits) - one-hot label, summed over "
               "the batch, and at zero logits every softmax is 1/10")


# --- ex-02-layer-stds: the std of z per layer, as the chapter's table --------

_STD_TOLERANCE = 1e-3  # relative; Keras computes in float32
_PROBED = (["dense_a", "bn_a", "relu_a", "dense_b"], ["dense_b", "dense_a"], ["bn_a"])


def _hidden_case() -> tuple[object, np.ndarray]:
    """The hidden model, reset to its weights (a training-mode call moves
    its moving statistics), and its inputs."""
    model, x, weights = _hidden_model()
    model.set_weights(weights)
    return model, x


@cache
def _hidden_model() -> tuple[object, np.ndarray, list[np.ndarray]]:
    """A small model with a batch normalization layer, and its inputs.

    The inputs have means far from zero, so the units' means differ; the
    normalization layer has moving statistics far from the batch's, so
    inference and training mode disagree.
    """
    import keras

    rng = np.random.default_rng(2121)
    x = (rng.standard_normal((200, 12)) * rng.uniform(0.5, 3, 12)
         + rng.uniform(-4, 4, 12)).astype("float32")
    inputs = keras.Input((12,))
    z = keras.layers.Dense(16, name="dense_a")(inputs)
    z = keras.layers.BatchNormalization(name="bn_a")(z)
    z = keras.layers.Activation("relu", name="relu_a")(z)
    z = keras.layers.Dense(8, name="dense_b")(z)
    model = keras.Model(inputs, z)
    for weight in model.weights:
        name = weight.path.rpartition("/")[2]
        if name == "moving_variance":  # far from the batch variances
            value = rng.uniform(5, 20, weight.shape)
        elif name == "gamma":
            value = rng.uniform(0.5, 2, weight.shape)
        else:
            value = rng.standard_normal(weight.shape)
        weight.assign(value.astype("float32"))
    return model, x, model.get_weights()


def _outputs(model: object, x: np.ndarray, names: list[str],
             training: bool) -> list[np.ndarray]:
    """The named layers' outputs on ``x`` (private reference probe)."""
    import keras

    probe = keras.Model(model.input, {n: model.get_layer(n).output for n in names})
    outputs = probe(x, training=training)
    return [np.asarray(keras.ops.convert_to_numpy(outputs[n]), dtype=np.float64)
            for n in names]


def _stds(answer: object, names: list[str]) -> np.ndarray:
    """The learner's stds in the order of ``names``, or a hint."""
    if isinstance(answer, dict):
        if set(answer) != set(names):
            raise Hint(f"the dictionary's keys are {sorted(answer)}, expected "
                       f"the names asked for, {names}")
        answer = [answer[name] for name in names]
    if len(names) == 1 and len(np.shape(answer)) == 1 and np.shape(answer)[0] > 1:
        raise Hint(f"for the single layer {names} you returned {np.shape(answer)[0]} "
                   "numbers: a Keras model whose outputs are a list of ONE "
                   "tensor returns that tensor, not a list; a dictionary of "
                   "outputs, {name: output}, always returns a dictionary")
    return array(answer, f"the result for the names {names}", (len(names),))


def _matches(stds: np.ndarray, expected: list[float]) -> bool:
    return bool(np.all(np.abs(stds / np.array(expected) - 1) < _STD_TOLERANCE))


@checker("ex-02-layer-stds")
def _layer_stds(answer: object) -> str:
    layer_stds = function(answer, "layer_stds(model, x, names)")
    for names in _PROBED:
        model, x = _hidden_case()
        stds = _stds(call(layer_stds, model, x, list(names),
                          what="layer_stds(model, x, names)"), names)
        model, x = _hidden_case()
        outputs = _outputs(model, x, names, training=False)
        if _matches(stds, [z.std() for z in outputs]):
            continue
        told = f"for the layers {names} your stds are {np.round(stds, 3).tolist()}: "
        training = _outputs(model, x, names, training=True)
        model, x = _hidden_case()
        if _matches(stds, [z.std() for z in training]):
            raise Hint(told + "they are training-mode values (the batch's own "
                       "statistics in the normalization layer); the chapter's "
                       "table runs the model in inference mode, as predict does")
        if _matches(stds, [z.std(axis=0).mean() for z in outputs]):
            raise Hint(told + "that is each unit's std averaged over the units; "
                       "the chapter's z std is one std over all values, images "
                       "and units together, so it also counts how far apart the "
                       "units' means are")
        if _matches(stds, [z.std(axis=1).mean() for z in outputs]):
            raise Hint(told + "that is the std across the units of each image, "
                       "averaged over the images; take one std over all values")
        if _matches(stds, [z.var() for z in outputs]):
            raise Hint(told + "those are variances; take their square roots")
        final = _outputs(model, x, [model.layers[-1].name], training=False)[0]
        if np.allclose(stds, final.std(), rtol=_STD_TOLERANCE):
            raise Hint(told + "each is the std of the model's final output; "
                       "build a probe model whose outputs are the named "
                       "layers' outputs, keras.Model(model.input, [...])")
        raise Hint(told + "expected, per name, the std of that layer's output "
                   "over all images and units, with the model in inference "
                   "mode, in the order of names")
    return (f"the stds of {len(_PROBED[0])} layers of a hidden model with a "
            "normalization layer match, in inference mode and in the order "
            "asked")
