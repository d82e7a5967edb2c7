"""Sequences as conditional distributions (chapter 8c): prompt completion, n-gram baselines, code and structures.

A language model is used through one conditional distribution, p(continuation | prompt): the completion of a prompt
c_1..c_P is drawn one character at a time,

    x_{t+1} ~ p(x_{t+1} | c_1..c_P, x_1..x_t)^(1/tau) / Z,

with a temperature tau (tau -> 0 is the greedy, most likely next character; tau = 1 samples the model). Any model
whose ``forward(x)`` returns the logits of p(x_t | x_{<t}) for every position (the causal transformer and WaveNet
of ``dgm_utils.autoregressive``, :class:`CharNGram`) can complete a prompt with :func:`complete`; a model with a
block size sees the last ``block_size - 1`` characters (a sliding window), as it did in training.

* :class:`CharNGram` is the counting baseline: p(x_t | x_{t-n+1..t-1}) from smoothed counts (order 1 = unigram,
  order 2 = bigram), with an exact ``log_prob`` and the same ``forward`` convention.
* :func:`next_token_probabilities` shows the top-k of p(next character | prompt).
* :func:`function_completion_parses` says whether a completed Python signature is a finished function that
  ``ast.parse`` accepts; :func:`structure_metrics` measures validity, uniqueness and novelty of generated strings.
"""

import ast
import itertools

import torch

from dgm_utils._validation import check_count, check_generator, check_int, check_number, check_positive_int
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import as_levels, categorical_log_prob, sample_categorical

__all__ = ["CharNGram", "complete", "next_token_probabilities", "cut_at_blank_line", "function_completion_parses",
           "structure_metrics"]

#: The end of a function in ``dgm_utils.data.load_stdlib_code``: a blank line.
BLANK_LINE = "\n\n"


class CharNGram(ExactLikelihoodModel):
    """The n-gram model p(x_t | x_{t-n+1}, ..., x_{t-1}) from additively smoothed counts.

        p(v | context) = (count(context, v) + alpha) / (count(context) + alpha V),

    where a context reaching before the start of a sequence is padded with a start symbol (as the neural models
    put a start token first). ``fit(tokens)`` counts a long training sequence; ``log_prob`` is exact.

    Args:
        vocab_size: V, tokens are 0..V-1.
        order: n; 1 is the unigram (character frequencies), 2 the bigram model.
        alpha: the additive smoothing (> 0, so unseen pairs keep a positive probability).
    """

    is_conditional = True  # the context of ``sample`` is a prompt, as for the neural sequence models

    def __init__(self, vocab_size, order=2, alpha=1.0):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.order = check_int(order, "order", minimum=1)
        if self.order > 3:
            raise ValueError(f"order must be 1, 2 or 3 (the table has (V + 1)^(n - 1) V entries), got {order}")
        self.alpha = check_number(alpha, "alpha")
        self.max_length = None
        self.register_buffer("counts", torch.zeros((vocab_size + 1) ** (self.order - 1), vocab_size))

    def _context_ids(self, x):
        """Index of the n-1 previous tokens (start symbol V before the sequence) of every position: (N, T)."""
        start = torch.full((len(x), self.order - 1), self.vocab_size, dtype=torch.long, device=x.device)
        padded = torch.cat([start, x], dim=1)  # (N, n - 1 + T)
        ids = torch.zeros_like(x)
        for k in range(self.order - 1):  # base-(V + 1) number of x_{t-n+1..t-1}
            ids = ids * (self.vocab_size + 1) + padded[:, k:k + x.shape[1]]
        return ids

    def fit(self, tokens):
        """Count the n-grams of a 1-D token sequence (the start symbol pads its beginning); returns self."""
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1 or len(tokens) == 0:
            raise ValueError("tokens must be a non-empty 1-D tensor of token ids")
        tokens = as_levels(tokens, self.vocab_size, "tokens")[None]  # (1, L)
        counts = torch.zeros_like(self.counts)
        counts.index_put_((self._context_ids(tokens)[0], tokens[0]), torch.ones(tokens.shape[1]), accumulate=True)
        self.counts.copy_(counts)
        return self

    def forward(self, x):
        """Log-probabilities (as logits) of p(x_t | x_{<t}) at every position: (N, T) long -> (N, T, V)."""
        totals = self.counts.sum(1, keepdim=True) + self.alpha * self.vocab_size  # n(c) + alpha V
        table = (self.counts + self.alpha).log() - totals.log()  # (contexts, V)
        return table[self._context_ids(x)]

    def log_prob(self, x, *, context=None):
        """Exact log p(x) = sum_t log p(x_t | x_{t-n+1..t-1}) in nats, (N, T) -> (N,)."""
        if context is not None:
            raise ValueError("log_prob of an n-gram takes no context: score the whole sequence")
        if not isinstance(x, torch.Tensor) or x.dim() != 2:
            raise ValueError(f"x must be token sequences of shape (N, T), got {getattr(x, 'shape', type(x).__name__)}")
        x = as_levels(x, self.vocab_size)
        return categorical_log_prob(self(x), x).sum(1)

    def _sample(self, n, *, generator, context, length=None, temperature=1.0):
        if length is None:
            raise ValueError("CharNGram has no block size: pass length=T to sample")
        prompt = torch.zeros(0, dtype=torch.long) if context is None else context
        return _extend(self, prompt.expand(n, -1) if prompt.dim() == 1 else prompt, length - prompt.shape[-1],
                       temperature, generator)


def _window(model):
    """How many tokens of the past ``model.forward`` may see: block_size - 1, or all of them."""
    block_size = getattr(model, "max_length", None)
    return None if block_size is None else block_size - 1


