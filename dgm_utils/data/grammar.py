"""Molecule-like strings: a small SMILES-like grammar with valence rules (chapter 8c).

No molecule data set ships with the installed packages, so the chapter's discrete structures are synthetic: random
molecular graphs written as strings in a subset of SMILES (Weininger 1988), where validity is a hard, checkable
constraint. The language:

* atoms ``C``, ``N``, ``O``, ``F`` with valences 4, 3, 2, 1 (``ATOM_VALENCES``); hydrogens are implicit, so an atom
  is valid when the bond orders it takes part in sum to at most its valence;
* a bond between consecutive atoms is single, or double when written ``=``;
* a branch ``( ... )`` hangs a chain off the atom before it (a bond symbol may open the branch);
* a ring-closure digit ``1``-``9`` written after an atom opens a ring bond (single) and the next occurrence of the
  same digit closes it on another atom, not already bonded to the first;
* a string is valid when it parses (balanced parentheses, no empty branch, no dangling bond, every ring closed) and
  every atom keeps within its valence.

:func:`make_molecules` draws random graphs (a random tree with some double bonds, then a few ring bonds) and writes
them by a depth-first traversal, the way SMILES writers do; :func:`is_valid_molecule` checks a string with an
independent parser. Different strings can denote the same graph (SMILES is not canonical without extra rules), so
the chapter's uniqueness and novelty are counted over strings.
"""

import random

from dgm_utils._validation import check_count, check_int, check_positive_int

__all__ = ["ATOM_VALENCES", "RING_DIGITS", "make_molecules", "is_valid_molecule", "molecule_bonds"]

#: Atom symbols and their valences (the number of bonds, counted with their order, an atom can take).
ATOM_VALENCES = {"C": 4, "N": 3, "O": 2, "F": 1}
#: Ring-closure labels; a label is free again once its ring is closed.
RING_DIGITS = "123456789"
_ATOM_WEIGHTS = {"C": 0.6, "N": 0.15, "O": 0.15, "F": 0.1}
_DOUBLE_BOND_PROBABILITY = 0.2


def molecule_bonds(string):
    """Parse a molecule string into (atoms, bonds), or None when it does not parse.

    Returns:
        (atoms, bonds): the list of atom symbols in the order written, and a dict {(i, j): order} with i < j.
        None when the string breaks the grammar: an unknown character, a bond or a branch with no atom before it,
        an empty or unclosed branch, a ring digit after anything but an atom or a digit, a ring closed on its own
        atom or on a neighbour, a ring left open, or an empty string. Valences are not checked here.
    """
    if not isinstance(string, str):
        raise TypeError(f"string must be a str, got {type(string).__name__}")
    atoms, bonds, branch_points, open_rings = [], {}, [], {}
    previous, pending_order, last = None, None, None  # last: kind of the previous token
    for char in string:
        if char in ATOM_VALENCES:
            atoms.append(char)
            current = len(atoms) - 1
            if previous is not None:
                bonds[(previous, current)] = pending_order or 1
            elif pending_order is not None:
                return None
            previous, pending_order, last = current, None, "atom"
        elif char == "=":
            if previous is None or pending_order is not None:
                return None
            pending_order, last = 2, "bond"
        elif char == "(":
            if previous is None or pending_order is not None or last == "open":
                return None
            branch_points.append((previous, len(atoms)))
            last = "open"
        elif char == ")":
            if not branch_points or pending_order is not None:
                return None
            previous, atoms_before = branch_points.pop()
            if len(atoms) == atoms_before:  # an empty branch
                return None
            last = "close"
        elif char in RING_DIGITS:
            if last not in ("atom", "digit"):
                return None
            if char in open_rings:
                other = open_rings.pop(char)
                pair = (min(other, previous), max(other, previous))
                if other == previous or pair in bonds:
                    return None
                bonds[pair] = 1
            else:
                open_rings[char] = previous
            last = "digit"
        else:
            return None
    if not atoms or branch_points or open_rings or pending_order is not None:
        return None
    return atoms, bonds


def is_valid_molecule(string):
    """True when ``string`` parses (see :func:`molecule_bonds`) and every atom's bond orders sum to at most its
    valence (``ATOM_VALENCES``)."""
    parsed = molecule_bonds(string)
    if parsed is None:
        return False
    atoms, bonds = parsed
    used = [0] * len(atoms)
    for (i, j), order in bonds.items():
        used[i] += order
        used[j] += order
    return all(used[i] <= ATOM_VALENCES[atom] for i, atom in enumerate(atoms))


