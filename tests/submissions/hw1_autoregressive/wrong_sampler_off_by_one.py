"""The sampler steps through the ordering but draws dimension ordering[i] from the logit of ordering[i - 1].

expect-zero: test_sample_basic test_sample_distribution
"""
# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, len(ordering))
    with torch.no_grad():
        for i in range(len(ordering)):
            x[:, ordering[i]] = torch.bernoulli(torch.sigmoid(model(x)[:, ordering[i - 1]]))
    return x
