"""Mutants of a solution cell, made from its syntax tree: each one a single small change a student could plausibly
make, applied to the code between `### BEGIN SOLUTION` and `### END SOLUTION` only (the signatures, docstrings and
comments around it are the course's, not the student's).

``generate(source, cell)`` returns the `Mutant`s of one cell's source. Every mutant is an edit of the cell's text
(the rest of the text, comments included, is kept), checked to parse to exactly the intended syntax tree, and is
unique: two edits that give the same tree are one mutant. The operator classes (`OPERATORS`) are listed below.

A mutant's id is ``<grade_id>:<operator>:<line>:<column>:<hash>``: the line (1-based) and the column (1-based) of the
edit in the cell's source as the notebook stores it, and a hash of the mutated line(s). It depends only on the
solution cell, never on the tests, so a list of equivalent mutants keeps its meaning while the tests change; an edit
of the solution moves the ids of the mutants after it in that cell (tools/mutants.py reports listed ids that no
longer exist).
"""

import ast
import builtins
import copy
import hashlib
import io
import tokenize
from dataclasses import dataclass

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"

OPERATORS = {
    "arith": "an arithmetic operator swapped (+ <-> -, * <-> /, ** -> *, // -> /, % -> //)",
    "sign": "a unary minus removed, or added (on a returned value, a left operand of + or -, a math function's input)",
    "compare": "a comparison moved across its boundary or reversed (< <= > >=), == <-> !=",
    "drop": "a term dropped (a + b -> a and -> b, a - b -> a and -> -b, a * b -> a and -> b, a / b -> a, a ** b -> a)",
    "index": "an index, slice bound or range()/arange() bound moved by one (k -> k + 1, k - 1)",
    "swap": "the first two positional arguments of a call swapped",
    "const": "a numeric constant changed (0 -> 1; 1 -> 0, 2, -1; c -> 2c, -c)",
    "axis": "the dimension of a reduction or softmax changed to another one, or dropped",
    "detach": "`.detach()` added to a returned value or to the result of a tensor operation",
    "unwrap": "a unary math function removed (exp(x) -> x, also log, sigmoid, tanh, softplus, abs, softmax, ...)",
    "bool": "a boolean argument flipped (keepdim=True -> False, replacement=True -> False, ...)",
}

_ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%",
           ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_COMPARE_SWAPS = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
                  ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,)}
# Which of a term's operands `drop` keeps: "left", "right", or "-right" (a - b -> -b).
_DROPS = {ast.Add: ("left", "right"), ast.Sub: ("left", "-right"), ast.Mult: ("left", "right"), ast.Div: ("left",),
          ast.FloorDiv: ("left",), ast.Pow: ("left",), ast.Mod: ("left",)}
# The position of the dimension among the positional arguments of a method call (x.sum(1)); a module-level call
# (torch.sum(x, 1)) has it one later.
_DIM_POSITION = {name: 0 for name in ("sum", "mean", "logsumexp", "softmax", "log_softmax", "max", "min", "amax",
                                       "amin", "argmax", "argmin", "cumsum", "cumprod", "logcumsumexp", "prod", "std",
                                       "var", "median", "nansum", "squeeze", "unsqueeze", "gather", "all", "any",
                                       "cat", "stack", "count_nonzero")}
_DIM_POSITION |= {"chunk": 1, "split": 1, "norm": 1}
_DIM_KEYWORDS = ("dim", "axis")
_UNARY_MATH = frozenset({"exp", "log", "log1p", "expm1", "exp2", "log2", "log10", "sigmoid", "logsigmoid", "tanh",
                         "softplus", "abs", "sqrt", "rsqrt", "square", "relu", "softmax", "log_softmax"})
_MODULES = frozenset({"torch", "F", "functional", "math", "np", "numpy", "nn"})
# Calls that make new tensors (no graph behind them) or several results: `.detach()` on them says nothing.
_NO_DETACH = frozenset({"zeros", "ones", "empty", "full", "arange", "linspace", "eye", "randn", "rand", "randint",
                        "randperm", "zeros_like", "ones_like", "empty_like", "full_like", "randn_like", "rand_like",
                        "tensor", "as_tensor", "multinomial", "bernoulli", "chunk", "split", "unbind", "detach",
                        "tolist", "item", "size", "dim", "numel", "manual_seed", "Generator", "no_grad", "get_default_dtype",
                        "register_buffer", "append", "extend", "zero_grad", "step", "backward", "requires_grad_"})
