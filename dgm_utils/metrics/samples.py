"""Sample-quality metrics for models without a likelihood, on the 8x8 digits (chapter 4; reused by units 5-7).

No downloaded Inception network: :func:`digits_classifier` trains a small convolutional classifier of the
digits deterministically in a few seconds, and its penultimate layer is the feature space of the Fréchet
distance (FID's formula, Heusel et al. 2017) and of improved precision and recall (Kynkäänniemi et al. 2019);
its class probabilities give the fraction of confidently classified samples. :func:`sample_metrics` reports
them all, with the MMD^2 to a reference set. Each figure is best read next to its floor, the same figure for
two disjoint sets of real digits (``benchmarks/bench_two_sample.py`` measures it).

No maintained library doing this offline is installed (torchmetrics is not); the Fréchet distance uses
``scipy.linalg.sqrtm``.
"""

import functools

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_int, check_number, check_points, check_positive_int, check_seed
from dgm_utils.data import NUM_LEVELS, load_digit_labels, load_digits
from dgm_utils.metrics.two_sample import median_bandwidth, mmd2

__all__ = ["DigitsClassifier", "digits_classifier", "frechet_distance", "digits_frechet_distance",
           "confident_fraction", "precision_recall", "digits_precision_recall", "sample_metrics"]

NUM_CLASSES = 10
#: The training recipe of :func:`digits_classifier`: Adam (AdamW) on minibatches of training images, each
#: shifted by up to one pixel in each direction (the augmentation lifts test accuracy from ~93% to ~97%).
CLASSIFIER_TRAINING = dict(num_steps=600, batch_size=64, lr=3e-3, weight_decay=1e-4)
# rows of the pairwise-distance matrices of precision_recall are computed this many at a time
_DISTANCE_CHUNK = 1024
_MAX_INTENSITY = NUM_LEVELS - 1


def _check_images(x, name="samples"):
    """Digits images shaped like ``load_digits()`` rows: a real tensor (N, 64), N >= 1, values in [0, 16]."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, 64), got {type(x).__name__}")
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold intensities 0..16 as a float (or integer) tensor, got dtype {x.dtype}")
    if x.dim() != 2 or x.shape[1] != 64 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, 64) with N >= 1 (8x8 digits flattened as load_digits() "
                         f"returns them), got {tuple(x.shape)}")
    x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} has non-finite entries (nan or inf)")
    low, high = float(x.detach().min()), float(x.detach().max())
    if low < 0 or high > _MAX_INTENSITY:
        raise ValueError(f"{name} must hold intensities in [0, {_MAX_INTENSITY}] (load_digits' scale), got values "
                         f"in [{low:.4g}, {high:.4g}]; rescale or clamp the samples first")
    return x


class DigitsClassifier(nn.Module):
    """A small CNN classifier of the 8x8 digits, whose penultimate layer is the feature space of the metrics.

        image (N, 64) in [0, 16] -> / 16 -> (N, 1, 8, 8) -> conv 3x3 (C) -> SiLU -> conv 3x3 (2C) -> SiLU
        -> max-pool 2 -> (N, 2C, 4, 4) -> Linear (F) -> SiLU = features (N, F) -> Linear = logits (N, 10)

    SiLU (smooth, never exactly 0) keeps the feature covariance of a set of images non-singular. Build the
    trained, cached instance with :func:`digits_classifier`; inputs are validated, moved to the classifier's
    device, and the results returned on the input's device.
    """

    def __init__(self, channels=16, num_features=64):
        super().__init__()
        check_positive_int(channels, "channels")
        check_positive_int(num_features, "num_features")
        self.body = nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, channels, 3, padding=1), nn.SiLU(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.SiLU(),
            nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(2 * channels * 16, num_features), nn.SiLU(),
        )
        self.head = nn.Linear(num_features, NUM_CLASSES)

    def _device(self):
        return self.head.weight.device

    def forward(self, x):
        """Logits (N, 10) of images x (N, 64) in [0, 16] (not validated: the public methods validate)."""
        return self.head(self.body(x / _MAX_INTENSITY))

    def features(self, x):
        """The penultimate layer's activations, (N, F), of images x (N, 64) with intensities in [0, 16]."""
        x = _check_images(x, "x")
        return self.body(x.to(self._device()) / _MAX_INTENSITY).to(x.device)  # (N, F)

    def predict_proba(self, x):
        """Class probabilities p(y | x), (N, 10) rows summing to 1, of images x (N, 64) in [0, 16]."""
        x = _check_images(x, "x")
        return torch.softmax(self(x.to(self._device())), dim=1).to(x.device)  # (N, 10)


def _shifted(images, generator):
    """Each image (N, 64) shifted by -1, 0 or +1 pixels along each axis, independently (zero fill)."""
    n = len(images)
    padded = F.pad(images.view(n, 8, 8), (1, 1, 1, 1))  # (N, 10, 10)
    offsets = torch.randint(3, (n, 2), generator=generator)  # (N, 2)
    rows = torch.arange(8)[None, :] + offsets[:, :1]  # (N, 8)
    columns = torch.arange(8)[None, :] + offsets[:, 1:]  # (N, 8)
    return padded[torch.arange(n)[:, None, None], rows[:, :, None], columns[:, None, :]].reshape(n, 64)


