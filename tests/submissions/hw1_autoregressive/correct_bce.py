"""The log-likelihood as minus binary_cross_entropy_with_logits, a sampler that draws all its uniforms up front and
compares them with the probabilities, and the weight masked through a parametrization-free property.

expect-zero: none
"""
# %% log_likelihood
def log_likelihood(logits, x):
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)

# %% sample
def sample(model, num_samples, ordering):
    uniforms = torch.rand(num_samples, len(ordering))
    x = torch.zeros(num_samples, len(ordering))
    for step in range(len(ordering)):
        d = ordering[step]
        with torch.no_grad():
            p = torch.sigmoid(model(x))[:, d]
        x[:, d] = (uniforms[:, d] < p).to(x.dtype)
    return x

# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features)
        self.register_buffer("mask", torch.zeros(out_features, in_features))
        self.mask.copy_(mask)

    @property
    def masked_weight(self):
        return self.weight * self.mask

    def forward(self, x):
        return torch.addmm(self.bias, x, self.masked_weight.T)