def _random_graph(rng, num_atoms, max_rings):
    """Atoms, bond orders {(i, j): order} and free valences of a random connected molecule-like graph."""
    symbols, weights = zip(*_ATOM_WEIGHTS.items())
    atoms = [rng.choices(symbols, weights)[0]]
    free = [ATOM_VALENCES[atoms[0]]]
    bonds = {}
    while len(atoms) < num_atoms:
        hosts = [i for i in range(len(atoms)) if free[i] >= 1]
        if not hosts:
            break
        host = rng.choice(hosts)
        atom = rng.choices(symbols, weights)[0]
        order = 2 if (free[host] >= 2 and ATOM_VALENCES[atom] >= 2 and rng.random() < _DOUBLE_BOND_PROBABILITY) else 1
        atoms.append(atom)
        free.append(ATOM_VALENCES[atom] - order)
        free[host] -= order
        bonds[(host, len(atoms) - 1)] = order
    for _ in range(rng.randint(0, max_rings)):
        pairs = [(i, j) for i in range(len(atoms)) for j in range(i + 1, len(atoms))
                 if free[i] >= 1 and free[j] >= 1 and (i, j) not in bonds]
        if not pairs:
            break
        i, j = rng.choice(pairs)
        bonds[(i, j)] = 1
        free[i] -= 1
        free[j] -= 1
    return atoms, bonds


def _write(atoms, bonds, rng):
    """SMILES-like string of a connected graph by depth-first traversal from atom 0: the edges the traversal does
    not follow become ring closures (always single bonds here), the children but the last become branches."""
    neighbours = {i: [] for i in range(len(atoms))}
    for (i, j) in bonds:
        neighbours[i].append(j)
        neighbours[j].append(i)
    for i in neighbours:
        rng.shuffle(neighbours[i])
    order, parent, children = [], {0: None}, {i: [] for i in range(len(atoms))}

    def visit(v):
        order.append(v)
        for u in neighbours[v]:
            if u not in parent:
                parent[u] = v
                children[v].append(u)
                visit(u)

    visit(0)
    tree = {(min(v, p), max(v, p)) for v, p in parent.items() if p is not None}
    ring_edges = [edge for edge in bonds if edge not in tree]
    ring_label, free_digits = {}, list(RING_DIGITS)

    def bond_symbol(i, j):
        return "=" if bonds[(min(i, j), max(i, j))] == 2 else ""

    def write(v):
        text = atoms[v]
        for edge in ring_edges:
            if v in edge:
                if edge in ring_label:  # the other end was written first: close
                    text += ring_label[edge]
                    free_digits.insert(0, ring_label[edge])
                    free_digits.sort()
                else:  # open
                    ring_label[edge] = free_digits.pop(0)
                    text += ring_label[edge]
        for child in children[v][:-1]:
            text += "(" + bond_symbol(v, child) + write(child) + ")"
        if children[v]:
            last = children[v][-1]
            text += bond_symbol(v, last) + write(last)
        return text

    return write(0)


def make_molecules(n, seed=0, *, min_atoms=3, max_atoms=12, max_rings=2):
    """``n`` random valid molecule strings (see the module docstring), the same for the same arguments.

    Each has a number of atoms drawn uniformly in [min_atoms, max_atoms] (fewer when the valences run out),
    atoms C/N/O/F with probabilities 0.6/0.15/0.15/0.1, a double bond with probability 0.2 where both atoms allow
    it, and up to ``max_rings`` ring bonds; it is written from a random depth-first traversal.

    Returns:
        a list of ``n`` strings, each accepted by :func:`is_valid_molecule`.
    """
    check_count(n, "n")
    check_int(seed, "seed", minimum=0)
    check_positive_int(min_atoms, "min_atoms")
    check_positive_int(max_atoms, "max_atoms")
    check_int(max_rings, "max_rings", minimum=0)
    if min_atoms > max_atoms:
        raise ValueError(f"min_atoms must be <= max_atoms, got {min_atoms} and {max_atoms}")
    if max_rings > len(RING_DIGITS):
        raise ValueError(f"max_rings must be at most {len(RING_DIGITS)}, got {max_rings}")
    rng = random.Random(seed)
    return [_write(*_random_graph(rng, rng.randint(min_atoms, max_atoms), max_rings), rng) for _ in range(n)]
