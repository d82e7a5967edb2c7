"""Classifier-free guidance with the sign flipped: (1 + w) eps_uncond - w eps_cond.

expect-zero: test_guidance
"""
# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return (1 + w) * eps_uncond - w * eps_cond
