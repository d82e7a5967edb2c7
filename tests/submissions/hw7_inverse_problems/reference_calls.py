"""Calls the course's blocked references for inverse problems (dgm_utils.diffusion.inpaint and
measurement_guided_sample; dgm_utils.applications.MaskOperator, ProjectionOperator and least_squares, chapter 8a's
operators) in every answer cell: each call raises ReferenceBlockedError while the tests run.

expect-zero: all
"""
# %% masking
def mask_forward(x, mask):
    dgm_utils.diffusion.inpaint(None, x, mask)
    return x[:, mask]


def mask_adjoint(y, mask):
    return dgm_utils.applications.MaskOperator(mask).adjoint(y)
    x = y.new_zeros(y.shape[0], mask.shape[0])
    x[:, mask] = y
    return x

# %% projections
def projection_forward(x, directions):
    return dgm_utils.diffusion.measurement_guided_sample(None, x, lambda z: z)


def projection_adjoint(y, directions, size):
    return dgm_utils.applications.ProjectionOperator((size, size), directions).adjoint(y)

# %% least_squares
def least_squares_reconstruction(y, A, x_ref=None):
    return dgm_utils.applications.least_squares(y, A)

# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    dgm_utils.diffusion.measurement_guided_sample(None, y, forward, step_size=step_size, generator=generator)
    return x_t
