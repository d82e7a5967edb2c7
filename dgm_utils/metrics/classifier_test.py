"""The classifier two-sample test (C2ST, Lopez-Paz & Oquab 2017, "Revisiting classifier two-sample tests"):
if a classifier told apart the points of x from those of y better than chance on held-out data, the two
distributions differ (chapter 4).

The classifier is trained here with a short full-batch loop (``dgm_utils.train`` sits above ``metrics`` in the
package's layers, so it cannot be used), deterministically given ``generator``.
"""

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_generator, check_number, check_points, check_positive_int

__all__ = ["C2ST", "classifier_two_sample_test"]


@dataclasses.dataclass(frozen=True)
class C2ST:
    """Result of :func:`classifier_two_sample_test`.

    Attributes:
        accuracy: fraction of the held-out points the classifier labels correctly (chance: 1/2).
        p_value: P(Binomial(num_test, 1/2) >= num_test * accuracy), the one-sided binomial p-value.
        num_test: number of held-out points (half of them from x, half from y).
    """

    accuracy: float
    p_value: float
    num_test: int


def _initialized_classifier(num_features, hidden_features, generator, device):
    """A one-hidden-layer MLP D -> H -> 1 whose weights are drawn from ``generator`` (PyTorch's default scheme:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), so no global random state is used."""
    classifier = nn.Sequential(nn.Linear(num_features, hidden_features), nn.ReLU(), nn.Linear(hidden_features, 1))
    with torch.no_grad():
        for layer in (classifier[0], classifier[2]):
            bound = 1.0 / math.sqrt(layer.in_features)
            for parameter in (layer.weight, layer.bias):
                parameter.copy_(torch.rand(parameter.shape, generator=generator, dtype=parameter.dtype) * 2 * bound
                                - bound)
    return classifier.to(device)


def classifier_two_sample_test(x, y, *, test_fraction=0.5, num_steps=300, hidden_features=32, lr=1e-2,
                               generator=None):
    """C2ST of H0: x (N, D) and y (M, D) come from the same distribution.

    1. Label the points of x with 0 and those of y with 1. Hold out ``round(test_fraction * min(N, M))`` random
       points of each sample (a balanced test set of ``num_test`` points); train on all the others.
    2. Standardize the inputs with the training points' mean and standard deviation, and train a small MLP
       (D -> ``hidden_features`` ReLU -> 1 logit) by full-batch Adam (``lr``) for ``num_steps`` steps on the
       binary cross-entropy, each class weighted by the inverse of its training count (so unequal N and M
       do not bias it towards one label).
    3. The test statistic is the held-out accuracy, counting logit > 0 as "y". Under H0 the classifier's
       predictions carry no information about the held-out labels, so the number of correct answers is
       (at most as spread as) Binomial(num_test, 1/2); the p-value is the one-sided binomial tail
       P(B >= correct) (``scipy.stats.binomtest``), valid and, for a balanced test set, slightly conservative.

    The split and the initial weights come from ``generator`` (a fixed seed gives the same result on one
    machine); the training runs on the device of x. An accuracy near 1/2 means the classifier found no
    difference; near 1, the samples are told apart (the accuracy itself says how, unlike a p-value).

    Returns:
        :class:`C2ST` (accuracy, p_value, num_test).
    """
    check_points(x, "x", min_rows=2)
    check_points(y, "y", dim=x.shape[1], min_rows=2)
    test_fraction = check_number(test_fraction, "test_fraction")
    if not test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    check_positive_int(num_steps, "num_steps")
    check_positive_int(hidden_features, "hidden_features")
    lr = check_number(lr, "lr")
    check_generator(generator)
    n, m = len(x), len(y)
    num_test_each = round(test_fraction * min(n, m))
    if not 1 <= num_test_each < min(n, m):
        raise ValueError(f"test_fraction={test_fraction} of min(N, M) = {min(n, m)} points must leave at least one "
                         f"point of each sample for testing and one for training (got {num_test_each} held out)")
    from scipy.stats import binomtest

    with torch.enable_grad():
        device = x.device
        order_x = torch.randperm(n, generator=generator).to(device)
        order_y = torch.randperm(m, generator=generator).to(device)
        x, y = x.detach().float(), y.detach().float().to(device)
        train_x, test_x = x[order_x[num_test_each:]], x[order_x[:num_test_each]]  # (N - T, D), (T, D)
        train_y, test_y = y[order_y[num_test_each:]], y[order_y[:num_test_each]]  # (M - T, D), (T, D)
        inputs = torch.cat([train_x, train_y])  # (N + M - 2T, D)
        labels = torch.cat([torch.zeros(len(train_x)), torch.ones(len(train_y))]).to(device)  # (N + M - 2T,)
        weights = torch.cat([torch.full((len(train_x),), 0.5 / len(train_x)),
                             torch.full((len(train_y),), 0.5 / len(train_y))]).to(device)  # sum to 1
        mean, std = inputs.mean(0), inputs.std(0).clamp_min(1e-6)  # (D,)
        classifier = _initialized_classifier(x.shape[1], hidden_features, generator, device)
        optimizer = torch.optim.Adam(classifier.parameters(), lr=lr)
        standardized = (inputs - mean) / std
        for _ in range(num_steps):
            logits = classifier(standardized).squeeze(1)  # (N + M - 2T,)
            loss = (weights * F.binary_cross_entropy_with_logits(logits, labels, reduction="none")).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        test_inputs = (torch.cat([test_x, test_y]) - mean) / std  # (2T, D)
        test_labels = torch.cat([torch.zeros(num_test_each), torch.ones(num_test_each)]).to(device)  # (2T,)
        predicted = (classifier(test_inputs).squeeze(1) > 0).float()
        num_correct = int((predicted == test_labels).sum())
    num_test = 2 * num_test_each
    p_value = float(binomtest(num_correct, num_test, 0.5, alternative="greater").pvalue)
    return C2ST(accuracy=num_correct / num_test, p_value=p_value, num_test=num_test)
