"""Models shared by the tests of dgm_utils.train (test_train.py, test_train_steps.py)."""

import torch
from torch import nn


class Scalar(nn.Module):
    """One parameter w with loss mean (w - x)^2: under SGD with lr 0.05 on x = 5 from w = 0, w_t = 5 (1 - 0.9^t)."""

    def __init__(self, value=0.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([value]))

    def loss(self, x):
        return ((self.w - x) ** 2).mean()


def sgd(lr):
    """An optimizer factory params -> SGD(params, lr)."""
    return lambda params: torch.optim.SGD(params, lr=lr)
