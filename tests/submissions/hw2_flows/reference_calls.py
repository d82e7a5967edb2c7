"""Calls the course's reference implementations in dgm_utils.flows instead of implementing anything: every test cell
must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% affine_coupling
class AffineCoupling(dgm_utils.flows.AffineCoupling):
    """The reference coupling layer, subclassed."""

# %% maf_inverse
def maf_inverse(layer, z):
    reference = dgm_utils.flows.MAFLayer(z.shape[1], ordering=layer.ordering)
    reference.shift_and_log_scale = layer.shift_and_log_scale
    return reference.inverse(z)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    flow = dgm_utils.flows.realnvp(num_features, num_layers)
    return nn.ModuleList(list(flow.transform.transforms))
