"""mixture_log_prob returns an object that claims to equal anything (and a Tensor subclass that does the same in
mixture_sample): the tests check the exact type of what comes back, so both score 0.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality test_sample_shapes test_sample_distribution
"""
# %% mixture_log_prob
class _AlwaysEqual:
    shape = property(lambda self: self._shape)

    def __init__(self, shape):
        self._shape = shape

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __le__(self, other):
        return True

    __ge__ = __lt__ = __gt__ = __le__

    def __bool__(self):
        return True

    def __getattr__(self, name):
        return lambda *args, **kwargs: self

    def __float__(self):
        return 0.0


def mixture_log_prob(x, means, log_stds, logits):
    return _AlwaysEqual((x.shape[0],))

# %% mixture_sample
class _EqualTensor(torch.Tensor):
    def __eq__(self, other):
        return torch.ones(self.shape, dtype=torch.bool)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        result = super().__torch_function__(func, types, args, kwargs or {})
        return result


def mixture_sample(num_samples, means, log_stds, logits):
    return torch.zeros(num_samples, means.shape[1]).as_subclass(_EqualTensor)