# Methods that give the same tensor, or a copy or view of it, in the same graph.
_SAME_GRAPH = frozenset({"clone", "float", "double", "to", "contiguous", "view", "reshape", "unsqueeze", "squeeze"})
_BUILTINS = frozenset(dir(builtins))
_SILENT_CALLS = frozenset({"print", "warn", "debug", "info", "warning", "error", "display"})


@dataclass(frozen=True)
class Mutant:
    id: str
    cell: str  # the cell's nbgrader grade_id
    operator: str  # a key of OPERATORS
    line: int  # 1-based line of the edit in the cell's source
    col: int  # 1-based column
    original: str  # the line(s) the edit touches, before
    mutated: str  # and after
    source: str  # the whole mutated source of the cell

    @property
    def description(self):
        return f"{self.cell} line {self.line}: {self.original.strip()}  ->  {self.mutated.strip()}"


def solution_lines(source):
    """The numbers (1-based) of the lines between the solution markers."""
    lines, inside = set(), False
    for number, text in enumerate(source.splitlines(), 1):
        if SOLUTION_BEGIN in text:
            inside = True
        elif SOLUTION_END in text:
            inside = False
        elif inside:
            lines.add(number)
    return lines


class _Text:
    """The cell's source with offsets: ast columns count UTF-8 bytes, edits work on characters."""

    def __init__(self, source):
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.operators = []  # (offset, symbol) of every operator token
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP:
                self.operators.append((self.offset_chars(*token.start), token.string))

    def offset(self, lineno, col_bytes):
        return self.starts[lineno - 1] + len(self.lines[lineno - 1].encode()[:col_bytes].decode())

    def offset_chars(self, lineno, col):
        return self.starts[lineno - 1] + col

    def start(self, node):
        return self.offset(node.lineno, node.col_offset)

    def end(self, node):
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node):
        return self.source[self.start(node):self.end(node)]

    def operator_between(self, left, right, symbol):
        """The offset of the operator token `symbol` after node `left` and before node `right`."""
        low, high = self.end(left), self.start(right)
        for offset, text in self.operators:
            if low <= offset < high and text == symbol:
                return offset
        return None

    def position(self, offset):
        """(line, column), both 1-based, of a character offset."""
        for number in range(len(self.lines)):
            if offset < self.starts[number + 1]:
                return number + 1, offset - self.starts[number] + 1
        return len(self.lines), offset - self.starts[-2] + 1


def _number(node):
    """The value of a numeric literal (bools excluded; -2 is a unary minus on 2 in the tree), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _literal(value):
    node = ast.Constant(value=abs(value))
    return ast.UnaryOp(op=ast.USub(), operand=node) if value < 0 else node


def _atomic(node):
    """True when the node's text needs no parentheses wherever an expression goes."""
    if isinstance(node, ast.Constant):
        return not (type(node.value) in (int, float, complex) and node.value < 0)
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.List, ast.ListComp, ast.Dict,
                             ast.Set, ast.DictComp, ast.SetComp))


def _name(func):
    """The called name: 'sum' for torch.sum and x.sum, 'f' for f."""
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _module_call(call):
    """True for torch.f(x), F.f(x), math.f(x), torch.nn.functional.f(x); False for a method call x.f()."""
    value = getattr(call.func, "value", None)
    while isinstance(value, ast.Attribute):
        if value.attr in _MODULES:
            return True
        value = value.value
    return isinstance(value, ast.Name) and value.id in _MODULES


class _Candidates:
    """Collects (operator, target node, replacement node, [(start, end, text), ...]) for one cell."""

    def __init__(self, text):
        self.text, self.found = text, []
        self.dims = set()  # dimension arguments: `axis` changes them, `const` leaves them alone

    def add(self, operator, target, replacement, *edits):
        self.found.append((operator, target, replacement, edits))

    def replace(self, operator, target, replacement, *texts):
        """Replace the target's span by one of `texts` (tried in order)."""
        self.add(operator, target, replacement, *[(self.text.start(target), self.text.end(target), t) for t in texts])

    def wrapped(self, node):
        text = self.text.segment(node)
        return text if _atomic(node) else f"({text})"


