"""Small models that more than one chapter trains."""

from __future__ import annotations


def small_cnn(momentum: float = 0.99, image_shape: tuple[int, ...] = (28, 28, 1),
              classes: int = 10):
    """Two conv-BN-ReLU-pool blocks on images halved by average pooling, then softmax.

    Convolutions have no bias (BN's beta replaces it). For 28 x 28 digits this
    is small enough to train in seconds on a CPU.
    """
    import keras

    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
            or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    if not (isinstance(image_shape, tuple) and len(image_shape) == 3
            and all(isinstance(n, int) and n > 0 for n in image_shape)):
        raise ValueError(
            f"image_shape must be (height, width, channels) of positive ints, "
            f"got {image_shape!r}")
    if min(image_shape[:2]) < 20:
        raise ValueError(f"image_shape must be at least 20 x 20 (two conv-pool blocks on "
                         f"halved images), got {image_shape!r}")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes must be an int of at least 2, got {classes!r}")
    inputs = keras.Input(shape=image_shape)
    x = keras.layers.AveragePooling2D(2)(inputs)
    for filters in (32, 16):
        x = keras.layers.Conv2D(filters, 3, use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=momentum)(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
