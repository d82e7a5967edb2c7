"""Classifier-free guidance in the other papers' convention eps_u + w (eps_c - eps_u): w = 0 gives the unconditional
model, not the conditional one.

expect-zero: test_guidance
"""
# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return eps_uncond + w * (eps_cond - eps_uncond)
