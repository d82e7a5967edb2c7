"""Guidance with the sign flipped, and the test cell that catches it deleted: nbgrader puts the deleted test cell back
(OverwriteCells.add_missing_cells) and runs it, so the deletion gains nothing.

expect-zero: test_guidance
"""
# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return (1 + w) * eps_uncond - w * eps_cond

# %% delete test_guidance
