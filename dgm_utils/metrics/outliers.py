"""Outlier detection scores: how well a model's score separates held-out data from inputs it should reject.

``outlier_auroc(inlier_scores, outlier_scores)`` is the area under the ROC curve of the rule "flag x when its score
is above a threshold", over all thresholds: the probability that a random outlier scores higher than a random
inlier (ties count one half). 1 separates perfectly, 0.5 is chance. With an energy model the score is the energy
E(x) (chapter 5); with a likelihood model, -log p(x). The area is scikit-learn's ``roc_auc_score``.
"""

import numpy as np
import torch

__all__ = ["outlier_auroc"]


def _scores(values, name):
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D torch.Tensor of scores, got {type(values).__name__}")
    if values.dim() != 1 or values.numel() == 0 or not values.is_floating_point():
        raise ValueError(f"{name} must be a non-empty 1-D floating tensor of scores (one per example), got shape "
                         f"{tuple(values.shape)} and dtype {values.dtype}")
    values = values.detach().double().cpu().numpy()
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinite scores; check the model's energies or log-densities")
    return values


def outlier_auroc(inlier_scores, outlier_scores):
    """The AUROC of separating outliers (higher scores) from inliers: a float in [0, 1], 0.5 at chance.

    Args:
        inlier_scores: (N,) scores of held-out data (e.g. energies of test digits).
        outlier_scores: (M,) scores of the inputs to reject.
    """
    from sklearn.metrics import roc_auc_score  # here: importing sklearn.metrics costs ~1.3 s, every grading kernel

    inliers, outliers = _scores(inlier_scores, "inlier_scores"), _scores(outlier_scores, "outlier_scores")
    labels = np.concatenate([np.zeros(len(inliers)), np.ones(len(outliers))])
    return float(roc_auc_score(labels, np.concatenate([inliers, outliers])))