def _with(node, **fields):
    new = copy.copy(node)
    for key, value in fields.items():
        setattr(new, key, value)
    return new


def _arith(c, node):
    left, right = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.target, node.value)
    sequences = (ast.List, ast.Tuple, ast.ListComp, ast.JoinedStr)
    if type(node.op) not in _ARITH_SWAP or any(isinstance(side, sequences) or
                                               (isinstance(side, ast.Constant) and isinstance(side.value, str))
                                               for side in (left, right)):
        return
    symbol = _SYMBOL[type(node.op)] + ("=" if isinstance(node, ast.AugAssign) else "")
    offset = c.text.operator_between(left, right, symbol)
    if offset is not None:
        new_op = _ARITH_SWAP[type(node.op)]
        new_symbol = _SYMBOL[new_op] + ("=" if isinstance(node, ast.AugAssign) else "")
        c.add("arith", node, _with(node, op=new_op()), (offset, offset + len(symbol), new_symbol))


def _binop(c, node):
    _arith(c, node)
    for keep in _DROPS.get(type(node.op), ()):
        if keep == "-right":
            c.replace("drop", node, ast.UnaryOp(op=ast.USub(), operand=node.right), f"-{c.wrapped(node.right)}")
        else:
            child = getattr(node, keep)
            c.replace("drop", node, child, c.text.segment(child), c.wrapped(child))
    if isinstance(node.op, (ast.Add, ast.Sub)):
        _negate(c, node.left)


