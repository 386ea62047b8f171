"""Checkers of chapter 8's exercises."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number

# ex-08-which-axes: predict how many values one statistic pools.

_MAPS = (4, 5, 5, 6)  # batch, height, width, channels
_LAYERS = {  # the statement's keys, and how to build and call each layer
    "BatchNormalization()": ("BatchNormalization", {}, False),
    "LayerNormalization()": ("LayerNormalization", {}, False),
    "LayerNormalization(axis=(1, 2, 3))": (
        "LayerNormalization", {"axis": (1, 2, 3)}, False),
    "GroupNormalization(groups=3)": (
        "GroupNormalization", {"groups": 3}, False),
    "BatchNormalization() on one map": ("BatchNormalization", {}, True),
}
_POOL_HINTS = {  # (layer, a wrong count): what that count suggests
    ("BatchNormalization()", 4): "one value per map is a dense layer's "
    "count; after a convolution a channel has 25 positions in each map",
    ("BatchNormalization()", 25): "25 are one map's positions, but in "
    "training mode batch normalization pools the whole batch of 4 maps",
    ("LayerNormalization()", 150): "150 is a whole map; Keras's default "
    "LayerNormalization() normalizes over the last axis only, the 6 "
    "channels at one position",
    ("LayerNormalization()", 600): "Keras's default LayerNormalization() "
    "normalizes over the last axis only, and never across the batch",
    ("LayerNormalization(axis=(1, 2, 3))", 6): "axis=(1, 2, 3) names the "
    "height, width and channel axes: all of one map",
    ("LayerNormalization(axis=(1, 2, 3))", 600): "layer normalization "
    "never pools across the batch: one map only",
    ("GroupNormalization(groups=3)", 2): "a group's statistic pools its "
    "channels at every position of the map, not at one position",
    ("GroupNormalization(groups=3)", 75): "groups=3 is the number of "
    "groups: 6 channels make 3 groups of 2 channels, not groups of 3",
    ("GroupNormalization(groups=3)", 200): "group normalization never "
    "pools across the batch: one map, one group of channels",
    ("BatchNormalization() on one map", 1): "after a convolution a batch "
    "of one still gives each channel 25 positions",
    ("BatchNormalization() on one map", 100): "on one map the batch is that "
    "map alone: its 25 positions",
}


def _pool_sizes() -> dict[str, int]:
    """How many outputs move when one input value moves, for each layer."""
    import keras

    rng = np.random.default_rng(80)
    maps = rng.normal(2.0, 3.0, size=_MAPS).astype("float32")
    sizes = {}
    for key, (name, options, alone) in _LAYERS.items():
        layer = getattr(keras.layers, name)(**options)
        x = maps[:1] if alone else maps
        before = keras.ops.convert_to_numpy(layer(x, training=True))
        moved = np.zeros(x.shape, dtype=bool)
        for step in (5.0, -3.0):  # two nudges: no output stays by chance
            nudged = x.copy()
            nudged[0, 0, 0, 0] += step
            after = keras.ops.convert_to_numpy(layer(nudged, training=True))
            moved |= np.abs(after - before) > 1e-5
        sizes[key] = int(moved.sum())
    return sizes


@checker("ex-08-which-axes")
def _which_axes(answer: object) -> str:
    if answer is None or answer is Ellipsis:
        raise Hint("replace the ... with your dictionary of predicted counts")
    if not isinstance(answer, dict):
        raise Hint(f"expected a dictionary from the layers of the statement to "
                   f"counts, got {type(answer).__name__}")
    missing = [key for key in _LAYERS if key not in answer]
    if missing:
        raise Hint(f"the dictionary has no count for {', '.join(missing)} "
                   "(use the keys as the statement writes them)")
    truth = _pool_sizes()
    for key, size in truth.items():
        guess = number(answer[key], f"the count of {key}")
        if guess == size:
            continue
        reason = _POOL_HINTS.get((key, guess), "count the axes it averages "
                                 "over, and multiply their lengths")
        raise Hint(f"{key}: one mean pools {size} values, not {guess:g}. "
                   f"{reason}.")
    return ("all five counts right: " + ", ".join(
        f"{size}" for size in truth.values())
        + " values per statistic, measured by nudging one input value")


# ex-08-group-norm: implement group normalization in NumPy.

def _group_norm(x: np.ndarray, groups: int, epsilon: float,
                ddof: int = 0, split: str = "consecutive",
                pool: str = "map", inside: bool = True) -> np.ndarray:
    """Group normalization of (batch, h, w, c) maps, and its usual slips."""
    batch, height, width, channels = x.shape
    if split == "consecutive":
        grouped = x.reshape(batch, height, width, groups, -1)
    else:  # channel k in group k % groups
        grouped = x.reshape(batch, height, width, -1, groups)
        grouped = grouped.swapaxes(3, 4)
    axes = {"map": (1, 2, 4), "position": (4,), "batch": (0, 1, 2, 4)}[pool]
    mean = grouped.mean(axis=axes, keepdims=True)
    variance = grouped.var(axis=axes, keepdims=True, ddof=ddof)
    if inside:
        normalized = (grouped - mean) / np.sqrt(variance + epsilon)
    else:
        normalized = (grouped - mean) / (np.sqrt(variance) + epsilon)
    if split != "consecutive":
        normalized = normalized.swapaxes(3, 4)
    return normalized.reshape(x.shape)


_SLIPS = {  # keyword arguments of _group_norm for a wrong answer: the hint
    "groups_as_size": "your groups hold `groups` channels each; groups is "
    "the number of groups, each of channels // groups consecutive channels",
    "split": "the statistics pool the right number of channels, but not the "
    "right ones: Keras's groups are runs of consecutive channels (0 and 1, "
    "2 and 3, ...), as reshape(batch, h, w, groups, channels // groups) "
    "gives them",
    "position": "you normalized each position over its group's channels "
    "only; a group's statistics also pool all positions of the map",
    "batch": "you pooled across the batch; group normalization "
    "normalizes each map by itself",
    "ddof": "you divided by n - 1 (ddof=1); normalization layers use the "
    "biased variance, a division by n",
    "no_epsilon": "right on large variances, wrong on the map with a tiny "
    "variance: did you forget epsilon?",
    "outside": "epsilon belongs under the square root: (x - mean) / "
    "sqrt(variance + epsilon)",
}


def _slip(name: str, x: np.ndarray, groups: int, epsilon: float) -> np.ndarray:
    """The wrong answer ``name`` on ``x``."""
    if name == "groups_as_size":
        return _group_norm(x, x.shape[-1] // groups, epsilon)
    options = {"split": {"split": "interleaved"}, "position": {"pool": "position"},
               "batch": {"pool": "batch"}, "ddof": {"ddof": 1},
               "no_epsilon": {}, "outside": {"inside": False}}[name]
    return _group_norm(x, groups, 0.0 if name == "no_epsilon" else epsilon,
                       **options)


def _group_cases() -> list[tuple[np.ndarray, int, float]]:
    """Hidden maps, group counts and epsilons; the last map varies little."""
    rng = np.random.default_rng(81)
    cases = []
    for shape, groups, epsilon in (((2, 4, 4, 6), 3, 1e-3), ((3, 5, 3, 8), 4, 1e-5),
                                   ((2, 3, 3, 12), 2, 1e-3), ((2, 4, 4, 6), 6, 1e-3),
                                   ((2, 4, 4, 8), 1, 1e-3)):
        scale = rng.uniform(0.5, 3.0, size=shape[-1])
        cases.append((rng.normal(1.0, 1.0, size=shape) * scale, groups, epsilon))
    small = rng.normal(0.5, 0.02, size=(2, 4, 4, 6))
    cases.append((small, 3, 1e-3))
    return cases


@checker("ex-08-group-norm")
def _group_norm_check(answer: object) -> str:
    group_norm = function(answer, "group_norm(x, groups, epsilon)")
    cases = _group_cases()
    for x, groups, epsilon in cases:
        result = call(group_norm, x.copy(), groups, epsilon,
                      what="group_norm(x, groups, epsilon)")
        result = array(result, "the output of group_norm", x.shape)
        expected = _group_norm(x, groups, epsilon)
        if np.allclose(result, expected, rtol=1e-4, atol=1e-5):
            continue
        for name, hint in _SLIPS.items():
            if name == "groups_as_size" and x.shape[-1] // groups == groups:
                continue
            if np.allclose(result, _slip(name, x, groups, epsilon),
                           rtol=1e-4, atol=1e-5):
                raise Hint(f"with groups={groups} on maps of shape {x.shape}: "
                           + hint)
        raise Hint(f"with groups={groups} and epsilon={epsilon} on maps of "
                   f"shape {x.shape}, the largest difference from group "
                   f"normalization is {np.abs(result - expected).max():.2g}")
    return (f"matches group normalization on {len(cases)} hidden batches of "
            "maps (1 to 6 groups, two epsilons)")


# ex-08-sync-variance: derive the pooled mean and variance of two parts.

def _pooled(mean1: np.ndarray, var1: np.ndarray, n1: int, mean2: np.ndarray,
            var2: np.ndarray, n2: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and (biased) variance of two parts together."""
    n = n1 + n2
    mean = (n1 * mean1 + n2 * mean2) / n
    within = (n1 * var1 + n2 * var2) / n
    return mean, within + n1 * n2 / n**2 * (mean1 - mean2) ** 2