def _train_digits_classifier(seed, num_steps):
    """A DigitsClassifier trained on load_digits('train') for num_steps steps, on the CPU, from seed alone:
    the initial weights under torch.random.fork_rng (the global random state is left as it was), the
    minibatches and shifts from a generator seeded with ``seed``."""
    x, labels = load_digits("train"), load_digit_labels("train")  # (1000, 64), (1000,)
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        classifier = DigitsClassifier()
    optimizer = torch.optim.AdamW(classifier.parameters(), lr=CLASSIFIER_TRAINING["lr"],
                                  weight_decay=CLASSIFIER_TRAINING["weight_decay"])
    with torch.enable_grad():
        for _ in range(num_steps):
            batch = torch.randint(len(x), (CLASSIFIER_TRAINING["batch_size"],), generator=generator)  # (B,)
            loss = F.cross_entropy(classifier(_shifted(x[batch], generator)), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    classifier.eval()
    classifier.requires_grad_(False)  # a shared, cached evaluator: gradients flow to its inputs only
    return classifier


@functools.lru_cache(maxsize=None)
def _cached_classifier(seed):
    return _train_digits_classifier(seed, CLASSIFIER_TRAINING["num_steps"])


def digits_classifier(seed=0):
    """The course's digits classifier (a :class:`DigitsClassifier`), trained on first use and cached per process.

    Trained on ``load_digits("train")`` (1000 images) for ``CLASSIFIER_TRAINING["num_steps"]`` = 600 steps of
    AdamW (lr 3e-3, weight decay 1e-4) on minibatches of 64 images, each shifted at random by up to one pixel,
    on the CPU. The same seed gives the same weights on one machine (results may differ
    slightly across thread counts and machines). Accuracy with seed 0 (measured): **97.5%** on
    ``load_digits("test")`` (447 images), 98.6% on "val", 99.7% on "train" (seeds 1-3: 97.1-98.9% on test);
    training takes about 5 s of CPU time with one thread. The parameters are frozen (``requires_grad=False``)
    and the module is in eval mode; every call with the same seed returns the same object, so do not train or
    move it (``features`` and ``predict_proba`` accept inputs on any device).
    """
    return _cached_classifier(check_seed(seed))  # one cache entry per seed, however the seed is passed


def frechet_distance(features_a, features_b):
    """The Fréchet distance between Gaussians fitted to two sets of features a (N, F) and b (M, F):

        d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}),

    with the sample means mu and covariances S (divisor N - 1), in float64; the matrix square root is
    ``scipy.linalg.sqrtm`` (its real part: imaginary parts are rounding noise of a PSD product). It is the
    squared 2-Wasserstein distance between N(mu_a, S_a) and N(mu_b, S_b) (FID's formula on other features).
    Returns a float >= 0 (a tiny negative rounding result is reported as 0). It is biased upwards for small
    sets: compare figures computed on sets of the same sizes.
    """
    check_points(features_a, "features_a", min_rows=2)
    check_points(features_b, "features_b", dim=features_a.shape[1], min_rows=2)
    import numpy as np
    from scipy import linalg

    a = features_a.detach().to("cpu", torch.float64).numpy()
    b = features_b.detach().to("cpu", torch.float64).numpy()
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("features_a and features_b must be finite")
    mean_a, mean_b = a.mean(0), b.mean(0)  # (F,)
    covariance_a = np.atleast_2d(np.cov(a, rowvar=False))  # (F, F)
    covariance_b = np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(covariance_a @ covariance_b)  # (F, F)
    if not np.isfinite(root).all():  # a singular product: regularize both covariances slightly
        offset = 1e-6 * np.eye(len(covariance_a))
        root = linalg.sqrtm((covariance_a + offset) @ (covariance_b + offset))
    trace = np.trace(covariance_a) + np.trace(covariance_b) - 2.0 * np.trace(np.real(root))
    return max(float(((mean_a - mean_b) ** 2).sum() + trace), 0.0)


def digits_frechet_distance(samples, reference, *, seed=0):
    """:func:`frechet_distance` between the features of ``digits_classifier(seed)`` of samples (N, 64) and
    reference images (M, 64), intensities in [0, 16] (the digits' analogue of FID)."""
    classifier = digits_classifier(seed)
    with torch.no_grad():
        return frechet_distance(classifier.features(_check_images(samples, "samples")),
                                classifier.features(_check_images(reference, "reference")))


def confident_fraction(samples, threshold=0.9, *, seed=0):
    """Fraction of samples (N, 64) whose largest class probability under ``digits_classifier(seed)`` is at least
    ``threshold`` (in (0, 1]): how many samples look like a definite digit. Returns a float in [0, 1]."""
    threshold = check_number(threshold, "threshold")
    if threshold > 1:
        raise ValueError(f"threshold must be a probability in (0, 1], got {threshold!r}")
    with torch.no_grad():
        probabilities = digits_classifier(seed).predict_proba(_check_images(samples, "samples"))  # (N, 10)
    return float((probabilities.max(dim=1).values >= threshold).double().mean())


def _knn_radii(points, k):
    """Distance of each row of points (N, F) to its k-th nearest other row, (N,)."""
    radii = [torch.cdist(chunk, points).kthvalue(k + 1, dim=1).values  # +1: the point itself is at distance 0
             for chunk in points.split(_DISTANCE_CHUNK)]
    return torch.cat(radii)


def _fraction_inside(queries, centres, radii):
    """Fraction of queries (Q, F) within radii[j] of some centres[j] (C, F): inside the union of the balls."""
    inside = [(torch.cdist(chunk, centres) <= radii[None, :]).any(dim=1) for chunk in queries.split(_DISTANCE_CHUNK)]
    return float(torch.cat(inside).double().mean())


def precision_recall(real, fake, k=3):
    """Improved precision and recall (Kynkäänniemi et al. 2019) of fake points (M, F) against real ones (N, F).

    Each real point r_i gets the ball of radius ||r_i - its k-th nearest other real point||; the union of
    these balls is the estimated support (manifold) of the real distribution, and the same with the fakes:

        precision = fraction of fake points inside the union of the real balls   (are samples realistic?)
        recall    = fraction of real points inside the union of the fake balls   (is the data covered?)

    Distances are Euclidean in float64 on whatever features are passed: raw points for 2-D toys, or the
    classifier features of :func:`digits_precision_recall` for digits (the paper uses VGG-16 features of
    images; k = 3 as there). Both sets need more than k points. Returns (precision, recall) as floats in [0, 1].
    """
    check_points(real, "real")
    check_points(fake, "fake", dim=real.shape[1])
    check_int(k, "k", minimum=1)
    for name, points in (("real", real), ("fake", fake)):
        if len(points) <= k:
            raise ValueError(f"{name} needs more than k = {k} points for k-nearest-neighbour radii, got {len(points)}")
    with torch.no_grad():
        real, fake = real.detach().double(), fake.detach().double().to(real.device)
        if not bool(torch.isfinite(real).all() and torch.isfinite(fake).all()):
            raise ValueError("real and fake must be finite")
        precision = _fraction_inside(fake, real, _knn_radii(real, k))
        recall = _fraction_inside(real, fake, _knn_radii(fake, k))
    return precision, recall


def digits_precision_recall(samples, reference, k=3, *, seed=0):
    """:func:`precision_recall` of samples (N, 64) against reference images (M, 64) in the features of
    ``digits_classifier(seed)``; returns (precision, recall)."""
    classifier = digits_classifier(seed)
    with torch.no_grad():
        return precision_recall(classifier.features(_check_images(reference, "reference")),
                                classifier.features(_check_images(samples, "samples")), k=k)


def sample_metrics(samples, reference, *, labels=None, k=3, threshold=0.9, seed=0):
    """All sample metrics of generated digits (N, 64) against real reference digits (M, 64), in [0, 16].

    Returns a dict of floats:
        ``mmd2``: unbiased MMD^2 (:func:`mmd2`) on the pixels, with the Gaussian kernel's bandwidth fixed by the
            median heuristic on the reference alone (so that models scored against one reference share one
            kernel); ``frechet``: :func:`digits_frechet_distance`; ``confident``: :func:`confident_fraction`
            at ``threshold``; ``precision``, ``recall``: :func:`digits_precision_recall` with ``k``;
        ``accuracy`` (only when ``labels`` (N,), the classes the samples were generated for, are given): the
            fraction of samples that ``digits_classifier(seed)`` assigns to their label (a conditional model's
            class fidelity).
    Lower is better for mmd2 and frechet, higher for the others; read each next to its floor on real digits.
    """
    samples = _check_images(samples, "samples")
    reference = _check_images(reference, "reference")
    if len(samples) < 2 or len(reference) < 2:
        raise ValueError(f"samples and reference need at least 2 images each, got {len(samples)} and "
                         f"{len(reference)}")
    if labels is not None:
        if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dtype == torch.bool:
            raise TypeError(f"labels must be an integer tensor of classes 0..9, got "
                            f"{getattr(labels, 'dtype', type(labels).__name__)}")
        if labels.shape != (len(samples),):
            raise ValueError(f"labels must have shape ({len(samples)},), one per sample, got {tuple(labels.shape)}")
        if len(labels) and not (0 <= int(labels.min()) and int(labels.max()) < NUM_CLASSES):
            raise ValueError(f"labels must be classes 0..9, got values in [{int(labels.min())}, {int(labels.max())}]")
    with torch.no_grad():
        bandwidth = median_bandwidth(reference.double())
        result = dict(mmd2=float(mmd2(samples.double(), reference.double(), bandwidth)),
                      frechet=digits_frechet_distance(samples, reference, seed=seed),
                      confident=confident_fraction(samples, threshold, seed=seed))
        result["precision"], result["recall"] = digits_precision_recall(samples, reference, k, seed=seed)
        if labels is not None:
            predicted = digits_classifier(seed).predict_proba(samples).argmax(dim=1)  # (N,)
            result["accuracy"] = float((predicted == labels.to(predicted.device)).double().mean())
    return result