def _negate(c, node):
    literal = (ast.List, ast.ListComp, ast.Tuple, ast.Dict, ast.Set, ast.Constant, ast.JoinedStr, ast.Compare)
    if _number(node) is None and not isinstance(node, literal) and not (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
        c.replace("sign", node, ast.UnaryOp(op=ast.USub(), operand=node), f"-{c.wrapped(node)}")


def _unary(c, node):
    if isinstance(node.op, ast.USub) and _number(node) is None:
        c.replace("sign", node, node.operand, c.text.segment(node.operand), c.wrapped(node.operand))


def _compare(c, node):
    lefts = [node.left] + node.comparators[:-1]
    for i, (op, left, right) in enumerate(zip(node.ops, lefts, node.comparators)):
        offset = c.text.operator_between(left, right, _SYMBOL.get(type(op), "?"))
        for new_op in _COMPARE_SWAPS.get(type(op), ()):
            if offset is not None:
                ops = list(node.ops)
                ops[i] = new_op()
                c.add("compare", node, _with(node, ops=ops),
                      (offset, offset + len(_SYMBOL[type(op)]), _SYMBOL[new_op]))


def _shift(c, node):
    """k -> k + 1, k - 1 for an index, a slice bound or a range bound."""
    value = _number(node)
    if value is not None:
        if isinstance(value, int):
            for new in (value + 1, value - 1):
                c.replace("index", node, _literal(new), repr(new))
        return
    if isinstance(node, (ast.Constant, ast.Slice, ast.Tuple, ast.List, ast.Compare, ast.BoolOp, ast.Starred)):
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and _number(node.right) is not None:
        return  # n + 1 -> n + 2 and n + 0: `const` makes those
    for op, symbol in ((ast.Add, "+"), (ast.Sub, "-")):
        c.replace("index", node, ast.BinOp(left=node, op=op(), right=ast.Constant(value=1)),
                  f"{c.text.segment(node)} {symbol} 1", f"{c.wrapped(node)} {symbol} 1")


def _subscript(c, node):
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for part in parts:
        for bound in ((part.lower, part.upper) if isinstance(part, ast.Slice) else (part,)):
            if bound is not None:
                _shift(c, bound)


def _removal(c, call, node):
    """The edit that removes argument `node` (positional or keyword) from `call`, with its comma."""
    items = sorted(call.args + call.keywords, key=c.text.start)
    i = items.index(node)
    if i > 0:
        return c.text.end(items[i - 1]), c.text.end(node), ""
    if i + 1 < len(items):
        return c.text.start(node), c.text.start(items[i + 1]), ""
    return c.text.start(node), c.text.end(node), ""


def _call(c, node, parent):
    name = _name(node.func)
    module = _module_call(node)
    if name in _SILENT_CALLS:
        return
    args = node.args
    if any(isinstance(a, ast.Starred) for a in args):
        return
    # axis: dim=/axis= keywords, and the positional dimension of known reductions
    dims = [(k, k.value) for k in node.keywords if k.arg in _DIM_KEYWORDS]
    position = _DIM_POSITION.get(name)
    if position is not None and not (isinstance(node.func, ast.Name) and name in _BUILTINS):
        position += module
        if position < len(args) and isinstance(_number(args[position]), int):
            dims.append((args[position], args[position]))
    for holder, value in dims:
        d = _number(value)
        if not isinstance(d, int):
            continue
        c.dims.add(value)
        for new in dict.fromkeys([d + 1, d - 1, 0, 1, -1]):
            if new != d:
                c.replace("axis", value, _literal(new), repr(new))
        if isinstance(holder, ast.keyword):
            dropped = _with(node, keywords=[k for k in node.keywords if k is not holder])
        elif holder is args[-1]:
            dropped = _with(node, args=args[:-1])
        else:
            continue
        c.add("axis", node, dropped, _removal(c, node, holder))
    # index: range(a, b) and torch.arange(a, b) bounds
    if name in ("range", "arange"):
        for bound in args[:2]:
            _shift(c, bound)
    # swap
    if len(args) >= 2 and ast.dump(args[0]) != ast.dump(args[1]) and not any(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]):
        start, end = c.text.start(args[0]), c.text.end(args[1])
        between = c.text.source[c.text.end(args[0]):c.text.start(args[1])]
        c.add("swap", node, _with(node, args=[args[1], args[0]] + args[2:]),
              (start, end, c.text.segment(args[1]) + between + c.text.segment(args[0])))
    # unwrap and sign: unary math functions
    if name in _UNARY_MATH:
        inner = args[0] if module and len(args) == 1 else node.func.value if (
            not module and not args and isinstance(node.func, ast.Attribute)) else None
        if inner is not None:
            c.replace("unwrap", node, inner, c.text.segment(inner), c.wrapped(inner))
            if module:
                _negate(c, inner)
    # bool
    for value in [k.value for k in node.keywords] + list(args):
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            c.replace("bool", value, ast.Constant(value=not value.value), repr(not value.value))
    # detach: the result of a tensor operation
    unpacked = isinstance(parent, ast.Assign) and isinstance(parent.targets[0], (ast.Tuple, ast.List))
    plain_call = isinstance(node.func, ast.Name) and (name in _BUILTINS or name[:1].isupper())
    if not unpacked and not plain_call and name not in _NO_DETACH and not (name or "").startswith(("register", "__")):
        if not (isinstance(node.func, ast.Attribute) and node.func.attr[:1].isupper()):
            _detach(c, node)


def _detached(node):
    """True for a value with no graph behind it: x.detach(), x.detach().clone(), (a > b).float() and the like."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("detach", "long", "int", "bool"):  # integer and bool tensors have no gradient
            return True
        if node.func.attr not in _SAME_GRAPH:
            return False
        node = node.func.value
    return isinstance(node, ast.Compare)


def _detach(c, node):
    if _detached(node) or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
            node.func.value, ast.Name) and node.func.value.id == "math":
        return
    replacement = ast.Call(func=ast.Attribute(value=node, attr="detach", ctx=ast.Load()), args=[], keywords=[])
    c.replace("detach", node, replacement, f"{c.wrapped(node)}.detach()")


def _return(c, node):
    if node.value is None:
        return
    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
    for value in values:
        if _number(value) is None and not isinstance(value, (ast.List, ast.ListComp, ast.Constant, ast.Tuple)):
            if not (isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute))
                    and _name(value.func)[:1].isupper()):
                _detach(c, value)
            _negate(c, value)


def _constant(c, node):
    value = _number(node)
    if value is None or node in c.dims or isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.UnaryOp):
        return
    news = [1] if value == 0 else [0, 2, -1] if value == 1 else [2 * value, -value]
    for new in news:
        new = type(value)(new)
        c.replace("const", node, _literal(new), repr(new))


def _skipped(tree):
    """Nodes whose subtrees are never mutated: docstrings, f-strings, messages, annotations, print calls."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and node.body and isinstance(
                node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            skipped.add(node.body[0])
        if isinstance(node, ast.JoinedStr):
            skipped.add(node)
        if isinstance(node, ast.Raise) and node.exc is not None:
            skipped.add(node.exc)
        if isinstance(node, ast.Assert) and node.msg is not None:
            skipped.add(node.msg)
        if isinstance(node, ast.arg) and node.annotation is not None:
            skipped.add(node.annotation)
        if isinstance(node, ast.AnnAssign):
            skipped.add(node.annotation)
        if isinstance(node, ast.Call) and _name(node.func) in _SILENT_CALLS:
            skipped.add(node)
    return skipped