_POOLED_SLIPS: dict[str, Callable] = {
    "the variance between the two parts' means is missing: the global "
    "variance is the mean variance within the parts plus the variance of "
    "the parts' means around the global mean":
        lambda m1, v1, n1, m2, v2, n2: (n1 * v1 + n2 * v2) / (n1 + n2),
    "the between-parts term is weighted as for equal halves, "
    "(m1 - m2)**2 / 4; with n_1 and n_2 values it is "
    "n1 * n2 / n**2 * (m1 - m2)**2":
        lambda m1, v1, n1, m2, v2, n2: (n1 * v1 + n2 * v2) / (n1 + n2)
        + (m1 - m2) ** 2 / 4,
    "equal weights everywhere: (v1 + v2) / 2 + (m1 - m2)**2 / 4 holds only "
    "for halves of equal size; weight each part by its share n_i / n":
        lambda m1, v1, n1, m2, v2, n2: (v1 + v2) / 2 + (m1 - m2) ** 2 / 4,
}


def _pooled_cases() -> list[tuple]:
    """Hidden statistics of two parts of unequal sizes, 3 features each."""
    rng = np.random.default_rng(82)
    cases = []
    for n1, n2 in ((3, 5), (16, 4), (1, 7), (10, 10)):
        first = rng.normal(0.0, 1.0, size=(n1, 3))
        second = rng.normal(rng.uniform(-5, 5, 3), rng.uniform(0.5, 3, 3),
                            size=(n2, 3))
        cases.append((first.mean(0), first.var(0), n1,
                      second.mean(0), second.var(0), n2))
    return cases


