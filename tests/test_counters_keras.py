"""The ``keras`` and ``tf`` conventions against the real TensorFlow and Keras.

Each case builds a ``keras.applications`` model with ``weights=None`` and compares what Keras and
TensorFlow's profiler say about it with archcalc's count of the spec (with the Keras layout knobs
where Keras differs from torchvision):

* ``keras``: ``model.count_params()`` and its trainable / non-trainable split (BN's moving mean and
  variance are Keras's non-trainable weights);
* ``tf``: ``tf.compat.v1.profiler`` FLOPs of the frozen inference graph at batch 1.

The models are built with ``classifier_activation=None``: archcalc's specs end in the classifier's
logits, and a softmax is 5 FLOPs per class to TF's profiler. Where a Keras model has layers no spec
has (EfficientNetB0's input Rescaling and Normalization, MobileNetV3's input Rescaling), the test
measures those layers on their own, with the same tools, and says so.
"""

from __future__ import annotations

import os
from importlib.metadata import version

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

import archcalc
from archcalc.count.conventions import CONVENTIONS
from archcalc.measure.counters import keras_params, tf_flops

V3 = {"include_preprocessing": False}
MINIMAL = {"include_preprocessing": False, "minimalistic": True}

# (Keras application, its keyword arguments, input side, archcalc network, α, knobs)
CASES = [
    ("MobileNet", {}, 224, "mobilenet_v1", 1.0, {}),
    ("MobileNet", {"alpha": 0.5}, 160, "mobilenet_v1", 0.5, {}),
    ("MobileNet", {"alpha": 0.75}, 192, "mobilenet_v1", 0.75, {}),
    ("MobileNet", {"classes": 10}, 32, "mobilenet_v1", 1.0, {"classes": 10}),
    ("MobileNetV2", {}, 224, "mobilenet_v2", 1.0, {}),
    ("MobileNetV2", {"alpha": 0.35}, 97, "mobilenet_v2", 0.35, {}),
    ("MobileNetV3Small", V3, 224, "mobilenet_v3_small", 1.0, {}),
    ("MobileNetV3Small", {**V3, "alpha": 0.75}, 224, "mobilenet_v3_small", 0.75, {"layout": "keras"}),
    (
        "MobileNetV3Small",
        {**V3, "minimalistic": True},
        224,
        "mobilenet_v3_small",
        1.0,
        {"minimalistic": True},
    ),
    ("MobileNetV3Large", V3, 224, "mobilenet_v3_large", 1.0, {}),
    ("MobileNetV3Large", {**V3, "alpha": 0.75}, 197, "mobilenet_v3_large", 0.75, {"layout": "keras"}),
    ("MobileNetV3Large", {**V3, "alpha": 1.25}, 224, "mobilenet_v3_large", 1.25, {"layout": "keras"}),
    (
        "MobileNetV3Large",
        {**MINIMAL, "alpha": 0.75},
        224,
        "mobilenet_v3_large",
        0.75,
        {"layout": "keras", "minimalistic": True},
    ),
    ("Xception", {}, 299, "xception", 1.0, {}),
    ("ResNet50", {}, 224, "resnet50", 1.0, {"stride_on": "conv1", "conv_bias": True}),
    ("VGG16", {}, 224, "vgg16", 1.0, {}),
]


def _build(app: str, kwargs: dict, res: int):  # type: ignore[no-untyped-def]
    keras.utils.clear_session()
    return getattr(keras.applications, app)(
        weights=None, input_shape=(res, res, 3), classifier_activation=None, **kwargs
    )


def test_the_keras_and_tf_conventions_name_the_installed_releases() -> None:
    assert version("tensorflow-cpu") == "2.21.0" and tf.__version__ == "2.21.0"
    assert version("keras") == "3.15.1" and keras.__version__ == "3.15.1"
    assert "TensorFlow 2.21" in CONVENTIONS["tf"].macs_rule  # type: ignore[operator]
    assert "Keras 3.15" in CONVENTIONS["keras"].params_rule  # type: ignore[operator]


@pytest.mark.parametrize(("app", "kwargs", "res", "net", "alpha", "knobs"), CASES)
def test_keras_and_tf_count_what_their_conventions_say(
    app: str, kwargs: dict, res: int, net: str, alpha: float, knobs: dict
) -> None:
    model = _build(app, kwargs, res)
    total, trainable, frozen = keras_params(model)
    flops = tf_flops(model, (res, res, 3))
    ours = archcalc.cost(net, alpha, res, **knobs).by_convention
    assert (total, trainable, frozen) == (
        ours["keras"].params,
        ours["keras"].trainable_params,
        ours["keras"].non_trainable_params,
    )
    assert trainable == ours["torch"].params  # Keras's trainable weights are torch's parameters
    assert flops == ours["tf"].flops


def test_mobilenet_v3_input_rescaling_is_the_difference() -> None:
    """Keras's MobileNetV3 by default rescales its input (x / 127.5 − 1: a Mul and an Add per input
    element); no spec has that layer, so the full model is the spec plus that layer, measured alone."""
    full = _build("MobileNetV3Small", {}, 224)
    rescale = keras.Model(full.input, full.get_layer("rescaling").output)
    ours = archcalc.cost("mobilenet_v3_small").by_convention
    assert tf_flops(full, (224, 224, 3)) == ours["tf"].flops + tf_flops(rescale, (224, 224, 3))
    assert tf_flops(rescale, (224, 224, 3)) == 2 * 224 * 224 * 3
    assert keras_params(full)[0] == ours["keras"].params


def test_efficientnet_b0_normalization_state_is_the_difference() -> None:
    """Keras's EfficientNetB0 begins with Rescaling(1/255) and a Normalization layer whose state (mean
    3, variance 3, count 1) Keras counts as 7 non-trainable params; archcalc's spec (torchvision's
    layout) has neither layer. The whole model is exactly the spec plus those two layers."""
    res = 224
    full = _build("EfficientNetB0", {}, res)
    norm = full.get_layer("normalization")
    pre = keras.Model(full.input, norm.output)
    state = sum(int(w.numpy().size) for w in norm.weights)
    assert state == 7
    ours = archcalc.cost("efficientnet_b0").by_convention
    total, trainable, frozen = keras_params(full)
    assert (total, trainable, frozen) == (
        ours["keras"].params + state,
        ours["keras"].trainable_params,
        ours["keras"].non_trainable_params + state,  # type: ignore[operator]
    )
    assert tf_flops(full, (res, res, 3)) == ours["tf"].flops + tf_flops(pre, (res, res, 3))


def test_cifar_example_prints_what_keras_summary_prints(cli) -> None:
    """`archcalc table mobilenet_v1 --res 32 --classes 10 --convention keras` (the seeds' example, a
    Keras MobileNet for CIFAR-10) prints the three counts `model.summary()` prints."""
    model = _build("MobileNet", {"classes": 10}, 32)
    lines: list[str] = []
    model.summary(print_fn=lambda s, **_: lines.append(s))
    summary = "\n".join(lines)
    r = cli("table", "mobilenet_v1", "--res", "32", "--classes", "10", "--convention", "keras", "--summary")
    assert r.code == 0, r.err
    for label in ("Total params", "Trainable params", "Non-trainable params"):
        printed = next(line for line in summary.splitlines() if line.strip().startswith(label + ":"))
        count = printed.split(":")[1].split("(")[0].strip()  # "3,239,114"
        assert count in r.out, (label, count)
    assert "3,239,114" in summary and "3,239,114" in r.out