@torch.no_grad()
def _extend(model, x, num_new, temperature, generator, stop_token=None):
    """Append ``num_new`` tokens to the rows of ``x`` (n, P), each from p(next | the visible past)^(1/temperature);
    with ``stop_token``, stop early once every row holds it among the new tokens (later tokens are then unused)."""
    window = _window(model)
    done = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for _ in range(num_new):
        if stop_token is not None and bool(done.all()):
            break
        past = x if window is None else x[:, max(0, x.shape[1] - window):]
        logits = model(torch.cat([past, past.new_zeros(len(past), 1)], dim=1))[:, -1]  # (n, V): the next position
        if temperature == 0:
            next_token = logits.argmax(-1)
        else:
            next_token = sample_categorical(logits, generator, temperature)
        x = torch.cat([x, next_token[:, None]], dim=1)
        if stop_token is not None:
            done |= next_token == stop_token
    return x


def _encode_prompt(vocabulary, prompt):
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"prompt must be a non-empty str, got {prompt!r}")
    return vocabulary.encode(prompt)


def complete(model, vocabulary, prompt, num_chars, temperature=1.0, generator=None, *, num_samples=1, stop=None):
    """Completions of ``prompt`` drawn from p(continuation | prompt) of a character model, as strings.

    Args:
        model: a sequence model whose ``forward(x)`` gives the logits of p(x_t | x_{<t}) (N, T, V), e.g.
            ``dgm_utils.autoregressive.CausalTransformer`` or :class:`CharNGram`; a model with a block size
            (``max_length``) sees the last block_size - 1 characters.
        vocabulary: the ``dgm_utils.data.CharVocabulary`` of the model.
        prompt: the text to complete (every character in the vocabulary).
        num_chars: number of characters to draw after the prompt.
        temperature: tau >= 0 dividing the logits; 0 takes the most likely character at each step (greedy).
        generator: a ``torch.Generator`` for reproducible draws.
        num_samples: how many independent completions.
        stop: an optional string; each completion is cut just after its first occurrence (e.g. ``"\\n\\n"``).

    Returns:
        a list of ``num_samples`` strings, the continuations without the prompt.
    """
    check_count(num_chars, "num_chars")
    check_number(temperature, "temperature", allow_zero=True)
    check_generator(generator)
    check_positive_int(num_samples, "num_samples")
    if stop is not None and (not isinstance(stop, str) or not stop):
        raise ValueError(f"stop must be a non-empty str or None, got {stop!r}")
    device = next(itertools.chain(model.parameters(), model.buffers())).device
    tokens = _encode_prompt(vocabulary, prompt).to(device)
    was_training = model.training
    model.eval()
    try:
        stop_token = int(vocabulary.encode(stop)[0]) if stop is not None and len(stop) == 1 else None
        x = _extend(model, tokens.expand(num_samples, -1), num_chars, temperature, generator, stop_token)
    finally:
        model.train(was_training)
    texts = vocabulary.decode(x[:, len(tokens):].cpu())
    if stop is not None:
        texts = [text[:text.index(stop) + len(stop)] if stop in text else text for text in texts]
    return texts


@torch.no_grad()
def next_token_probabilities(model, vocabulary, prompt, k=5):
    """The ``k`` most likely next characters after ``prompt`` under the model: [(char, probability), ...]."""
    check_positive_int(k, "k")
    tokens = _encode_prompt(vocabulary, prompt)
    window = _window(model)
    past = tokens if window is None else tokens[-window:]
    was_training = model.training
    model.eval()
    try:
        logits = model(torch.cat([past, past.new_zeros(1)])[None])[0, -1]  # (V,)
    finally:
        model.train(was_training)
    probabilities, ids = torch.softmax(logits.float(), -1).topk(min(k, len(vocabulary)))
    return [(vocabulary.chars[i], float(p)) for p, i in zip(probabilities, ids.tolist())]


def cut_at_blank_line(text):
    """(text up to its first blank line, True), or (text, False) when it holds no blank line."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if BLANK_LINE in text:
        return text[:text.index(BLANK_LINE)], True
    return text, False


def function_completion_parses(signature, completion):
    """Whether ``signature + completion`` is a finished Python function: the completion reaches a blank line
    (the end of a function in the training code) and the text up to it is accepted by ``ast.parse``."""
    if not isinstance(signature, str) or not isinstance(completion, str):
        raise TypeError("signature and completion must be str")
    body, finished = cut_at_blank_line(completion)
    if not finished:
        return False
    try:
        ast.parse(signature + body)
    except (SyntaxError, ValueError):
        return False
    return True


def structure_metrics(samples, training_strings, is_valid):
    """Validity, uniqueness and novelty of generated strings, the usual measures of molecule generators.

        validity = #valid / #samples,    uniqueness = #distinct valid / #valid,
        novelty = #distinct valid not in the training set / #distinct valid

    (uniqueness and novelty are 0 when there is no valid sample).

    Args:
        samples: the generated strings (a non-empty list).
        training_strings: the training set (any iterable of strings).
        is_valid: a function str -> bool, e.g. ``dgm_utils.data.is_valid_molecule``.

    Returns:
        dict with ``validity``, ``uniqueness``, ``novelty`` (floats in [0, 1]) and ``num_samples``.
    """
    if not callable(is_valid):
        raise TypeError(f"is_valid must be a function str -> bool, got {type(is_valid).__name__}")
    samples = list(samples)
    if not samples or not all(isinstance(s, str) for s in samples):
        raise ValueError("samples must be a non-empty list of str")
    training = set(training_strings)
    valid = [s for s in samples if is_valid(s)]
    distinct = set(valid)
    return dict(validity=len(valid) / len(samples),
                uniqueness=len(distinct) / len(valid) if valid else 0.0,
                novelty=len(distinct - training) / len(distinct) if distinct else 0.0,
                num_samples=len(samples))
