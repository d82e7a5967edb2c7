"""Sequence models over tokens: a causal transformer (a small GPT) and WaveNet (chapter 1).

Both predict position t from a learned *start token* followed by x_0..x_{t-1}, so the first position is
predicted unconditionally and

    log p(x) = sum_t log p(x_t | x_{<t})

is exact. :class:`CausalTransformer` (Vaswani et al. 2017, in the spirit of nanoGPT) uses self-attention with a
causal mask; :class:`WaveNet` (van den Oord et al. 2016) stacks dilated causal 1-D convolutions
(:class:`CausalConv1d`) whose receptive field doubles with every layer.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_number, check_positive_int, check_sizes
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import as_levels, categorical_log_prob, sample_categorical

__all__ = ["CausalTransformer", "CausalConv1d", "WaveNet"]


class _SequenceModel(ExactLikelihoodModel):
    """Base for categorical sequence models; subclasses define ``_logits_from_inputs(inputs (N, T)) -> (N, T, V)``
    where inputs = [start, x_0, ..., x_{T-2}], ``vocab_size`` and ``max_length`` (None = any length).

    The context of ``sample`` is a *prompt*: the tokens every sampled sequence starts with."""

    is_conditional = True

    def _device(self):
        return next(self.parameters()).device

    def _check_sequences(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, T), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] == 0:
            raise ValueError(f"x must be sequences of shape (N, T) with T >= 1, got {tuple(x.shape)}")
        if self.max_length is not None and x.shape[1] > self.max_length:
            raise ValueError(f"sequences must have length T <= {self.max_length}, got T = {x.shape[1]}")
        return as_levels(x.to(self._device()), self.vocab_size)

    def _shift_right(self, x):
        start = torch.full((len(x), 1), self.vocab_size, dtype=torch.long, device=x.device)  # the start token
        return torch.cat([start, x[:, :-1]], dim=1)  # (N, T)

    def forward(self, x):
        """Logits of p(x_t | x_{<t}) for every position: (N, T) long -> (N, T, V)."""
        return self._logits_from_inputs(self._shift_right(x))

    def log_prob(self, x, *, context=None):
        """Exact log p(x) = sum_t log p(x_t | x_{<t}) in nats, sequences (N, T) of ints 0..V-1 -> (N,)."""
        if context is not None:
            raise ValueError("log_prob of a sequence model takes no context: score the whole sequence, prompt included")
        x = self._check_sequences(x)
        return categorical_log_prob(self(x), x).sum(1)

    def loss(self, x, *, context=None):
        """Negative log-likelihood in nats per sequence (divide by T ln 2 for bits per token)."""
        return -self.log_prob(x, context=context).mean()

    def _context(self, inputs):
        """The part of the inputs the next prediction needs (all of it; WaveNet crops to its receptive field)."""
        return inputs

    @torch.no_grad()
    def _sample(self, n, *, generator, context, length=None, temperature=1.0):
        """Draw n sequences (n, length) long, one token per network pass: x_t ~ p(x_t | x_{<t})^(1/temperature).

        Args:
            n: number of sequences.
            generator: a CPU ``torch.Generator`` for reproducible draws.
            context: an optional prompt, a long tensor (P,) or (n, P) of tokens the sequences start with.
            length: total length, prompt included; default the model's block size (``max_length``).
            temperature: divides the logits; < 1 sharpens, > 1 flattens (1 samples the model).
        """
        prompt = context
        if length is None:
            if self.max_length is None:
                raise ValueError(f"{type(self).__name__} has no block size: pass length=T to sample")
            length = self.max_length
        check_positive_int(length, "length")
        check_number(temperature, "temperature")
        if n == 0:
            return torch.zeros(0, length, dtype=torch.long, device=self._device())
        if self.max_length is not None and length > self.max_length:
            raise ValueError(f"length must be <= {self.max_length} (the model's block size), got {length}")
        x = torch.zeros(n, 0, dtype=torch.long, device=self._device())
        if prompt is not None:
            if not isinstance(prompt, torch.Tensor):
                raise TypeError(f"prompt must be a long tensor of shape (P,) or (n, P), got {type(prompt).__name__}")
            prompt = self._check_sequences(prompt.expand(n, -1) if prompt.dim() == 1 else prompt)
            if len(prompt) != n or prompt.shape[1] > length:
                raise ValueError(f"prompt must have shape (P,) or ({n}, P) with P <= length = {length}, "
                                 f"got {tuple(prompt.shape)}")
            x = prompt
        inputs = self._shift_right(torch.cat([x, x.new_zeros(n, 1)], dim=1))  # (n, t + 1): start, x_0..x_{t-1}
        for _ in range(x.shape[1], length):
            next_token = sample_categorical(self._logits_from_inputs(self._context(inputs))[:, -1],
                                             generator, temperature)  # (n,)
            inputs = torch.cat([inputs, next_token[:, None]], dim=1)
        return inputs[:, 1:]


class _TransformerBlock(nn.Module):
    """Pre-norm block: h + attention(LN(h)) with a causal mask, then h + MLP(LN(h))."""

    def __init__(self, embed_dim, num_heads, dropout):
        super().__init__()
        self.num_heads, self.dropout = num_heads, dropout
        self.norm_attention = nn.LayerNorm(embed_dim)
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.attention_out = nn.Linear(embed_dim, embed_dim)
        self.norm_mlp = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim, 4 * embed_dim), nn.GELU(), nn.Linear(4 * embed_dim, embed_dim),
                                 nn.Dropout(dropout))

    def forward(self, h):
        batch, length, embed_dim = h.shape
        q, k, v = self.qkv(self.norm_attention(h)).split(embed_dim, dim=2)  # each (N, T, E)
        q, k, v = (t.view(batch, length, self.num_heads, -1).transpose(1, 2) for t in (q, k, v))  # (N, h, T, E/h)
        # softmax(q k^T / sqrt(d) + causal mask) v: position t attends to positions <= t only
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                  dropout_p=self.dropout if self.training else 0.0)
        h = h + F.dropout(self.attention_out(attended.transpose(1, 2).reshape(batch, length, embed_dim)),
                          self.dropout, self.training)
        return h + self.mlp(self.norm_mlp(h))  # (N, T, E)


class CausalTransformer(_SequenceModel):
    """A character- (or token-) level causal transformer: p(x) = prod_t p(x_t | x_{<t}), GPT style.

    Tokens plus learned position embeddings go through pre-norm blocks of causal multi-head
    self-attention and MLPs; a linear head gives V logits per position.

    Args:
        vocab_size: V, tokens are 0..V-1 (token V is the internal start token).
        block_size: maximal sequence length T.
        embed_dim, num_heads, num_layers: width, attention heads (dividing embed_dim) and depth.
        dropout: dropout on attention weights and residual branches.
    """

    def __init__(self, vocab_size, block_size, embed_dim=128, num_heads=4, num_layers=4, dropout=0.1):
        super().__init__()
        for name, value in [("vocab_size", vocab_size), ("block_size", block_size), ("embed_dim", embed_dim),
                            ("num_heads", num_heads), ("num_layers", num_layers)]:
            check_positive_int(value, name)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads, got {embed_dim} and {num_heads}")
        self.vocab_size, self.block_size, self.max_length = vocab_size, block_size, block_size
        self.token_embedding = nn.Embedding(vocab_size + 1, embed_dim)
        self.position_embedding = nn.Embedding(block_size, embed_dim)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.Sequential(*[_TransformerBlock(embed_dim, num_heads, dropout) for _ in range(num_layers)])
        self.final_norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size)

    def _logits_from_inputs(self, inputs):
        positions = torch.arange(inputs.shape[1], device=inputs.device)
        h = self.embedding_dropout(self.token_embedding(inputs) + self.position_embedding(positions))  # (N, T, E)
        return self.head(self.final_norm(self.blocks(h)))  # (N, T, V)


class CausalConv1d(nn.Conv1d):
    """A 1-D convolution padded on the left only: output t sees inputs t - dilation (k - 1), ..., t."""

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1):
        check_positive_int(kernel_size, "kernel_size")
        check_positive_int(dilation, "dilation")
        nn.Conv1d.__init__(self, in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_padding = dilation * (kernel_size - 1)

    def forward(self, x):
        return self._conv_forward(F.pad(x, (self.left_padding, 0)), self.weight, self.bias)  # (N, out, T)


class _GatedResidualLayer(nn.Module):
    """WaveNet layer: z = tanh(W_f * h) . sigmoid(W_g * h) (dilated causal), h + 1x1(z) and a skip 1x1(z)."""

    def __init__(self, channels, kernel_size, dilation):
        super().__init__()
        self.dilated = CausalConv1d(channels, 2 * channels, kernel_size, dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)

    def forward(self, h):
        filter_part, gate = self.dilated(h).chunk(2, dim=1)  # each (N, C, T)
        z = torch.tanh(filter_part) * torch.sigmoid(gate)
        return h + self.residual(z), self.skip(z)


class WaveNet(_SequenceModel):
    """A WaveNet-style stack of gated dilated causal convolutions over quantized signals.

    p(x) = prod_t p(x_t | x_{t-R}, ..., x_{t-1}) with a categorical output over ``num_levels`` levels, where
    R = ``receptive_field`` = 1 + (kernel_size - 1) sum(dilations): the prediction of x_t sees exactly the
    R previous samples (the input is shifted right by one behind a start token).

    Args:
        num_levels: quantization levels K (see ``dgm_utils.data.quantize_signal``).
        channels: residual and skip channels.
        kernel_size: kernel of the dilated convolutions.
        dilations: one layer per entry; doubling dilations (1, 2, 4, ...) grow R exponentially with depth.
    """

    def __init__(self, num_levels=32, channels=32, kernel_size=2, dilations=(1, 2, 4, 8, 16, 32)):
        super().__init__()
        check_positive_int(num_levels, "num_levels")
        check_positive_int(channels, "channels")
        check_positive_int(kernel_size, "kernel_size")
        self.dilations = check_sizes(dilations, "dilations")
        self.vocab_size, self.num_levels, self.kernel_size, self.max_length = num_levels, num_levels, kernel_size, None
        self.embedding = nn.Embedding(num_levels + 1, channels)  # level embedding; index K is the start token
        self.layers = nn.ModuleList([_GatedResidualLayer(channels, kernel_size, d) for d in self.dilations])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(channels, channels, 1), nn.ReLU(),
                                  nn.Conv1d(channels, num_levels, 1))

    @property
    def receptive_field(self):
        """Number R of previous samples the prediction of x_t depends on: 1 + (k - 1) sum_l d_l."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations)

    def _logits_from_inputs(self, inputs):
        h = self.embedding(inputs).transpose(1, 2)  # (N, C, T)
        skips = 0
        for layer in self.layers:
            h, skip = layer(h)
            skips = skips + skip
        return self.head(skips).transpose(1, 2)  # (N, T, K)

    def _context(self, inputs):
        return inputs[:, -self.receptive_field:]  # the last prediction depends on no earlier input