@checker("ex-08-sync-variance")
def _sync_variance(answer: object) -> str:
    pooled = function(answer, "pooled(mean1, var1, n1, mean2, var2, n2)")
    cases = _pooled_cases()
    for case in cases:
        result = call(pooled, *case,
                      what="pooled(mean1, var1, n1, mean2, var2, n2)")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise Hint("pooled should return two things: (mean, variance)")
        mean = array(result[0], "the pooled mean", (3,))
        variance = array(result[1], "the pooled variance", (3,))
        true_mean, true_variance = _pooled(*case)
        sizes = f"parts of {case[2]} and {case[5]} values"
        if not np.allclose(mean, true_mean, rtol=1e-6, atol=1e-9):
            if np.allclose(mean, (case[0] + case[3]) / 2):
                raise Hint(f"{sizes}: your mean weights the parts equally; "
                           "weight each by its number of values")
            raise Hint(f"{sizes}: the pooled mean is wrong")
        if np.allclose(variance, true_variance, rtol=1e-6, atol=1e-9):
            continue
        n = case[2] + case[5]
        if np.allclose(variance, true_variance * n / (n - 1)):
            raise Hint(f"{sizes}: that is the unbiased variance (n - 1); "
                       "batch normalization and the parts' var1, var2 "
                       "divide by n")
        for hint, slip in _POOLED_SLIPS.items():
            if np.allclose(variance, slip(*case), rtol=1e-6, atol=1e-9):
                raise Hint(f"{sizes}: {hint}")
        raise Hint(f"{sizes}: the pooled variance is wrong; write the sum of "
                   "squared deviations from the global mean, part by part")
    return (f"mean and variance right on {len(cases)} hidden pairs of parts, "
            "of equal and unequal sizes")


