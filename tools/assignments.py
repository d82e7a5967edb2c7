"""What the grading tests of each assignment must find: one `Expectations` per folder of solutions/.

A new assignment in solutions/ makes tests/grading/test_release.py fail until it has an entry in EXPECTATIONS (and
answer files in tests/submissions/<name>/). This is instructor data: it stays with the course, and the sandbox in
which student code runs during grading does not contain it (nor any of tools/).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectations:
    """The grading facts of one assignment that its notebooks and its answer files are checked against."""
    total_points: float  # the sum of the test cells' points
    answer_cells: int  # the number of solution cells
    hidden_names: frozenset  # private names the hidden tests define (they must not leak into the release)
    required_wrong: tuple  # wrong_*.py answer files that must exist (the plausible bugs the issue names)
    blocked_names: tuple  # reference entry points the feedback of reference_calls.py must name as blocked
    visible_marker: str  # a line of a visible test that every feedback page shows


EXPECTATIONS = {
    "hw0_mle": Expectations(
        total_points=10,
        answer_cells=3,
        hidden_names=frozenset({"_oracle_log_prob", "_fit_on_toy", "_FIT_TRUE", "_call", "_log_prob_note"}),
        required_wrong=("wrong_naive_logsumexp", "wrong_log_variance", "wrong_ignores_weights", "wrong_detached_fit",
                        "wrong_logsumexp_axis", "wrong_label_off_by_one", "wrong_shared_noise", "wrong_grouped_rows",
                        "wrong_log_of_softmax", "wrong_fit_modifies_init", "wrong_fit_ignores_arguments"),
        blocked_names=("mixture_log_prob", "mixture_sample", "GaussianMixture"),
        visible_marker="# Tests of mixture_log_prob: values and gradients (2 points).",
    ),
    "hw1_autoregressive": Expectations(
        total_points=12,
        answer_cells=5,
        hidden_names=frozenset({"_oracle_masks", "_oracle_log_likelihood", "_input_degrees", "_dependence_map",
                                "_call", "_made_note", "_reach", "_masked_conv_note"}),
        required_wrong=("wrong_mask_strict_hidden", "wrong_output_mask_not_strict", "wrong_first_layer_type_b",
                        "wrong_sampler_natural_order", "wrong_sampler_off_by_one", "wrong_no_one_minus_p",
                        "wrong_sampler_shared_uniform", "wrong_pixelcnn_no_relu", "wrong_pixelcnn_fixed_kernel",
                        "wrong_conv_mask_fixed_size", "wrong_mask_as_parameter", "wrong_pixelcnn_missing_layer"),
        blocked_names=("made_masks", "MaskedLinear", "MaskedConv2d"),
        visible_marker="# Tests of made_masks: the masks for given orderings and degrees (2 points).",
    ),
    "hw2_flows": Expectations(
        total_points=10,
        answer_cells=3,
        hidden_names=frozenset({"_random_coupling", "_jacobian_blocks", "_oracle_log_det", "_compose",
                                "_check_maf_inverse", "_train_factory"}),
        required_wrong=("wrong_logdet_sign", "wrong_logdet_missing_scale", "wrong_mask_not_alternating",
                        "wrong_inverse_no_shift", "wrong_maf_natural_order", "wrong_maf_single_pass",
                        "wrong_maf_log_scale_as_scale", "wrong_scale_no_shift", "wrong_mask_aliased"),
        blocked_names=("AffineCoupling", "MAFLayer", "realnvp"),
        visible_marker="# Tests of AffineCoupling.forward: the kept dimensions pass unchanged, the others are scaled "
                       "and shifted (1 point).",
    ),
    "hw3_vae": Expectations(
        total_points=12,
        answer_cells=5,
        hidden_names=frozenset({"_ppca", "_ppca_log_marginal", "_ppca_elbo", "_oracle_kl", "_oracle_categorical",
                                "_oracle_iwae", "_oracle_negative_elbo"}),
        required_wrong=("wrong_kl_sign", "wrong_kl_log_var_as_variance", "wrong_elbo_missing_kl",
                        "wrong_iwae_mean_log_weights", "wrong_reparameterize_detached", "wrong_std_exp_log_var",
                        "wrong_iwae_no_log_k", "wrong_iwae_naive_log_mean_exp",
                        "wrong_reparameterize_noise_shared_over_samples"),
        blocked_names=("reparameterize", "gaussian_kl", "CategoricalDecoder", "VAE"),
        visible_marker="# Tests of reparameterize: shapes and the distribution of the samples (1 point).",
    ),
    "hw4_gan": Expectations(
        total_points=10,
        answer_cells=5,
        hidden_names=frozenset({"_oracle_mmd2", "_gaussian_kernel_mean", "_softplus64", "_check_loss",
                                "_oracle_penalty", "_train_ring_gan", "_ring_quality"}),
        required_wrong=("wrong_mmd_biased", "wrong_permutation_within_samples", "wrong_generator_loss_saturating",
                        "wrong_penalty_no_create_graph", "wrong_penalty_real_points", "wrong_mmd_kernel_h",
                        "wrong_pvalue_no_plus_one", "wrong_pvalue_strict", "wrong_discriminator_naive_log",
                        "wrong_discriminator_labels_swapped", "wrong_discriminator_mean_of_all",
                        "wrong_penalty_eps_per_coordinate", "wrong_penalty_norm_over_batch", "wrong_penalty_backward"),
        blocked_names=("mmd2", "mmd_permutation_test", "discriminator_loss", "non_saturating_generator_loss",
                       "gradient_penalty"),
        visible_marker="# Tests of mmd2: values by hand and against an independent computation (1 point).",
    ),
    "hw5_ebm": Expectations(
        total_points=10,
        answer_cells=3,
        hidden_names=frozenset({"_gaussian_energy", "_ula_moments", "_check_moments", "_mixture_energy",
                                "_mmd2_unbiased", "_linear_dsm", "_recording_score", "_sine_score", "_exact_sm",
                                "_repeated", "_train_energy", "_grid_kl"}),
        required_wrong=("wrong_langevin_noise_sqrt_step", "wrong_langevin_gradient_ascent",
                        "wrong_dsm_target_no_scale", "wrong_sliced_shared_projection", "wrong_dsm_detached_score",
                        "wrong_langevin_noise_reused", "wrong_dsm_target_sign", "wrong_dsm_mean_over_coordinates",
                        "wrong_langevin_noise_shared_over_chains", "wrong_langevin_noise_shared_over_coordinates",
                        "wrong_langevin_off_by_one", "wrong_langevin_backward", "wrong_dsm_noise_shared_over_batch",
                        "wrong_sliced_no_create_graph", "wrong_sliced_unit_projections", "wrong_sliced_no_half",
                        "wrong_sliced_modifies_input"),
        blocked_names=("langevin_sample", "denoising_score_matching_loss", "sliced_score_matching_loss"),
        visible_marker="# Tests of langevin_sample: shapes, the noise scale and the number of steps (1 point).",
    ),
    "hw6_diffusion": Expectations(
        total_points=10,
        answer_cells=5,
        hidden_names=frozenset({"_ho_betas", "_alpha_bars_of", "_check_steps", "_check_moments", "_exact_q_sample",
                                "_recording_model", "_recovered", "_gaussian_eps", "_ancestral_moments", "_MIXTURE",
                                "_mixture_eps", "_mmd2_unbiased", "_ancestral_mmd", "_exact_ddim", "_ddim_run",
                                "_ode_distance"}),
        required_wrong=("wrong_p_sample_alpha_instead_of_alpha_bar", "wrong_p_sample_posterior_variance_index",
                        "wrong_p_sample_noise_at_last_step", "wrong_guidance_sign", "wrong_p_sample_time_off_by_one",
                        "wrong_p_sample_schedule_off_by_one", "wrong_ddim_eta_branch", "wrong_loss_detached",
                        "wrong_loss_noise_shared_over_batch", "wrong_loss_sum", "wrong_p_sample_time_plus_one",
                        "wrong_p_sample_noise_shared_over_batch", "wrong_guidance_other_convention",
                        "wrong_ddim_sigma_without_eta", "wrong_ddim_t_prev_zero", "wrong_ddim_schedule_off_by_one",
                        "wrong_loss_mean_over_rows_only", "wrong_loss_steps_from_zero",
                        "wrong_loss_step_shared_over_batch", "wrong_q_sample_variance_as_std", "wrong_q_sample_index",
                        "wrong_q_sample_dtype"),
        blocked_names=("GaussianDiffusion", "NoiseSchedule", "ddim_steps", "classifier_free_guidance"),
        visible_marker="# Tests of q_sample: values for given noise, one step per row (1 point).",
    ),
    "hw7_inverse_problems": Expectations(
        total_points=10,
        answer_cells=4,
        hidden_names=frozenset({"_projection_matrix", "_adjoint_gap", "_ho_betas", "_gaussian_eps",
                                "_reference_gradient", "_digit_mixture", "_mixture_eps", "_reconstruct",
                                "_check_moments"}),
        required_wrong=("wrong_mask_inverted", "wrong_mask_adjoint_normalized", "wrong_mask_adjoint_forward_values",
                        "wrong_projection_missing_direction", "wrong_projection_diagonal_off_by_one",
                        "wrong_projection_diagonals_reversed", "wrong_projection_adjoint_averaged",
                        "wrong_projection_adjoint_transposed", "wrong_least_squares_backprojection",
                        "wrong_least_squares_ignores_reference", "wrong_guidance_sign",
                        "wrong_guidance_gradient_at_x_prev", "wrong_guidance_detached_x0", "wrong_guidance_sqrt_alpha",
                        "wrong_guidance_squared_norm", "wrong_guidance_norm_over_batch",
                        "wrong_guidance_model_time_off_by_one", "wrong_guidance_alpha_bar_index",
                        "wrong_guidance_returns_graph"),
        blocked_names=("inpaint", "measurement_guided_sample", "MaskOperator", "ProjectionOperator",
                       "least_squares"),
        visible_marker="# Tests of mask_forward: the measured values, in index order (1 point).",
    ),
}


def missing_expectations(names):
    """The assignment names among `names` that have no entry in EXPECTATIONS."""
    return [name for name in names if name not in EXPECTATIONS]