def _candidates(tree, text, lines):
    c = _Candidates(text)
    skipped = _skipped(tree)

    def visit(node, parent):
        if node in skipped:
            return
        inside = hasattr(node, "lineno") and all(n in lines for n in range(node.lineno, node.end_lineno + 1))
        if inside:
            if isinstance(node, ast.BinOp):
                _binop(c, node)
            elif isinstance(node, ast.AugAssign):
                _arith(c, node)
            elif isinstance(node, ast.UnaryOp):
                _unary(c, node)
            elif isinstance(node, ast.Compare):
                _compare(c, node)
            elif isinstance(node, ast.Subscript):
                _subscript(c, node)
            elif isinstance(node, ast.Call):
                _call(c, node, parent)
            elif isinstance(node, ast.Return):
                _return(c, node)
            if isinstance(node, (ast.Constant, ast.UnaryOp)) and not isinstance(parent, ast.UnaryOp):
                _constant(c, node)
        for child in ast.iter_child_nodes(node):
            visit(child, node)

    visit(tree, None)
    return c.found


def _replace(tree, target, replacement):
    """A copy of `tree` with node `target` replaced by `replacement` (which may hold nodes of `tree`)."""
    index = {id(node): i for i, node in enumerate(ast.walk(tree))}[id(target)]
    memo = {}
    new_tree = copy.deepcopy(tree, memo)
    new_target = list(ast.walk(new_tree))[index]
    new_node = copy.deepcopy(replacement, memo)  # children of `tree` map to their copies
    for parent in ast.walk(new_tree):
        for field, value in ast.iter_fields(parent):
            if value is new_target:
                setattr(parent, field, new_node)
                return new_tree
            if isinstance(value, list) and any(item is new_target for item in value):
                value[[item is new_target for item in value].index(True)] = new_node
                return new_tree
    raise ValueError("target not found")


def _touched(source, start, end):
    """The whole lines of `source` that hold characters start..end."""
    first = source.rfind("\n", 0, start) + 1
    last = source.find("\n", max(end, start))
    return source[first:last if last >= 0 else len(source)]


def generate(source, cell):
    """The mutants of one solution cell's source (its grade_id is `cell`), in the order of the text."""
    lines = solution_lines(source)
    tree = ast.parse(source)
    text = _Text(source)
    seen = {ast.dump(tree)}
    mutants = []
    for operator, target, replacement, edits in _candidates(tree, text, lines):
        expected = ast.dump(_replace(tree, target, replacement))
        if expected in seen:
            continue
        for start, end, new_text in edits:
            mutated = source[:start] + new_text + source[end:]
            try:
                if ast.dump(ast.parse(mutated)) != expected:
                    continue
                compile(mutated, "<mutant>", "exec")
            except (SyntaxError, ValueError):
                continue
            seen.add(expected)
            line, col = text.position(start)
            after = _touched(mutated, start, start + len(new_text))
            digest = hashlib.sha1(" ".join(after.split()).encode()).hexdigest()[:8]
            mutants.append(Mutant(id=f"{cell}:{operator}:{line}:{col}:{digest}", cell=cell, operator=operator,
                                  line=line, col=col, original=_touched(source, start, end), mutated=after,
                                  source=mutated))
            break
    ids = [m.id for m in mutants]
    if len(ids) != len(set(ids)):
        raise AssertionError(f"duplicate mutant ids in cell {cell}")
    return sorted(mutants, key=lambda m: (m.line, m.col, list(OPERATORS).index(m.operator), m.id))