# ex-08-debug: repair a training function with planted BN bugs.

_DEBUG_SHAPE = (256, 8, 8, 3)  # images the checker trains on, channels last
_DEBUG_EPOCHS = 2  # 16 steps of batch 32


def _debug_data() -> tuple[np.ndarray, np.ndarray]:
    """Random images, channels of different scales, and random labels."""
    rng = np.random.default_rng(83)
    scales = np.array([1.0, 3.0, 0.3], dtype="float32")
    x = rng.normal(0.5, 1.0, size=_DEBUG_SHAPE).astype("float32") * scales
    return x, rng.integers(0, 10, size=_DEBUG_SHAPE[0])


def _input_statistics(model, layer, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``layer``'s inputs over ``x`` per channel (last axis)."""
    import keras

    weights = model.get_weights()  # a training-mode call moves moving statistics
    feed = keras.Model(model.input, layer.input)
    inputs = keras.ops.convert_to_numpy(feed(x, training=True))
    model.set_weights(weights)
    axes = tuple(range(inputs.ndim - 1))
    return inputs.mean(axis=axes), inputs.var(axis=axes)


@checker("ex-08-debug")
def _debug(answer: object) -> str:
    import keras

    from bnbook.moving import batchnorm_layers

    build_and_train = function(answer, "build_and_train(x, y, epochs)")
    x, y = _debug_data()
    with contextlib.redirect_stdout(io.StringIO()):  # its sanity print
        model = call(build_and_train, x, y, _DEBUG_EPOCHS,
                     what="build_and_train(x, y, epochs)")
    if not isinstance(model, keras.Model):
        raise Hint("build_and_train should return the trained keras.Model, "
                   f"got {type(model).__name__}")
    layers = batchnorm_layers(model)
    if len(layers) < 2:
        raise Hint("keep both BatchNormalization layers: the bugs are in how "
                   "they are set up and used, not in their presence")
    for layer in layers:
        channels = layer.input.shape[-1]
        if layer.moving_mean.shape[0] != channels:
            raise Hint(f"{layer.name} keeps {layer.moving_mean.shape[0]} moving "
                       f"means for inputs of {channels} channels: it normalizes "
                       f"along axis {layer.axis}, which in Keras's channels-"
                       "last images is not the channel axis (PyTorch puts the "
                       "channels at axis 1; Keras at -1)")
    steps = _DEBUG_EPOCHS * -(-len(x) // 32)
    for layer in layers:
        mean, variance = _input_statistics(model, layer, x)
        ratio = float(np.median(layer.moving_variance.numpy() / variance))
        offset = float(np.median(np.abs(layer.moving_mean.numpy() - mean)
                                 / np.sqrt(variance)))
        if ratio < 2 / 3:
            raise Hint(f"after your function returns, {layer.name}'s moving "
                       f"variance is {ratio:.2g} times the variance of its "
                       "inputs: too small. Something after fit called the "
                       "model in training mode on single images, whose "
                       "variance after a Dense layer is 0")
        if ratio > 3 / 2 or offset > 0.5:
            raise Hint(f"after your function returns, {layer.name}'s moving "
                       f"variance is {ratio:.2g} times the variance of its "
                       f"inputs. With momentum {layer.momentum:g} and "
                       f"{steps} steps, {layer.momentum:g}**{steps} = "
                       f"{layer.momentum ** steps:.2f} of the initial "
                       "values (0 and 1) is still in the moving statistics: "
                       "recalibrate after training, or choose the momentum "
                       "for the number of steps")
    return ("both BN layers normalize per channel, and their moving "
            "statistics match their inputs after training "
            f"({len(x)} random images, {steps} steps)")
